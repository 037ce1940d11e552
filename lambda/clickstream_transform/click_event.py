"""The clickstream event schema: validate one record, keep only what the lake may store.

Pure functions, no AWS: the handler feeds them the decoded bytes of one Firehose record and its
arrival time, and delivers what they return.

Rules (the decisions are documented here, once):

- A record is one UTF-8 JSON object. Anything else (other encodings, a JSON array, string or
  number, a leading BOM) is rejected rather than guessed at.
- ``event_id``: required, a non-blank string of at most ``MAX_EVENT_ID_CHARS`` characters. It is
  the primary key the producer embeds so duplicates can be removed downstream: producer retries
  write the same data twice under different sequence numbers
  (https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-processor-duplicates.html).
- ``event_type``: required, one of ``EVENT_TYPES`` (exact, case-sensitive).
- ``event_time``: required. An ISO-8601 date and time in extended format (``2024-05-01T10:00:00Z``,
  a space for the ``T``, optional fraction, optional ``Z`` or ``±hh:mm`` offset; a naive time is
  taken as UTC) or epoch milliseconds as a JSON number. Normalised to UTC
  ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (truncated to the millisecond). It must lie between
  ``EARLIEST_EVENT_TIME`` and one day after the record arrived (its Firehose
  ``approximateArrivalTimestamp``): the lake is partitioned by event time, so one producer with a
  broken clock would otherwise create junk partitions years away.
- ``user_id``: required non-blank string, never stored: the lake gets ``user_key`` instead (see
  ``pseudonymise``).
- ``session_id``, ``page``: optional strings; ``null`` is the same as absent.
- Every other attribute is dropped: ``ip_address``, ``email``, ``user_agent`` and anything a
  producer adds. The lake keeps only the attributes analytics needs (an allow-list, this
  project's rule), so a new producer field is never stored by accident.

Failure reasons carry no producer value. A field that fails a rule is named with its JSON type
(``event_type is not one of ... (got a string)``), never its content: the reason is logged and a
producer that sends an e-mail address as ``event_type`` must not get it into CloudWatch Logs,
which is what this transform exists to keep out of the lake. Every field is type-checked before
it is used, so no JSON value in any field can raise anything but ``InvalidEventError``.

Output: one JSON Lines record per event (compact, keys sorted, UTF-8, newline-terminated), so the
objects Firehose writes to S3 are JSON Lines that Athena and Glue read directly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from typing import Any, NamedTuple

EVENT_TYPES = frozenset({"page_view", "click", "add_to_cart", "purchase"})
"""The event types the lake accepts."""

_EVENT_TYPE_LIST = ", ".join(sorted(EVENT_TYPES))

MAX_EVENT_ID_CHARS = 128
USER_KEY_HEX_CHARS = 32

MAX_LINE_GROWTH_BYTES = 96
"""How much longer a clean line can be than its input record, at most (for the 6 MB answer).

Kept values are re-encoded at their shortest (``ensure_ascii=False`` escapes only what JSON
requires, in its shortest form) and dropped fields only shrink a record. What can grow:
``"user_id":"u"`` becomes ``"user_key":"<32 hex>"`` (+32), an ``event_time`` as short as ``1e12``
becomes a 24-character string in quotes (+22), ``,"ingested_at":"<24>"`` is added (+41) and
the newline (+1).
"""

EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""Events dated before this are rejected (a producer clock reset to the epoch, a unit mix-up)."""

MAX_CLOCK_AHEAD = timedelta(days=1)
"""How far an event may be dated after its record reached the stream."""

_EPOCH = datetime(1970, 1, 1)  # naive, for naive (UTC) times
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_EARLIEST_MS = (EARLIEST_EVENT_TIME.replace(tzinfo=None) - _EPOCH) // _ONE_MS
_MAX_AHEAD_MS = MAX_CLOCK_AHEAD // _ONE_MS
_MILLIS_SUFFIXES = tuple(f".{millis:03d}Z" for millis in range(1000))
# Extended-format ISO-8601 date and time. fromisoformat alone would also take a bare date, week
# dates and any character as the date/time separator; an event needs a time of day.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.ASCII
)
_decode = json.JSONDecoder().decode
# A JSON string literal, as json.dumps(ensure_ascii=False) writes it: only '"', '\\' and control
# characters escaped, so a kept value is never longer than in any valid JSON input.
_quote = encode_basestring


class InvalidEventError(ValueError):
    """The record is not a valid clickstream event; the message lists every broken rule."""


class CleanEvent(NamedTuple):
    """A validated event, ready for the lake.

    Attributes:
        event_id: The producer's primary key, for dedupe.
        line: The JSON Lines record to deliver (UTF-8, newline-terminated).
        partition_keys: ``year``/``month``/``day``/``hour`` of the event time (UTC, zero-padded),
            the Hive-style partition the record belongs in.
    """

    event_id: str
    line: bytes
    partition_keys: dict[str, str]


