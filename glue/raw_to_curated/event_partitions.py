"""Partition columns from the event time: ``year``, ``month``, ``day`` of its UTC date.

Partitioning lets a query read only the matching partitions: "When you filter on partition key
columns, only data from matching partitions is read"
(https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-data-optimization-techniques.html);
a time-based layout is the common practice
(https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-s3-throttling-optimizing-your-tables.html).
Values are zero-padded strings (``month=05``), so folders sort as dates in S3 listings and a
partition's path is the same whoever writes it.

The date is the UTC date whatever the session's time zone: it is computed from the instant's
distance to the epoch in whole days, never by formatting a timestamp (which Spark renders in
``spark.sql.session.timeZone``). An event at 23:30 at UTC-02:00 belongs to the next UTC day.
"""

from __future__ import annotations

from collections.abc import Iterable

from event_schema import PARTITION_COLUMNS
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

_MICROS_PER_DAY = 86_400_000_000

Partition = tuple[str, str, str]
"""A partition's values: ``("2024", "05", "01")``."""


def with_partition_columns(events: DataFrame, time_column: str = "event_time") -> DataFrame:
    """Add ``year`` (4 digits), ``month`` and ``day`` (2 digits) of the UTC date of a TIMESTAMP.

    Example:
        ``2024-01-31 23:30:00-02:00`` (``2024-02-01T01:30Z``) gives ``2024``, ``02``, ``01``.
    """
    utc_date = F.date_from_unix_date(
        F.floor(F.unix_micros(F.col(time_column)) / _MICROS_PER_DAY).cast("int")
    )
    return events.select(
        "*",
        F.lpad(F.year(utc_date).cast("string"), 4, "0").alias("year"),
        F.lpad(F.month(utc_date).cast("string"), 2, "0").alias("month"),
        F.lpad(F.dayofmonth(utc_date).cast("string"), 2, "0").alias("day"),
    )


def partition_path(partition: Partition) -> str:
    """The Hive-style path of a partition, relative to the table's root.

    Example:
        >>> partition_path(("2024", "05", "01"))
        'year=2024/month=05/day=01'
    """
    return "/".join(
        f"{name}={value}" for name, value in zip(PARTITION_COLUMNS, partition, strict=True)
    )


def partition_predicate(partitions: Iterable[Partition]) -> Column:
    """A filter that selects exactly these partitions, on partition columns only.

    Spark evaluates it against the folder names (``PartitionFilters`` in the plan) and reads no
    file outside them; for no partitions it selects nothing.
    """
    predicate = F.lit(False)
    for partition in sorted(set(partitions)):
        same = F.lit(True)
        for name, value in zip(PARTITION_COLUMNS, partition, strict=True):
            same = same & (F.col(name) == F.lit(value))
        predicate = predicate | same
    return predicate
