"""The contract of the job: what a raw clickstream event holds, and what the curated table holds.

Raw events are JSON Lines, one object per line, as the stream-to-lake pattern writes them
(``lambda/clickstream_transform/click_event.py``): ``event_id``, ``event_type``, ``event_time``
and ``ingested_at`` (UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``), ``user_key``, and the optional
``session_id`` and ``page``. Every field is a JSON string; anything else in its place is a
wrong type.

Schema changes upstream are expected: a partner's newer files may rename columns (``customer_id``
arrives as ``customerid``) or add new ones (``customer_age``), which a Glue crawler records in its
log (https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html). Here a renamed field is
mapped back to its name through ``COLUMN_ALIASES``, so the curated table keeps one column across old
and new files; an added field is not written to the curated table (its schema is what Athena users
rely on) but named in the run report, so the change is seen and the contract can be extended on
purpose.

Pure constants and Spark types only: no ``awsglue``, nothing read from the environment.
"""

from __future__ import annotations

from pyspark.sql.types import StringType, StructField, StructType, TimestampType

EVENT_TYPES = frozenset({"page_view", "click", "add_to_cart", "purchase"})
"""The event types the curated table accepts: the same set as the stream's transform Lambda."""

REQUIRED_FIELDS = ("event_id", "event_type", "event_time", "user_key", "ingested_at")
"""Fields every raw event must carry (non-blank strings)."""

OPTIONAL_FIELDS = ("session_id", "page")
"""Fields an event may leave out; absent and ``null`` mean the same."""

EXPECTED_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
"""Every field of a raw event, by its current name."""

COLUMN_ALIASES: dict[str, str] = {"page_url": "page"}
"""Old or new names of a field, mapped to its current name (the renamed-column case above).

``page`` arrives as ``page_url`` in newer files; the alias maps it back. If a record carries both
names, the current name wins.
"""

SOURCE_FIELDS = EXPECTED_FIELDS + tuple(COLUMN_ALIASES)
"""Every field name the job reads from a raw record: current names, then aliases."""

TIME_FIELDS = ("event_time", "ingested_at")
"""Fields holding an ISO-8601 time with a zone, cast to TIMESTAMP in the curated table."""

PARTITION_COLUMNS = ("year", "month", "day")
"""Hive-style partition keys, UTC, zero-padded strings: ``year=2024/month=05/day=01``.

Time-based, "often leading to a multi-level partitioning scheme"
(https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-s3-throttling-optimizing-your-tables.html):
a query for one day reads only that day's folder.
"""

CURATED_SCHEMA = StructType(
    [
        StructField("event_id", StringType()),
        StructField("event_type", StringType()),
        StructField("event_time", TimestampType()),
        StructField("user_key", StringType()),
        StructField("session_id", StringType()),
        StructField("page", StringType()),
        StructField("ingested_at", TimestampType()),
    ]
)
"""The curated table's data columns, in order (the partition columns follow them)."""

CURATED_TABLE_SCHEMA = StructType(
    CURATED_SCHEMA.fields + [StructField(name, StringType()) for name in PARTITION_COLUMNS]
)
"""The curated dataset as read back: data columns plus the partition columns, as strings.

Read with this schema, Spark keeps ``month=05`` as ``"05"`` instead of inferring an integer.
"""

REJECT_REASON = "reject_reason"
"""The quarantine's reason column, and its partition key: ``quarantine/reject_reason=.../``."""

QUARANTINE_SCHEMA = StructType(
    [
        StructField("raw_record", StringType()),
        StructField("source_file", StringType()),
        StructField(REJECT_REASON, StringType()),
        StructField("reject_detail", StringType()),
    ]
)
"""A quarantined row: the record as it arrived, where from, and why it was not curated."""
