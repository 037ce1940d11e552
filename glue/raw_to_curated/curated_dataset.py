"""The curated dataset on storage: Snappy Parquet under ``year=/month=/day=``, and the quarantine.

Parquet because Athena reads only the columns a query needs
(https://docs.aws.amazon.com/athena/latest/ug/columnar-storage.html), compressed because Athena then
reads fewer bytes ("Use compression",
https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-data-optimization-techniques.html).

Plain Spark, so the same code reads and writes a local folder or ``s3://`` in Glue. In Glue the
curated rows are written by the catalog-updating sink instead (``job.py``);
``write_curated_parquet`` is the local path's writer, and lays files out the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from event_partitions import Partition, partition_predicate
from event_schema import CURATED_TABLE_SCHEMA, PARTITION_COLUMNS, QUARANTINE_SCHEMA, REJECT_REASON
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession


def read_curated(spark: SparkSession, path: str) -> DataFrame:
    """The curated dataset, partition columns as strings; empty if nothing was written yet."""
    try:
        return spark.read.schema(CURATED_TABLE_SCHEMA).parquet(path)
    except AnalysisException as exc:
        if exc.getErrorClass() != "PATH_NOT_FOUND":
            raise
        return spark.createDataFrame([], CURATED_TABLE_SCHEMA)


def curated_event_ids(spark: SparkSession, path: str, partitions: Iterable[Partition]) -> DataFrame:
    """The ``event_id`` of every curated row in these partitions, reading only their folders."""
    return read_curated(spark, path).where(partition_predicate(partitions)).select("event_id")


def write_curated_parquet(curated: DataFrame, path: str) -> None:
    """Append curated rows as Snappy Parquet, one folder per day, one file per day and run.

    Rows are shuffled by partition first, so each day's rows are written by one task: a run adds
    one file per day it touches, not one per input split (fewer, larger files for Athena).
    """
    (
        curated.repartition(*PARTITION_COLUMNS)
        .write.mode("append")
        .partitionBy(*PARTITION_COLUMNS)
        .option("compression", "snappy")
        .parquet(path)
    )


def write_quarantine_json(quarantined: DataFrame, path: str) -> None:
    """Append quarantined rows as JSON Lines, one folder per reason (``reject_reason=wrong_type``).

    Each row keeps the record as it arrived, its source file and a readable detail, so it can be
    fixed and replayed; the folders make one kind of problem easy to find and count.
    """
    (
        quarantined.select(*QUARANTINE_SCHEMA.fieldNames())
        .write.mode("append")
        .partitionBy(REJECT_REASON)
        .json(path)
    )


def quarantine_folder(path: str, reason: str) -> str:
    """Where the quarantined rows of one reason are, under the quarantine ``path``."""
    return f"{path.rstrip('/')}/{REJECT_REASON}={reason}/"


def read_quarantine(spark: SparkSession, path: str) -> DataFrame:
    """The quarantined rows written so far, the reason taken from their folder."""
    return spark.read.schema(QUARANTINE_SCHEMA).json(path)
