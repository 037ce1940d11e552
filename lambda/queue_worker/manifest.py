"""The manifest record of one object version: what it is, judged from its first bytes.

Pure: no AWS calls. The record depends only on the object version (its event facts and bytes),
so writing it twice writes the same thing: a duplicate delivery is harmless.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from upload_message import ObjectVersion

#: How much of each object is read to recognise its format.
SNIFF_BYTES = 64 * 1024
#: Delimiters a CSV header may use.
_DELIMITERS = ",;\t|"
_BOM = "\ufeff"

#: One encoder for every record: ``json.dumps`` with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)

ACCEPTED = "accepted"
REJECTED = "rejected"


def manifest_key(prefix: str, version: ObjectVersion) -> str:
    """One manifest per object version: ``<prefix><key>/<version id or 'null'>.json``."""
    return f"{prefix}{version.key}/{version.version_id or 'null'}.json"


def sniff(first_bytes: bytes, *, truncated: bool) -> dict[str, Any]:
    """Recognise the format from the first bytes of an object.

    Returns ``{"format": …}`` plus ``columns``/``delimiter`` for CSV, or ``{"reason": …}``
    when the object cannot be accepted.
    """
    found_format, reason, delimiter, columns = _sniffed(first_bytes, truncated)
    found: dict[str, Any] = {"format": found_format}
    if reason is not None:
        found["reason"] = reason
    if delimiter is not None:
        found["delimiter"] = delimiter
    if columns is not None:
        found["columns"] = list(columns)
    return found


#: What sniffing found: format, reason (None when accepted), CSV delimiter, CSV column names.
Sniffed = tuple[str, str | None, str | None, tuple[str, ...] | None]


def _sniffed(first_bytes: bytes, truncated: bool) -> Sniffed:
    if not first_bytes:
        return "empty", "empty object", None, None
    if first_bytes.startswith(b"PAR1"):
        return "parquet", None, None, None
    if first_bytes.startswith(b"\x1f\x8b"):
        return "gzip", None, None, None
    try:
        text = first_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the end is not an error.
        if not (truncated and exc.start >= len(first_bytes) - 3):
            return "binary", f"not UTF-8 (byte {exc.start})", None, None
        text = first_bytes[: exc.start].decode("utf-8")
    if text.startswith(_BOM):
        text = text[1:]
    # find and slice, not partition: partition would copy the rest of the 64 KiB as well.
    end = text.find("\n")
    if end < 0:
        if truncated:
            return "text", f"first line longer than {SNIFF_BYTES} bytes", None, None
        end = len(text)
    if end > _MEMO_CHARS:
        return _judge_line(text[:end])
    return _remembered_line(text[:end])


#: Header lines up to this many characters are remembered (a producer's files repeat one
#: header), at most ``_REMEMBERED`` of them: the memory it may hold is bounded.
_MEMO_CHARS = 1024
_REMEMBERED = 256


def _judge_line(line: str) -> Sniffed:
    """What the first line (without its newline) says: JSON Lines, a CSV header, or neither."""
    line = line.rstrip("\r")
    if line.lstrip().startswith("{"):
        try:
            json.loads(line)
        except ValueError:
            return "text", "first line starts like JSON but is not", None, None
        return "jsonl", None, None, None
    # The delimiter is the candidate the header uses most (the first of equals, as max() does).
    counts = [line.count(d) for d in _DELIMITERS]
    most = max(counts)
    if not most or not line.strip():
        return "text", "no header row with a delimiter", None, None
    delimiter = _DELIMITERS[counts.index(most)]
    # Quoted headers need the csv module; plain ones (nearly all) split the same, faster.
    if '"' in line:
        try:
            columns = next(csv.reader(io.StringIO(line), delimiter=delimiter))
        except csv.Error as exc:
            # A carriage return inside the header's fields (not the line's end): csv refuses it.
            return "csv", f"header is not valid CSV ({exc})", None, None
    else:
        columns = line.split(delimiter)
    names = tuple(map(str.strip, columns))
    if "" in names:
        return "csv", "header has an empty column name", None, names
    if len(set(names)) != len(names):
        return "csv", "header repeats a column name", None, names
    return "csv", None, delimiter, names


#: The same judgement, remembered per line: it depends on the line alone, and the objects of
#: one batch mostly share a header (``bench/queue_worker.py``).
_remembered_line = functools.lru_cache(maxsize=_REMEMBERED)(_judge_line)


def manifest_record(
    version: ObjectVersion, *, first_bytes: bytes, content_type: str | None
) -> dict[str, Any]:
    """The manifest record: the event's facts, the sniffed format, accepted or rejected."""
    found_format, reason, delimiter, columns = _sniffed(
        first_bytes, version.size > len(first_bytes)
    )
    record: dict[str, Any] = {
        "bucket": version.bucket,
        "key": version.key,
        "version_id": version.version_id,
        "size": version.size,
        "etag": version.etag,
        "sequencer": version.sequencer,
        "event_time": version.event_time,
        "content_type": content_type,
        "format": found_format,
        "status": REJECTED if reason else ACCEPTED,
    }
    if delimiter is not None:
        record["delimiter"] = delimiter
    if columns is not None:
        record["columns"] = list(columns)
    if reason:
        record["reason"] = reason
    return record


