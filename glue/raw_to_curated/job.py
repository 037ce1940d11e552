"""Glue entry point: raw JSON Lines -> curated Parquet partitioned by day, catalog updated.

A thin wrapper. The steps are the pure modules next to it (Glue puts them on the Python path
with ``--extra-py-files``); this script only does what needs Glue:

- reads the raw files through a DynamicFrame with ``transformation_ctx``, so the job bookmark
  applies and a run reads only the files added since the last committed run
  (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html; the job needs
  ``--job-bookmark-option job-bookmark-enable``);
- writes curated rows as Snappy Parquet under ``year=/month=/day=`` (``partitionBy`` on the
  partition keys, the same writer the local run uses), then registers each new day in the curated
  table (``curated_catalog``): a catalog update from the job that keeps the table's schema
  (https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html), so a day is queryable when the
  run ends, with no crawler over the curated zone;
- commits the job last, which saves the bookmark: a run that fails earlier is read again in
  full next time, and the dedupe against the curated table keeps it from writing twice.

Arguments: ``--raw_path``, ``--curated_path``, ``--quarantine_path`` (``s3://`` prefixes),
``--database`` and ``--table`` (the curated table), ``--exclusions`` (a JSON list of globs of
raw files that are not data). ``awsglue`` exists only inside Glue, so it
is imported in ``main``: the module itself imports anywhere, and ``local_run`` does the same
steps without it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import boto3
from curated_catalog import partition_from_path, register_partitions
from curated_dataset import quarantine_folder, write_curated_parquet, write_quarantine_json
from curation import curate_batch
from quality_rules import MALFORMED_JSON
from raw_records import SOURCE_FILE, fields_from_glue_records
from run_report import RunReport

JOB_ARGUMENTS = (
    "raw_path",
    "curated_path",
    "quarantine_path",
    "database",
    "table",
    "exclusions",
)
"""The job's own arguments (``--raw_path`` ...), besides Glue's ``JOB_NAME``."""

READ_FORMAT_OPTIONS = {"attachFilename": SOURCE_FILE}
"""Glue's reader names each record's source file in a column of its own: ``attachFilename``
("the name of the source file for the record will be appended to the record", Glue "Format
options for ETL inputs and outputs",
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format.html). Spark's
``input_file_name()`` is no substitute: a DynamicFrame converted with ``toDF()`` is not a file
scan of Spark's, and the function is commonly reported empty there; the quarantine and the
``files_read`` count need the name."""

READ_CONTEXT = "read_raw_events"
"""The read's ``transformation_ctx``: the key of the bookmark's state. Renaming it resets the
bookmark (AWS docs), and the next run reads every raw file again."""


def main(argv: list[str]) -> None:
    """Run the job once, with Glue's arguments."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = getResolvedOptions(argv, ["JOB_NAME", *JOB_ARGUMENTS])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)

    raw = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        # The crawler's exclusions (a JSON list of globs): manifests and metadata files under
        # the raw prefix are not data, for the job either.
        connection_options={
            "paths": [args["raw_path"]],
            "recurse": True,
            "exclusions": args["exclusions"],
        },
        format="json",
        format_options=READ_FORMAT_OPTIONS,
        transformation_ctx=READ_CONTEXT,
    )
    # A field whose JSON type differs between records is a "choice": one column per type.
    records = raw.resolveChoice(choice="make_cols").toDF()
    fields = fields_from_glue_records(records)
    fields.persist()
    files_read = fields.select(SOURCE_FILE).distinct().count()
    curation = curate_batch(fields, args["curated_path"], files_read=files_read)

    if curation.report.rows_curated:
        write_curated_parquet(curation.curated, args["curated_path"])
        register_partitions(
            boto3.client("glue"),
            args["database"],
            args["table"],
            [partition_from_path(p) for p in curation.report.partitions_written],
        )
    if curation.report.quarantined_total:
        write_quarantine_json(curation.quarantined, args["quarantine_path"])
    report = curation.report
    # Lines Glue's reader could not parse are error records of the frame, not rows: keep them
    # with the malformed lines, in the error records' own shape.
    reader_errors = raw.errorsAsDynamicFrame().toDF()
    unparsed = reader_errors.count()
    if unparsed:
        reader_errors.write.mode("append").json(
            quarantine_folder(args["quarantine_path"], MALFORMED_JSON)
        )
        report = with_reader_errors(report, unparsed)
    curation.curated.unpersist()
    fields.unpersist()
    # One JSON line in the job's output log: what was read, curated, quarantined, deduplicated.
    print(json.dumps({"run_report": report.as_dict()}))
    job.commit()


def with_reader_errors(report: RunReport, unparsed: int) -> RunReport:
    """Count records Glue's reader could not parse as read and quarantined (``malformed_json``)."""
    quarantined = dict(report.rows_quarantined)
    quarantined[MALFORMED_JSON] = quarantined.get(MALFORMED_JSON, 0) + unparsed
    return replace(report, rows_read=report.rows_read + unparsed, rows_quarantined=quarantined)


if __name__ == "__main__":
    main(sys.argv)