def clean_event(raw: bytes, arrival_ms: int) -> CleanEvent:
    """Validate one record and return what the lake stores of it.

    Args:
        raw: The record's bytes, as the producer wrote them to the stream.
        arrival_ms: The record's ``approximateArrivalTimestamp`` (epoch milliseconds): it bounds
            how far in the future the event may be dated and becomes ``ingested_at``.

    Raises:
        InvalidEventError: With the reason, e.g. "not JSON: ..." or "event_type is not one of
            add_to_cart, click, page_view, purchase (got a string); user_id is missing or
            empty". Reasons name fields and JSON types, never producer values.

    Example:
        >>> event = clean_event(
        ...     b'{"event_id":"e1","event_type":"click","event_time":"2024-05-01T10:00:00+02:00",'
        ...     b'"user_id":"u1","email":"a@example.com"}',
        ...     1714550400000,
        ... )
        >>> event.partition_keys
        {'year': '2024', 'month': '05', 'day': '01', 'hour': '08'}
    """
    fields = parse_object(raw)
    errors: list[str] = []
    event_id = fields.get("event_id")
    if type(event_id) is not str:
        errors.append(_required_string_error("event_id", event_id))
    elif not event_id.strip():
        errors.append("event_id is missing or empty")
    elif len(event_id) > MAX_EVENT_ID_CHARS:
        errors.append(f"event_id longer than {MAX_EVENT_ID_CHARS} characters")
    event_type = fields.get("event_type")
    if event_type is None:
        errors.append("event_type is missing")
    # The type test comes first: a list or object is unhashable, and `in` a frozenset would raise.
    elif type(event_type) is not str or event_type not in EVENT_TYPES:
        errors.append(f"event_type is not one of {_EVENT_TYPE_LIST} (got {json_type(event_type)})")
    event_ms = 0
    try:
        event_ms = event_time_millis(fields.get("event_time"), arrival_ms)
    except ValueError as exc:
        errors.append(str(exc))
    user_id = fields.get("user_id")
    if type(user_id) is not str:
        errors.append(_required_string_error("user_id", user_id))
    elif not user_id.strip():
        errors.append("user_id is missing or empty")
    page = fields.get("page")
    if page is not None and type(page) is not str:
        errors.append(f"page is not a string (got {json_type(page)})")
    session_id = fields.get("session_id")
    if session_id is not None and type(session_id) is not str:
        errors.append(f"session_id is not a string (got {json_type(session_id)})")
    if errors:
        raise InvalidEventError("; ".join(errors))
    try:
        line = json_line(
            event_id=event_id,  # type: ignore[arg-type]  # the checks above passed
            event_time=format_millis(event_ms),
            event_type=event_type,  # type: ignore[arg-type]
            ingested_at=format_millis(arrival_ms),
            page=page,
            session_id=session_id,
            user_key=pseudonymise(user_id),  # type: ignore[arg-type]
        )
    except UnicodeEncodeError as exc:
        # JSON's \ud800 escapes decode to lone surrogates, which have no UTF-8 encoding.
        raise InvalidEventError("a kept field has a lone surrogate (no UTF-8 form)") from exc
    return CleanEvent(event_id, line, partition_keys(event_ms))  # type: ignore[arg-type]


def json_line(
    *,
    event_id: str,
    event_time: str,
    event_type: str,
    ingested_at: str,
    page: str | None,
    session_id: str | None,
    user_key: str,
) -> bytes:
    r"""Encode a clean event as one JSON Lines record: compact, keys sorted, UTF-8, newline.

    Byte-identical to ``json.dumps(record, ensure_ascii=False, separators=(",", ":"),
    sort_keys=True) + "\n"`` (a test pins it), written out by hand because the record is a flat
    object of strings: that costs a fifth as much, and encoding was the largest part of the
    handler's time. Producer strings go through the C string encoder ``json.dumps`` itself uses;
    the times, the event type and the key come from fixed alphabets that need no escaping.
    Absent optional fields are left out, not written as null.
    """
    parts = [
        '{"event_id":',
        _quote(event_id),
        ',"event_time":"',
        event_time,
        '","event_type":"',
        event_type,
        '","ingested_at":"',
        ingested_at,
        '"',
    ]
    if page is not None:
        parts += (',"page":', _quote(page))
    if session_id is not None:
        parts += (',"session_id":', _quote(session_id))
    parts += (',"user_key":"', user_key, '"}\n')
    return "".join(parts).encode()


