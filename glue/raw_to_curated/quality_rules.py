"""Check each raw record against the contract: cast its times, give every bad row its reason.

Bad input is never dropped silently: a record that breaks a rule keeps its raw text and gets
one reason code (the first broken rule, in ``REJECT_REASONS`` order) and a readable detail, and
goes to the quarantine; everything else is a valid event. The rules:

- ``malformed_json``: the line is not a JSON object.
- ``wrong_type``: a field holds a JSON number, boolean, object or array instead of a string.
- ``missing_event_id``: ``event_id`` absent, null or blank. It is the key duplicates are removed
  by ("embed a primary key within the record to remove duplicates later when processing":
  https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-processor-duplicates.html).
- ``unknown_event_type``: ``event_type`` absent or not one of ``EVENT_TYPES`` (exact case).
- ``unparseable_event_time`` / ``unparseable_ingested_at``: absent, or not an ISO-8601 date and
  time with seconds and a zone (``2024-05-01T10:00:00.000Z``, ``...T12:00:00+02:00``; fraction
  optional), or no such instant (February 30, hour 24). A time without a zone is rejected
  rather than read in whatever time zone the session has.
- ``event_time_out_of_range``: before ``EARLIEST_EVENT_TIME`` or more than ``MAX_CLOCK_AHEAD``
  after ``ingested_at``. The table is partitioned by event time, so a producer with a broken
  clock would otherwise create partitions years away (the stream's transform applies the same
  bounds).
- ``missing_user_key``: ``user_key`` absent, null or blank.

Times are parsed with Spark's cast from string, after a regular expression has fixed the shape:
the cast is zone-aware and returns null for impossible dates, where ``to_timestamp`` with a
pattern fails the whole job under Spark 3's default ``timeParserPolicy`` for inputs the pre-3.0
parser would have read differently.
"""

from __future__ import annotations

from event_schema import EVENT_TYPES, REJECT_REASON
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from raw_records import MALFORMED, RAW_RECORD, SOURCE_FILE, WRONG_TYPE_FIELDS

MALFORMED_JSON = "malformed_json"
WRONG_TYPE = "wrong_type"
MISSING_EVENT_ID = "missing_event_id"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
UNPARSEABLE_EVENT_TIME = "unparseable_event_time"
UNPARSEABLE_INGESTED_AT = "unparseable_ingested_at"
EVENT_TIME_OUT_OF_RANGE = "event_time_out_of_range"
MISSING_USER_KEY = "missing_user_key"

REJECT_REASONS = (
    MALFORMED_JSON,
    WRONG_TYPE,
    MISSING_EVENT_ID,
    UNKNOWN_EVENT_TYPE,
    UNPARSEABLE_EVENT_TIME,
    UNPARSEABLE_INGESTED_AT,
    EVENT_TIME_OUT_OF_RANGE,
    MISSING_USER_KEY,
)
"""Every reason a row is quarantined for, in the order the rules are checked."""

REJECT_DETAIL = "reject_detail"
EVENT_TS = "event_ts"
INGESTED_TS = "ingested_ts"

ISO_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
"""The accepted shape of a time: extended ISO-8601, seconds required, ``Z`` or ``±hh:mm``."""

EARLIEST_EVENT_TIME = "2000-01-01T00:00:00Z"
"""Events dated before this are rejected (a clock reset to the epoch, a unit mix-up)."""

MAX_CLOCK_AHEAD = "INTERVAL 1 DAY"
"""How far an event may be dated after it was ingested."""

_SHOWN_CHARS = 80