def manifest_body(record: dict[str, Any]) -> bytes:
    """The record as canonical JSON (sorted keys): identical bytes for identical records."""
    return (_ENCODER.encode(record) + "\n").encode()


class _Template(NamedTuple):
    """The parts of a manifest that depend only on what sniffing found, encoded once.

    Each is the member with its leading separator (or nothing when the record has no such
    member), in the place sorted keys put it: ``columns`` after ``bucket``, ``delimiter`` after
    ``content_type``, ``format`` after ``event_time``, ``reason`` after ``key``, ``status``
    after ``size``.
    """

    columns: str
    delimiter: str
    format: str
    reason: str
    status: str
    status_value: str


@functools.lru_cache(maxsize=_REMEMBERED)
def _template(sniffed: Sniffed) -> _Template:
    found_format, reason, delimiter, columns = sniffed
    # JSON's own encodings: a string through json's string encoder, a list as "[a, b]".
    names = "" if columns is None else ", ".join(map(encode_basestring, columns))
    return _Template(
        "" if columns is None else f', "columns": [{names}]',
        "" if delimiter is None else f', "delimiter": {encode_basestring(delimiter)}',
        f', "format": {encode_basestring(found_format)}',
        f', "reason": {encode_basestring(reason)}' if reason else "",
        _REJECTED_STATUS if reason else _ACCEPTED_STATUS,
        REJECTED if reason else ACCEPTED,
    )


_ACCEPTED_STATUS = f', "status": {encode_basestring(ACCEPTED)}'
_REJECTED_STATUS = f', "status": {encode_basestring(REJECTED)}'


def _nullable(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def manifest_bytes(
    version: ObjectVersion, *, first_bytes: bytes, content_type: str | None
) -> tuple[bytes, str]:
    """``manifest_body(manifest_record(...))`` and the record's status, without the record.

    The same bytes (a Hypothesis property in the tests holds this): the members that depend
    only on the sniffed header are encoded once per header (``_template``), the others with
    the string encoder ``json`` itself uses for ``ensure_ascii=False``; keys in sorted order.
    At 10,000 messages a batch, encoding the record dict with sorted keys cost more than
    every check of the message (``bench/queue_worker.py``). The version's text fields are
    ``str``, as ``parse_upload_message`` builds them (anything else raises ``TypeError``); a
    size that is not exactly an ``int`` or a version id or content type that is neither text
    nor None goes the general way.
    """
    size = version.size
    if (
        size.__class__ is not int
        or not (content_type is None or content_type.__class__ is str)
        or not (version.version_id is None or version.version_id.__class__ is str)
    ):
        record = manifest_record(version, first_bytes=first_bytes, content_type=content_type)
        return manifest_body(record), record["status"]
    template = _template(_sniffed(first_bytes, size > len(first_bytes)))
    body = (
        f'{{"bucket": {encode_basestring(version.bucket)}{template.columns}'
        f', "content_type": {_nullable(content_type)}{template.delimiter}'
        f', "etag": {encode_basestring(version.etag)}'
        f', "event_time": {encode_basestring(version.event_time)}{template.format}'
        f', "key": {encode_basestring(version.key)}{template.reason}'
        f', "sequencer": {encode_basestring(version.sequencer)}'
        f', "size": {size}{template.status}'
        f', "version_id": {_nullable(version.version_id)}}}\n'
    )
    return body.encode(), template.status_value