def parse_object(raw: bytes) -> dict[str, Any]:
    """Decode UTF-8 JSON bytes that must hold one object; raise InvalidEventError otherwise.

    Bytes are decoded as UTF-8 explicitly: ``json.loads`` on bytes would also guess UTF-16/32.
    """
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise InvalidEventError(f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        value = _decode(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise InvalidEventError(f"not JSON: {exc}") from exc
    if type(value) is not dict:
        raise InvalidEventError(f"not a JSON object (got {json_type(value)})")
    return value


def event_time_millis(value: Any, arrival_ms: int) -> int:
    """Return the event time in epoch milliseconds (UTC), or raise ValueError.

    Accepts an extended-format ISO-8601 date and time (an offset is converted, a naive time is
    UTC; digits beyond the millisecond are truncated) or epoch milliseconds as a number. The time
    must not be before ``EARLIEST_EVENT_TIME`` nor more than ``MAX_CLOCK_AHEAD`` after
    ``arrival_ms``.

    Example:
        >>> format_millis(event_time_millis("2024-05-01 10:00:00.5-03:00", 1714557600000))
        '2024-05-01T13:00:00.500Z'
        >>> event_time_millis(1714557600123, 1714557600000)
        1714557600123
    """
    kind = type(value)
    if kind is str:
        parsed = None
        if _ISO_DATETIME.fullmatch(value):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None  # well-formed but impossible, e.g. month 13 or hour 25
        if parsed is None:
            raise ValueError("event_time is not an ISO-8601 date and time (got a string)")
        # Integer arithmetic: a float timestamp could land a millisecond off.
        millis = (parsed - (_EPOCH if parsed.tzinfo is None else _EPOCH_UTC)) // _ONE_MS
    elif kind is int or (kind is float and math.isfinite(value)):  # bool is neither
        millis = int(value)
    elif value is None:
        raise ValueError("event_time is missing")
    else:
        raise ValueError(
            f"event_time is not an ISO-8601 string or epoch millis (got {json_type(value)})"
        )
    if millis < _EARLIEST_MS:
        raise ValueError(f"event_time is before {EARLIEST_EVENT_TIME.year}")
    if millis > arrival_ms + _MAX_AHEAD_MS:
        raise ValueError("event_time is more than a day after the record arrived")
    return millis


def format_millis(millis: int) -> str:
    """Format epoch milliseconds as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    Example:
        >>> format_millis(0)
        '1970-01-01T00:00:00.000Z'
    """
    seconds, millis = divmod(millis, 1000)
    return _format_second(seconds) + _MILLIS_SUFFIXES[millis]


def partition_keys(millis: int) -> dict[str, str]:
    """Return the Hive-style partition of a time: UTC ``year``, ``month``, ``day``, ``hour``.

    Zero-padded (``month=05``), so partitions sort and read as dates in S3 listings and Athena.

    Example:
        >>> partition_keys(1714557600000)
        {'year': '2024', 'month': '05', 'day': '01', 'hour': '10'}
    """
    return dict(_hour_partition(millis // 3_600_000))


# Records of a batch cluster in time (Firehose buffers seconds to minutes of the stream), so the
# date arithmetic is done once per second and per hour, not per record.
@functools.lru_cache(maxsize=4096)
def _format_second(seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` of an epoch second."""
    return (_EPOCH + timedelta(seconds=seconds)).isoformat()


@functools.lru_cache(maxsize=1024)
def _hour_partition(hours: int) -> tuple[tuple[str, str], ...]:
    """The partition keys of an epoch hour (immutable: callers get a fresh dict)."""
    text = _format_second(hours * 3600)
    return (("year", text[0:4]), ("month", text[5:7]), ("day", text[8:10]), ("hour", text[11:13]))


@functools.lru_cache(maxsize=16384)
def pseudonymise(user_id: str) -> str:
    """Return the user's ``user_key``: the first 32 hex digits of SHA-256 of the UTF-8 user id.

    This is pseudonymisation, not anonymisation. The same user always gets the same key, so
    sessions, funnels and per-user features still join across the lake; and anyone who can list
    candidate user ids can hash them and find who a key belongs to. The lake holds personal data
    under a pseudonym and is protected as such. (A keyed hash, an HMAC with a secret kept outside
    the lake, would resist that lookup; it needs a secret store, which this function avoids.)
    Cached: a user's events cluster in a batch (a session is many clicks).

    Example:
        >>> pseudonymise("user-1")
        'c6c289e49e9c05b2145860387b73bcb1'
    """
    return hashlib.sha256(user_id.encode()).hexdigest()[:USER_KEY_HEX_CHARS]


def json_type(value: Any) -> str:
    """Name a decoded JSON value's type for a message: the type, never the value.

    Example:
        >>> json_type("ana@example.com"), json_type([1]), json_type(None), json_type(True)
        ('a string', 'an array', 'null', 'a boolean')
    """
    return _JSON_TYPES.get(type(value), "a value of another type")


_JSON_TYPES = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
    list: "an array",
    dict: "an object",
}


def _required_string_error(name: str, value: Any) -> str:
    """The reason for a required string field that is absent or of another JSON type."""
    if value is None:
        return f"{name} is missing or empty"
    return f"{name} is not a string (got {json_type(value)})"
