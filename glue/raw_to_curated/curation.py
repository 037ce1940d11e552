"""The job's steps in order, shared by the Glue entry point and the local run.

raw fields -> checked against the contract -> valid events deduped by ``event_id`` and given
their partition -> (curated, quarantined); then events already curated by an earlier run are
left out, and the run is counted. Writing is the caller's: Glue's catalog-updating sink in
``job.py``, plain Parquet in ``local_run.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from curated_dataset import curated_event_ids
from event_dedupe import dedupe_by_event_id, drop_already_curated
from event_partitions import partition_path, with_partition_columns
from event_schema import CURATED_SCHEMA, PARTITION_COLUMNS
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from quality_rules import REJECT_REASON, check_events, valid_and_rejected
from raw_records import UNEXPECTED_FIELDS
from run_report import RunReport

CURATED_COLUMNS = (*CURATED_SCHEMA.fieldNames(), *PARTITION_COLUMNS)
"""The columns written to the curated table, partition columns last."""


@dataclass(frozen=True)
class Curation:
    """One run's output, not yet written.

    Attributes:
        curated: New rows for the curated table (``CURATED_COLUMNS``). Persisted: unpersist it
            after writing.
        quarantined: Rejected rows (``event_schema.QUARANTINE_SCHEMA``).
        report: The run's counts, taken before anything is written.
    """

    curated: DataFrame
    quarantined: DataFrame
    report: RunReport


def split_curated_quarantined(fields: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Split raw fields into (curated, quarantined): every row goes to exactly one, or is a copy.

    Curated rows are valid events, one per ``event_id`` (the earliest ingested), with their
    partition columns; quarantined rows are the records that broke a rule, with the reason.
    """
    valid, quarantined = valid_and_rejected(check_events(fields))
    curated = with_partition_columns(dedupe_by_event_id(valid)).select(*CURATED_COLUMNS)
    return curated, quarantined


def curate_batch(fields: DataFrame, curated_path: str, files_read: int) -> Curation:
    """Run every step on one batch of raw fields and count the outcome.

    Args:
        fields: The raw fields frame of this run's input (persist it: it is read several times).
        curated_path: Where the curated table lives (a folder or ``s3://`` prefix), to leave out
            events an earlier run curated. Only the partitions this batch writes are read.
        files_read: How many input files the batch came from, for the report.
    """
    outcome = (
        check_events(fields)
        .groupBy(REJECT_REASON)
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.array_distinct(F.flatten(F.collect_list(UNEXPECTED_FIELDS))).alias("fields"),
        )
        .collect()
    )
    by_reason = {row[REJECT_REASON]: row["rows"] for row in outcome}
    valid_rows = by_reason.pop(None, 0)
    unexpected = sorted({name for row in outcome for name in row["fields"]})

    deduped, quarantined = split_curated_quarantined(fields)
    touched = _rows_per_partition(deduped)
    already = curated_event_ids(deduped.sparkSession, curated_path, touched)
    # Persisted and counted before anything is written: the new rows are decided against the
    # curated table as it was, not as this run's own writes leave it.
    curated = drop_already_curated(deduped, already).persist()
    written = _rows_per_partition(curated)
    rows_curated = sum(written.values())
    report = RunReport(
        files_read=files_read,
        rows_read=valid_rows + sum(by_reason.values()),
        rows_curated=rows_curated,
        rows_quarantined=by_reason,
        duplicates_in_input=valid_rows - sum(touched.values()),
        duplicates_already_curated=sum(touched.values()) - rows_curated,
        partitions_written=tuple(partition_path(p) for p in sorted(written)),
        unexpected_fields=tuple(unexpected),
    )
    return Curation(curated=curated, quarantined=quarantined, report=report)


def _rows_per_partition(rows: DataFrame) -> dict[tuple[str, str, str], int]:
    """Row count of each partition the rows fall in."""
    counts = rows.groupBy(*PARTITION_COLUMNS).count().collect()
    return {(r["year"], r["month"], r["day"]): r["count"] for r in counts}
