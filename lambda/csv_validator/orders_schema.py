"""The orders CSV schema: which columns a file must have, and how a row is validated and normalised.

Pure functions, no AWS: the handler feeds them parsed CSV fields and writes what they return.

Rules (the decisions are documented here, once):

- Header: must name every column in ``REQUIRED_COLUMNS`` (exact names after trimming spaces, any
  order). Extra columns are allowed and dropped from the curated output, so a producer can add a
  column without breaking the pipeline. Duplicate names make the header ambiguous, and a blank
  name cannot be mapped to anything (it is what a stray delimiter leaves): both reject the header,
  with a reason naming the columns or 1-based positions (at most ``MAX_LISTED`` of them, then the
  count). Header handling is linear in the number of columns: a header at the 1 MiB record cap
  (a million commas, or hundreds of thousands of distinct names) is decided in well under a
  second (``bench/header_width.py``).
- Row: must have exactly as many fields as the header; a ragged row (more or fewer fields) is
  rejected, because a shifted field would otherwise land in the wrong column.
- Every field is trimmed of surrounding whitespace before it is checked.
- Any exception while checking or normalising a field (not only ``ValueError``: date arithmetic
  past year 1 or 9999 raises ``OverflowError``) is that field's error: the row is rejected with
  the reason, never the file.
- ``order_id``: non-empty, at most ``MAX_ORDER_ID_CHARS`` characters. ``customer_id``: non-empty.
- ``order_ts``: an ISO-8601 date *and time* (``datetime.fromisoformat``); an offset is converted
  to UTC, a naive time is taken as UTC. Emitted as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.
- ``amount``: plain decimal notation (digits, optional point and at most 2 decimals), >= 0, at
  most ``MAX_AMOUNT_WHOLE_DIGITS`` digits before the point (``decimal(38,2)``).
  Emitted as a **string** with exactly 2 decimals (``"12.50"``) so no float rounding ever touches
  money; Athena/Glue can read it as ``decimal(p,2)``.
- ``currency``: exactly 3 uppercase ASCII letters (ISO 4217 style); ``eur`` is rejected, not fixed.

Speed (``bench/csv_throughput.py``): a row that breaks no rule takes a fast path (column indices
computed once per header, the common amount and timestamp forms normalised without ``Decimal``
or datetime formatting, the JSON line set into a template); any other row goes through every
check in turn, so each rejection lists every broken rule exactly as before. Property tests
(``tests/handlers/test_orders_fast_path.py``) check that the two paths agree.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from json.encoder import encode_basestring

REQUIRED_COLUMNS = ("order_id", "customer_id", "order_ts", "amount", "currency")
"""The columns every orders file must have, in the order curated records list them."""

MAX_ORDER_ID_CHARS = 64

MAX_AMOUNT_WHOLE_DIGITS = 36
"""Digits allowed before the decimal point: the curated amount must fit Athena's widest decimal,
``decimal(38, 2)`` (precision at most 38, https://docs.aws.amazon.com/athena/latest/ug/data-types.html),
so a longer amount is rejected as an overflow rather than rounded or truncated."""

MAX_LISTED = 10
"""How many offending column names or positions a header rejection lists before giving the count,
so the reason for a header of a million blank names stays short."""

_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_TIME_SEPARATOR = re.compile(r"[Tt ]")
_CURRENCY_MATCH = _CURRENCY.fullmatch
_CANONICAL_TS_MATCH = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]((?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])"
    r"(\.[0-9]{3}(?:[0-9]{3})?)?(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
).fullmatch
_UTC_SUFFIXES = frozenset({"Z", "+00:00", "-00:00"})
_PLAIN_AMOUNT_MATCH = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?").fullmatch


class HeaderError(ValueError):
    """The header cannot describe the orders schema: the whole object is rejected."""


class RowError(ValueError):
    """A row breaks the schema; the message lists every rule it breaks, separated by "; "."""


@dataclass(frozen=True)
class HeaderLayout:
    """Where each required column sits in a row, as read from the header.

    Attributes:
        positions: Column name -> index in a row, for each of ``REQUIRED_COLUMNS``.
        field_count: Number of fields every row must have (the header's width).
        ignored_columns: Header columns that are not part of the schema and are dropped.
    """

    positions: dict[str, int]
    field_count: int
    ignored_columns: tuple[str, ...]
    indices: tuple[int, ...] = field(init=False, repr=False, compare=False)
    """The positions of ``REQUIRED_COLUMNS`` in that order, computed once for the row loop."""

    def __post_init__(self) -> None:
        indices = tuple(self.positions[column] for column in REQUIRED_COLUMNS)
        object.__setattr__(self, "indices", indices)


def parse_header(fields: list[str]) -> HeaderLayout:
    """Map the header's column names to positions, in one pass over the names (O(n)).

    Raises:
        HeaderError: "blank column names at positions ...", "duplicate columns: ..." or
            "missing columns: ..." (also what a wrong delimiter produces: a ``;``-separated header
            is a single column).

    Example:
        >>> parse_header(["order_id", "customer_id", "order_ts", "amount", "currency"]).field_count
        5
    """
    # Every step is one pass in C (list comprehension, count, dict(zip)) or stops early, so a
    # header at the 1 MiB cap costs a few tens of milliseconds; only a rejected header pays for
    # a second pass to name its offenders.
    names = [field.strip() for field in fields]
    blank_count = names.count("")
    if blank_count:
        first = itertools.islice((i for i, name in enumerate(names, 1) if not name), MAX_LISTED)
        raise HeaderError(
            f"blank column names at positions {_listed(map(str, first), blank_count)}"
        )
    positions = dict(zip(names, range(len(names)), strict=True))  # a repeated name keeps its last
    if len(positions) != len(names):
        seen: set[str] = set()
        duplicates = sorted({name for name in names if name in seen or seen.add(name)})
        shown = (name[:80] for name in duplicates[:MAX_LISTED])
        raise HeaderError(f"duplicate columns: {_listed(shown, len(duplicates))}")
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        raise HeaderError(f"missing columns: {', '.join(missing)}")
    required = frozenset(REQUIRED_COLUMNS)
    ignored = tuple(name for name in names if name not in required)
    return HeaderLayout(
        positions={column: positions[column] for column in REQUIRED_COLUMNS},
        field_count=len(names),
        ignored_columns=ignored,
    )


def _listed(shown: Iterable[str], total: int) -> str:
    """Join the (at most ``MAX_LISTED``) items shown; say how many there are when there are more."""
    text = ", ".join(shown)
    if total > MAX_LISTED:
        return f"{text}, ... ({total} in all)"
    return text


def validate_row(fields: list[str], layout: HeaderLayout) -> dict[str, str]:
    """Validate one row and return it normalised, keyed by ``REQUIRED_COLUMNS`` in that order.

    Raises:
        RowError: With every broken rule, e.g. "amount is negative: '-1'; currency is not 3
            uppercase letters: 'eur'".

    Example:
        >>> layout = parse_header(["order_id", "customer_id", "order_ts", "amount", "currency"])
        >>> validate_row(["A1", "C1", "2024-05-01T10:00:00+02:00", "5", "EUR"], layout)["order_ts"]
        '2024-05-01T08:00:00Z'
    """
    return dict(zip(REQUIRED_COLUMNS, _checked_values(fields, layout), strict=True))


def curated_line(fields: list[str], layout: HeaderLayout) -> bytes:
    r"""``curated_json_line(validate_row(fields, layout))``, the same bytes, without the dict.

    What the handler calls per row. Each value is escaped by the C function ``json.dumps`` uses
    and set into a template of the fixed keys.

    Raises:
        RowError: As ``validate_row``.

    Example:
        >>> layout = parse_header(["order_id", "customer_id", "order_ts", "amount", "currency"])
        >>> curated_line(["A1", "C1", "2024-05-01 10:00:00", "5", "EUR"], layout)[-68:]
        b'"order_ts":"2024-05-01T10:00:00Z","amount":"5.00","currency":"EUR"}\n'
    """
    return (_CURATED_LINE % tuple(map(encode_basestring, _checked_values(fields, layout)))).encode()


def _checked_values(fields: list[str], layout: HeaderLayout) -> tuple[str, ...]:
    """The row's normalised values in ``REQUIRED_COLUMNS`` order, or ``RowError``."""
    if len(fields) != layout.field_count:
        raise RowError(f"expected {layout.field_count} fields, got {len(fields)}")
    at_id, at_customer, at_ts, at_amount, at_currency = layout.indices
    order_id = fields[at_id].strip()
    customer_id = fields[at_customer].strip()
    order_ts = fields[at_ts].strip()
    amount = fields[at_amount].strip()
    currency = fields[at_currency].strip()
    # Fast path, for a row that breaks no rule: the same checks inline, with the cheap forms of
    # the common values (``_plain_amount``, ``_canonical_utc_ts``); any doubt or fault falls
    # through to the full path, which runs every check in turn and names every broken rule.
    try:
        if (
            order_id
            and len(order_id) <= MAX_ORDER_ID_CHARS
            and customer_id
            and _CURRENCY_MATCH(currency)
            and (plain := _plain_amount(amount)) is not None
        ):
            utc = _canonical_utc_ts(order_ts) or normalise_order_ts(order_ts)
            return (order_id, customer_id, utc, plain, currency)
    except Exception:  # the full path below reports it, with its rule
        pass
    values = (order_id, customer_id, order_ts, amount, currency)
    return tuple(_validate_fields(dict(zip(REQUIRED_COLUMNS, values, strict=True))).values())


def _validate_fields(values: dict[str, str]) -> dict[str, str]:
    """The full path: run every column's check on the trimmed values; collect every error."""
    errors: list[str] = []
    order: dict[str, str] = {}
    for column, check in _CHECKS.items():
        try:
            order[column] = check(values[column])
        except ValueError as exc:
            errors.append(str(exc))
        except Exception as exc:  # any fault in one field rejects its row only
            # e.g. OverflowError from astimezone() at year 1 or 9999: the value is out of range.
            errors.append(
                f"{column} cannot be normalised: {value_excerpt(values[column])} "
                f"({type(exc).__name__}: {exc})"
            )
    if errors:
        raise RowError("; ".join(errors))
    return order


def value_excerpt(value: str, limit: int = 80) -> str:
    """Return ``repr(value)``, shortened to ``limit`` characters, for a rejection reason."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_order_id(value: str) -> str:
    """Return the order id, or raise ValueError if it is empty or too long."""
    if not value:
        raise ValueError("order_id is empty")
    if len(value) > MAX_ORDER_ID_CHARS:
        raise ValueError(f"order_id longer than {MAX_ORDER_ID_CHARS} characters")
    return value


def check_customer_id(value: str) -> str:
    """Return the customer id, or raise ValueError if it is empty."""
    if not value:
        raise ValueError("customer_id is empty")
    return value


def normalise_order_ts(value: str) -> str:
    """Return an ISO-8601 datetime as UTC with a ``Z`` suffix; a naive time is taken as UTC.

    Example:
        >>> normalise_order_ts("2024-05-01 10:00:00")
        '2024-05-01T10:00:00Z'
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    # fromisoformat also accepts a bare date; an order needs a time, so require one.
    if parsed is None or not _TIME_SEPARATOR.search(value):
        raise ValueError(f"order_ts is not an ISO-8601 datetime: {value_excerpt(value)}")
    if parsed.tzinfo is None:  # naive: taken as UTC, already what is written
        return parsed.isoformat() + "Z"
    return parsed.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _canonical_utc_ts(value: str) -> str | None:
    """``normalise_order_ts`` for the common export forms, with less datetime work; else None.

    Covers ``YYYY-MM-DD[T ]HH:MM:SS``, optionally ``.fff`` or ``.ffffff``, optionally ``Z`` or a
    ``+HH:MM``/``-HH:MM`` offset. A UTC or naive time to the second is already the curated form
    once the separator and suffix are fixed, so it is sliced, not formatted;
    ``datetime.fromisoformat`` still decides whether the date exists (``2024-02-30`` raises
    ``ValueError``, and the caller falls back to the full path). Other offsets are subtracted
    as a cached ``timedelta`` from the naive time. Hour 24, which newer Pythons read as the next
    day's midnight, is left to the full path, as is anything else. Wherever this answers, it
    equals ``normalise_order_ts`` (a property test checks it); a date pushed past year 1 or
    9999 raises ``OverflowError`` here too, and the full path words the reason.

    Example:
        >>> _canonical_utc_ts("2024-05-01 10:00:00+00:00"), _canonical_utc_ts("2024-05-01")
        ('2024-05-01T10:00:00Z', None)
        >>> _canonical_utc_ts("2024-05-01T01:00:00.250+01:30")
        '2024-04-30T23:30:00.250000Z'
        >>> _canonical_utc_ts("2024-05-01T00:30:00.5-01:00") is None  # 1 fraction digit: full path
        True
    """
    match = _CANONICAL_TS_MATCH(value)
    if match is None:
        return None
    date, clock, fraction, zone = match.groups()
    parsed = datetime.fromisoformat(f"{date}T{clock}{fraction or ''}")  # checks the date exists
    if zone is None or zone in _UTC_SUFFIXES:
        if fraction is None:
            return f"{date}T{clock}Z"
    else:
        parsed -= _offset(zone)
    return parsed.isoformat() + "Z"


@functools.cache
def _offset(zone: str) -> timedelta:
    """``+HH:MM`` or ``-HH:MM`` as a timedelta (at most 2 x 24 x 60 distinct values)."""
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    offset = timedelta(hours=hours, minutes=minutes)
    return -offset if zone[0] == "-" else offset


def normalise_amount(value: str) -> str:
    """Return a non-negative amount with at most 2 decimals as a string with exactly 2 decimals.

    Example:
        >>> normalise_amount("12.5")
        '12.50'
    """
    if not _AMOUNT.fullmatch(value):
        raise ValueError(f"amount is not a decimal number: {value_excerpt(value)}")
    amount = Decimal(value)
    if amount < 0:
        raise ValueError(f"amount is negative: {value_excerpt(value)}")
    whole, _, decimals = value.lstrip("-").partition(".")
    if len(decimals) > 2:
        raise ValueError(f"amount has more than 2 decimal places: {value_excerpt(value)}")
    if len(whole.lstrip("0")) > MAX_AMOUNT_WHOLE_DIGITS:
        raise ValueError(
            f"amount has more than {MAX_AMOUNT_WHOLE_DIGITS} digits before the point: "
            f"{value_excerpt(value)}"
        )
    # copy_abs(), not abs(): abs() rounds to the context's 28 digits and would silently change a
    # long amount; copy_abs() is exact and still turns "-0" into "0.00" rather than "-0.00".
    return f"{amount.copy_abs():.2f}"


def _plain_amount(value: str) -> str | None:
    """``normalise_amount`` for the common form, without ``Decimal``; None for anything else.

    Covers unsigned digits with at most 2 decimals and at most ``MAX_AMOUNT_WHOLE_DIGITS``
    significant whole digits (the only accepted amounts apart from a negative zero); everything
    else, accepted or not, is left to ``normalise_amount``. Both give the same string wherever
    this one answers (a property test checks it).

    Example:
        >>> _plain_amount("007.5"), _plain_amount("-0"), _plain_amount("1.234")
        ('7.50', None, None)
    """
    match = _PLAIN_AMOUNT_MATCH(value)
    if match is None:
        return None
    whole, cents = match.groups()
    whole = whole.lstrip("0") or "0"
    if len(whole) > MAX_AMOUNT_WHOLE_DIGITS:
        return None
    return f"{whole}.{cents or '00':0<2}"


def check_currency(value: str) -> str:
    """Return the currency code, or raise ValueError unless it is 3 uppercase ASCII letters."""
    if not _CURRENCY.fullmatch(value):
        raise ValueError(f"currency is not 3 uppercase letters: {value_excerpt(value)}")
    return value


_CHECKS = {
    "order_id": check_order_id,
    "customer_id": check_customer_id,
    "order_ts": normalise_order_ts,
    "amount": normalise_amount,
    "currency": check_currency,
}


def curated_json_line(order: dict[str, str]) -> bytes:
    """Encode a validated order as one JSON Lines record (UTF-8, newline-terminated).

    Compact separators and a fixed key order make the output byte-identical on every run, which
    is what makes a duplicate delivery rewrite the same object. The bytes are exactly those of
    ``json.dumps(order, ensure_ascii=False, separators=(",", ":"))``: every key and value is a
    string, escaped by the same C function ``json.dumps`` uses, without building an encoder per
    row; anything that is not a string goes through a (reused) encoder.
    """
    try:
        text = ",".join(
            [f"{encode_basestring(k)}:{encode_basestring(v)}" for k, v in order.items()]
        )
    except TypeError:
        return (_CURATED_ENCODER.encode(order) + "\n").encode()
    return f"{{{text}}}\n".encode()


_CURATED_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_CURATED_LINE = (
    "{" + ",".join(f"{encode_basestring(column)}:%s" for column in REQUIRED_COLUMNS) + "}\n"
)
"""``{"order_id":%s,...}``: the curated record with its values still to be set, escaped."""
