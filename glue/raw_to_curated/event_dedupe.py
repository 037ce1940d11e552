"""Remove repeated events by ``event_id``: the lake-side dedupe the stream pattern relies on.

Producers retry after a timeout and the stream then holds the same event twice, under different
sequence numbers; Kinesis Data Streams' advice is to "embed a primary key within the record to
remove duplicates later when processing"
(https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-processor-duplicates.html). The
stream's transform drops repeats within one Firehose batch only, so copies in different batches, and
Firehose's own retries, reach the raw zone as separate lines or files. Here:

- within a run, the copy ingested first is kept (earliest ``ingested_at``; then by source file
  and the remaining columns, so the choice never depends on Spark's partitioning);
- across runs, an event already in the curated table is not written again, whichever copy is
  older. Copies of one event carry the same ``event_time`` (a retry re-sends the same data), so
  they fall in the same partition, and only the partitions this run writes to are consulted.
"""

from __future__ import annotations

from event_schema import CURATED_SCHEMA
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from raw_records import SOURCE_FILE

_RANK = "_copy_rank"


def dedupe_by_event_id(events: DataFrame) -> DataFrame:
    """Keep one row per ``event_id``: the earliest ``ingested_at``.

    Ties (a Firehose retry re-sends identical records) are broken by ``source_file`` and then
    by every data column, so the same input always gives the same output.
    """
    tie_breaks = [F.col("ingested_at").asc_nulls_last()]
    if SOURCE_FILE in events.columns:
        tie_breaks.append(F.col(SOURCE_FILE).asc_nulls_last())
    tie_breaks += [F.col(f.name).asc_nulls_last() for f in CURATED_SCHEMA.fields]
    first_copy = Window.partitionBy("event_id").orderBy(*tie_breaks)
    return (
        events.withColumn(_RANK, F.row_number().over(first_copy))
        .where(F.col(_RANK) == 1)
        .drop(_RANK)
    )


def drop_already_curated(events: DataFrame, curated_ids: DataFrame) -> DataFrame:
    """Drop the events whose ``event_id`` is among ``curated_ids`` (a one-column DataFrame)."""
    return events.join(curated_ids.select("event_id").distinct(), on="event_id", how="left_anti")