def check_events(fields: DataFrame) -> DataFrame:
    """Add the typed times and the verdict to the raw fields frame.

    Adds ``event_ts`` and ``ingested_ts`` (TIMESTAMP, null when unparseable), ``reject_reason``
    (null for a valid event) and ``reject_detail``.
    """
    event_ts = parse_time("event_time")
    ingested_ts = parse_time("ingested_at")
    event_id, event_type, user_key = F.col("event_id"), F.col("event_type"), F.col("user_key")
    wrong_type = F.col(WRONG_TYPE_FIELDS)
    earliest = F.lit(EARLIEST_EVENT_TIME).cast("timestamp")
    out_of_range = (event_ts < earliest) | (event_ts > ingested_ts + F.expr(MAX_CLOCK_AHEAD))
    rules: list[tuple[Column, str, Column]] = [
        (F.col(MALFORMED), MALFORMED_JSON, F.lit("not a JSON object")),
        (
            F.size(wrong_type) > 0,
            WRONG_TYPE,
            F.concat(F.lit("not a JSON string: "), F.array_join(wrong_type, ", ")),
        ),
        (_blank(event_id), MISSING_EVENT_ID, F.lit("event_id is missing or blank")),
        (
            event_type.isNull() | ~event_type.isin(*sorted(EVENT_TYPES)),
            UNKNOWN_EVENT_TYPE,
            _detail(f"event_type is not one of {', '.join(sorted(EVENT_TYPES))}", event_type),
        ),
        (
            event_ts.isNull(),
            UNPARSEABLE_EVENT_TIME,
            _detail("event_time is not an ISO-8601 time with a zone", F.col("event_time")),
        ),
        (
            ingested_ts.isNull(),
            UNPARSEABLE_INGESTED_AT,
            _detail("ingested_at is not an ISO-8601 time with a zone", F.col("ingested_at")),
        ),
        (
            out_of_range,
            EVENT_TIME_OUT_OF_RANGE,
            _detail(
                f"event_time is before {EARLIEST_EVENT_TIME[:4]} or over a day after ingested_at",
                F.col("event_time"),
            ),
        ),
        (_blank(user_key), MISSING_USER_KEY, F.lit("user_key is missing or blank")),
    ]
    reason = F.when(rules[0][0], F.lit(rules[0][1]))
    detail = F.when(rules[0][0], rules[0][2])
    for condition, code, text in rules[1:]:
        reason = reason.when(condition, F.lit(code))
        detail = detail.when(condition, text)
    return fields.select(
        "*",
        event_ts.alias(EVENT_TS),
        ingested_ts.alias(INGESTED_TS),
        reason.alias(REJECT_REASON),
        detail.alias(REJECT_DETAIL),
    )


def valid_and_rejected(checked: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Split checked rows: (valid events, quarantined rows). Every row lands in exactly one.

    Valid events have the curated table's data columns (times as TIMESTAMP) and
    ``source_file``; quarantined rows have ``event_schema.QUARANTINE_SCHEMA``'s columns.
    """
    reason = F.col(REJECT_REASON)
    valid = checked.where(reason.isNull()).select(
        "event_id",
        "event_type",
        F.col(EVENT_TS).alias("event_time"),
        "user_key",
        "session_id",
        "page",
        F.col(INGESTED_TS).alias("ingested_at"),
        SOURCE_FILE,
    )
    rejected = checked.where(reason.isNotNull()).select(
        RAW_RECORD, SOURCE_FILE, REJECT_REASON, REJECT_DETAIL
    )
    return valid, rejected


def parse_time(field: str) -> Column:
    """Parse a string column holding an ISO-8601 time with a zone into a TIMESTAMP, else null.

    Example:
        ``"2024-05-01T12:00:00.000+02:00"`` gives the instant 2024-05-01 10:00:00 UTC;
        ``"2024-05-01T10:00:00"`` (no zone) and ``"2024-02-30T10:00:00Z"`` give null.
    """
    # try_cast, not cast: with ANSI mode on, a failed cast raises instead of giving null. Spark
    # 3.5's Python API has no Column.try_cast, hence the SQL expression on the column's name.
    return F.when(F.col(field).rlike(ISO_TIME_PATTERN), F.expr(f"try_cast(`{field}` AS TIMESTAMP)"))


def _blank(column: Column) -> Column:
    """True when a string column is null, empty or only spaces."""
    return column.isNull() | (F.length(F.trim(column)) == 0)


def _detail(message: str, value: Column) -> Column:
    """``message: 'value'`` with the value cut to 80 characters, or ``message: missing``."""
    shown = F.concat(F.lit("'"), F.substring(value, 1, _SHOWN_CHARS), F.lit("'"))
    return F.concat(F.lit(f"{message}: "), F.coalesce(shown, F.lit("missing")))
