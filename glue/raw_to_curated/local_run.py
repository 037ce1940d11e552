"""The job on one machine: the same steps as ``job.py``, with plain Spark and a local bookmark.

Tests, benchmarks and the local runner call ``run_local``; it does what one Glue job run does:

1. list the raw folder and keep the files the bookmark has not seen (Glue: the bookmarked read);
2. read them as JSON Lines, check, dedupe and partition the rows (``curation``);
3. append curated rows as Snappy Parquet under ``year=/month=/day=`` and rejected rows as JSON
   Lines under the quarantine folder (Glue: the catalog-updating sink, which also registers the
   new partitions; locally there is no catalog, the report lists them);
4. save the bookmark, last (Glue: ``job.commit()``): a run that fails before this point is
   repeated in full by the next one, and the dedupe keeps it from writing anything twice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from curated_dataset import write_curated_parquet, write_quarantine_json
from curation import curate_batch
from job_bookmark import FileBookmark, list_input_files
from pyspark.sql import SparkSession
from raw_records import fields_from_json_lines, read_json_lines
from run_report import RunReport

PathLike = str | os.PathLike[str]


def run_local(
    raw_dir: PathLike,
    curated_dir: PathLike,
    quarantine_dir: PathLike,
    bookmark_file: PathLike,
    spark: SparkSession,
    exclusions: Sequence[str] = (),
) -> RunReport:
    """Process the raw files added since the last run; return what was read and written.

    Args:
        raw_dir: The raw zone: JSON Lines files, in any folder structure.
        curated_dir: The curated table's root (Parquet, partitioned by year/month/day).
        quarantine_dir: Where rejected rows go, as JSON Lines with their reason.
        bookmark_file: The bookmark (created on the first run; delete it to start over).
        spark: The session to run on (``local_spark.local_session()``).
        exclusions: Globs of files under ``raw_dir`` that are not data (the job's
            ``--exclusions``: manifests, metadata files); they are never read.

    Example:
        ``run_local("raw", "curated", "quarantine", "bookmark.json", local_session())`` twice:
        the first run reads every file, the second only those added in between.
    """
    bookmark = FileBookmark.load(bookmark_file)
    new_files = bookmark.unprocessed(list_input_files(raw_dir, exclusions))
    if not new_files:
        return RunReport()
    fields = fields_from_json_lines(read_json_lines(spark, [f.path for f in new_files]))
    fields.persist()
    try:
        curation = curate_batch(fields, os.fspath(curated_dir), files_read=len(new_files))
        try:
            if curation.report.rows_curated:
                write_curated_parquet(curation.curated, os.fspath(curated_dir))
            if curation.report.quarantined_total:
                write_quarantine_json(curation.quarantined, os.fspath(quarantine_dir))
        finally:
            curation.curated.unpersist()
    finally:
        fields.unpersist()
    bookmark.with_processed(new_files).save(bookmark_file)
    return curation.report
