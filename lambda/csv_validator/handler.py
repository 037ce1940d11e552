"""Validate orders CSV files uploaded to S3 and write curated and rejected rows as JSON Lines.

Flow per record of the S3 notification: parse (Powertools ``S3Event``) -> refuse the event if a
record is outside the configured bucket, prefix and suffix -> skip if an output
already came from a later event for the same key -> stream the exact object version that
triggered the event through the schema -> write valid rows to ``$VALID_PREFIX`` and rejected rows
to ``$REJECTED_PREFIX`` in the output bucket.

Every record ends in one logged outcome: ``processed``, ``rejected`` (the whole object, one
rejection record written), ``skipped_stale`` or ``ignored``. Anything else (a malformed event,
throttling, 5xx, AccessDenied, a missing bucket) raises, so Lambda retries and then the
function's DLQ keeps the event. Reprocessing is safe: outputs are keyed by the source bucket and
key (``output_layout``) and their content depends only on the source bytes, so a retry or
duplicate rewrites the same objects.

Decisions (the row rules themselves are in ``orders_schema``):

- All or nothing per object for object-level faults: an empty object, a header missing required
  columns (what a wrong delimiter looks like), non-UTF-8 bytes anywhere (rows before the bad
  bytes are *not* kept: a mis-encoded export is wrong throughout, and a partial curated file would
  look complete) and a source version deleted before processing each produce one rejection
  record and no curated output. A leading UTF-8 BOM is accepted and dropped.
- Row-level faults (schema, ragged, oversized > 1 Mi characters, unparseable, and any exception
  while validating, normalising or encoding one row) reject that row only; blank lines are not
  rows and are skipped. Only S3 (and KMS behind it) failures fail the invocation.
- Text inside a quoted field is never a row: an oversized record is skipped to its real end, and
  where the next row's start cannot be told (``csv_resync``), one rejection stands for the rest
  of the object.
- A header with blank names (rejected, positions named), duplicates or missing columns rejects
  the object; header handling is linear up to the 1 MiB record cap.
- The outputs at a derived key always describe one source version: a processed object always
  writes its curated output (empty for a header-only file, so the sequencer is recorded), the
  rejected output only when there are rejections, and an output an older version left behind
  that this version does not produce is deleted (the output bucket is versioned).

Environment: ``INPUT_BUCKET`` and ``OUTPUT_BUCKET`` (required), ``VALID_PREFIX`` (``curated/``),
``REJECTED_PREFIX`` (``rejected/``), ``INPUT_PREFIX`` (``incoming/``), ``INPUT_SUFFIX``
(``.csv``), plus ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` for the logger and metrics.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError
from csv_stream import InvalidUtf8Error, read_csv_records
from multipart_writer import MultipartWriter
from orders_schema import (
    MAX_LISTED,
    HeaderError,
    HeaderLayout,
    RowError,
    curated_line,
    parse_header,
)
from output_layout import output_key, provenance_metadata, read_provenance
from s3_notification import SourceObject, is_test_event, parse_source_objects
from s3_sequencer import compare_sequencers
from source_filter import check_configured

logger = Logger()
metrics = Metrics()

# GetObject errors that mean the triggering version is gone for good: retrying cannot help.
_GONE_ERROR_CODES = frozenset({"NoSuchKey", "NoSuchVersion"})
# HeadObject has no error body, so a missing key shows up as a bare HTTP status code.
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})

REASON_EMPTY = "empty object"
REASON_SOURCE_GONE = "source object no longer exists"


@functools.cache
def s3_client() -> Any:
    """Return the S3 client, created on first use so tests can set region and credentials first.

    Standard retry mode backs off on throttling and 5xx before an error reaches the handler.
    """
    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))


@dataclass(frozen=True)
class Settings:
    """The handler's configuration, read from the environment the stack sets."""

    input_bucket: str
    output_bucket: str
    valid_prefix: str = "curated/"
    rejected_prefix: str = "rejected/"
    input_prefix: str = "incoming/"
    input_suffix: str = ".csv"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; the two buckets are required, the prefixes have defaults."""
        buckets = {name: environ.get(name) for name in ("INPUT_BUCKET", "OUTPUT_BUCKET")}
        for name, value in buckets.items():
            if not value:
                raise RuntimeError(f"{name} is not set")
        return cls(
            input_bucket=str(buckets["INPUT_BUCKET"]),
            output_bucket=str(buckets["OUTPUT_BUCKET"]),
            valid_prefix=environ.get("VALID_PREFIX", cls.valid_prefix),
            rejected_prefix=environ.get("REJECTED_PREFIX", cls.rejected_prefix),
            input_prefix=environ.get("INPUT_PREFIX", cls.input_prefix),
            input_suffix=environ.get("INPUT_SUFFIX", cls.input_suffix),
        )


@dataclass(frozen=True)
class _Targets:
    """The two output keys of one source object, and what currently sits at each."""

    curated_key: str
    rejected_key: str
    existing: dict[str, dict[str, str]]  # output key -> its metadata, for outputs that exist


class _ObjectRejectedError(Exception):
    """The whole object is unusable: one rejection record replaces all its output."""

    def __init__(self, reason: str, line: int | None = None, raw: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.raw = raw


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process every record of an S3 ``ObjectCreated`` notification.

    Returns:
        ``{"records": [...]}``: one entry per record with its identity and outcome, plus counts,
        reason and output URIs where they apply, so a local runner can print a trace.

    Raises:
        MalformedEventError: The event is not an S3 notification (nothing is written).
        UnexpectedSourceError: A record names a bucket, prefix or suffix this function is not
            configured for (nothing is written; see ``check_configured``).
        botocore.exceptions.ClientError: Any AWS error other than the source version being gone
            (throttling, 5xx, AccessDenied, NoSuchBucket): Lambda retries the event, then sends
            it to the DLQ.
    """
    if is_test_event(event):
        outcome = {
            "outcome": "ignored",
            "event_name": event["Event"],
            "bucket": event.get("Bucket"),
        }
        logger.info("ignored", extra={**outcome, "reason": "S3 test event"})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"records": [outcome]}
    # Parse and check every record before touching S3, so a malformed or foreign event writes
    # nothing.
    sources = parse_source_objects(event)
    settings = Settings.from_env()
    check_configured(sources, settings.input_bucket, settings.input_prefix, settings.input_suffix)
    return {"records": [process_source_object(source, settings) for source in sources]}


def process_source_object(source: SourceObject, settings: Settings) -> dict[str, Any]:
    """Take one notification record to its outcome; return that outcome (also logged).

    Outputs at a derived key always describe one source version: processing writes the outputs
    this version produces and deletes any output an older version left that this one does not
    produce (the output bucket is versioned, so nothing is lost).
    """
    if not source.is_object_created:
        return _finish(source, "ignored", "EventsIgnored", reason=f"event {source.event_name}")
    keys = tuple(
        output_key(prefix, source.bucket, source.key, settings.input_prefix, settings.input_suffix)
        for prefix in (settings.valid_prefix, settings.rejected_prefix)
    )
    existing = {key: _head_metadata(settings.output_bucket, key) for key in keys}
    targets = _Targets(
        curated_key=keys[0],
        rejected_key=keys[1],
        existing={key: metadata for key, metadata in existing.items() if metadata is not None},
    )
    newer = _newer_sequencer(source, targets)
    if newer is not None:
        return _finish(
            source,
            "skipped_stale",
            "ObjectsSkippedStale",
            reason=f"outputs already come from a later event (sequencer {newer})",
        )
    get_args = {"Bucket": source.bucket, "Key": source.key}
    if source.version_id:
        # The exact version that triggered this event, not whatever is current now.
        get_args["VersionId"] = source.version_id
    try:
        body = s3_client().get_object(**get_args)["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in _GONE_ERROR_CODES:
            raise
        return _reject_object(source, settings, targets, _ObjectRejectedError(REASON_SOURCE_GONE))
    try:
        return _transform(source, settings, targets, body)
    finally:
        body.close()


def _transform(
    source: SourceObject, settings: Settings, targets: _Targets, body: Any
) -> dict[str, Any]:
    """Stream the body through the schema into the curated and rejected writers."""
    metadata = provenance_metadata(source.bucket, source.key, source.version_id, source.sequencer)
    bucket = settings.output_bucket
    with (
        MultipartWriter(s3_client(), bucket, targets.curated_key, metadata=metadata) as curated,
        MultipartWriter(s3_client(), bucket, targets.rejected_key, metadata=metadata) as rejected,
    ):
        try:
            valid, rejected_rows = _write_rows(source, body, curated, rejected)
        except _ObjectRejectedError as exc:
            # All or nothing: rows already streamed are discarded with the aborted uploads.
            curated.abort()
            rejected.abort()
            return _reject_object(source, settings, targets, exc)
        if rejected_rows:
            rejected.complete()
        else:
            rejected.abort()
        # Written even when empty (header only): it marks this version as processed and carries
        # the sequencer that later, stale deliveries are compared against.
        curated.complete()
    outputs = [curated]
    if rejected_rows:
        outputs.append(rejected)
    else:
        _delete_obsolete(bucket, targets, targets.rejected_key)
    return _finish(
        source,
        "processed",
        "ObjectsProcessed",
        valid=valid,
        rejected=rejected_rows,
        outputs=[f"s3://{bucket}/{writer.key}" for writer in outputs],
    )


def _write_rows(
    source: SourceObject, body: Any, curated: MultipartWriter, rejected: MultipartWriter
) -> tuple[int, int]:
    """Validate each row and write it to one of the two outputs; return (valid, rejected)."""
    try:
        records = read_csv_records(body)
        header = next(records, None)
        if header is None:
            raise _ObjectRejectedError(REASON_EMPTY)
        if header.fields is None:
            raise _ObjectRejectedError(
                f"unreadable header: {header.error}", header.line, header.raw
            )
        try:
            layout = parse_header(header.fields)
        except HeaderError as exc:
            raise _ObjectRejectedError(str(exc), header.line, header.raw) from exc
        if layout.ignored_columns:
            # Bounded: a header at the record cap can hold hundreds of thousands of names.
            logger.info(
                "extra columns dropped",
                extra={
                    "columns": [name[:80] for name in layout.ignored_columns[:MAX_LISTED]],
                    "count": len(layout.ignored_columns),
                },
            )
        valid = rejected_rows = 0
        for record in records:
            line, reason = _curate(record.fields, layout, record.error)
            if line is not None:
                # Outside the try of _curate: an S3 failure here fails the invocation (retried).
                curated.write(line)
                valid += 1
                continue
            rejected.write(_rejection_line(source, record.line, reason, record.raw))
            rejected_rows += 1
    except InvalidUtf8Error as exc:
        raise _ObjectRejectedError(str(exc), exc.line) from exc
    return valid, rejected_rows


def _curate(
    fields: list[str] | None, layout: HeaderLayout, error: str | None
) -> tuple[bytes | None, str]:
    """Return a row's curated JSON line, or None and the reason it is rejected.

    Any exception from validating, normalising or encoding one row is that row's rejection (the
    schema already turns field faults into ``RowError``; this is the backstop for anything it
    did not foresee), so one bad value can never fail the whole object. Only the S3 writes,
    which happen outside this function, may fail the invocation.
    """
    if fields is None:
        return None, error or "unparseable row"
    try:
        return curated_line(fields, layout), ""
    except RowError as exc:
        return None, str(exc)
    except Exception as exc:  # one bad row never fails its object
        return None, f"row cannot be normalised ({type(exc).__name__}: {str(exc)[:200]})"


def _reject_object(
    source: SourceObject, settings: Settings, targets: _Targets, rejection: _ObjectRejectedError
) -> dict[str, Any]:
    """Write the single rejection record that stands for the whole object."""
    bucket = settings.output_bucket
    metadata = provenance_metadata(source.bucket, source.key, source.version_id, source.sequencer)
    with MultipartWriter(s3_client(), bucket, targets.rejected_key, metadata=metadata) as writer:
        writer.write(_rejection_line(source, rejection.line, rejection.reason, rejection.raw))
        writer.complete()
    _delete_obsolete(bucket, targets, targets.curated_key)
    return _finish(
        source,
        "rejected",
        "ObjectsRejected",
        reason=rejection.reason,
        outputs=[f"s3://{bucket}/{targets.rejected_key}"],
    )


def _rejection_line(source: SourceObject, line: int | None, reason: str, raw: str | None) -> bytes:
    """Encode one rejection as a JSON Lines record naming the source object version."""
    record = {
        "line": line,
        "reason": reason,
        "raw": raw,
        "source_bucket": source.bucket,
        "source_key": source.key,
        "source_version_id": source.version_id,
    }
    return (_REJECTION_ENCODER.encode(record) + "\n").encode()


# What json.dumps(record, ensure_ascii=False, separators=(",", ":")) uses, built once, not per row.
_REJECTION_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _head_metadata(bucket: str, key: str) -> dict[str, str] | None:
    """Return an existing output's user metadata, or None if there is no such output."""
    try:
        return s3_client().head_object(Bucket=bucket, Key=key)["Metadata"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
            return None
        raise


def _newer_sequencer(source: SourceObject, targets: _Targets) -> str | None:
    """Return the sequencer of an existing output written by a later event, if there is one.

    Only outputs of the same source bucket and key count (sequencers are comparable per key
    only), and an equal sequencer is the same event again: it is reprocessed, which rewrites
    identical outputs and repairs a run that failed between its two writes.
    """
    if source.sequencer is None:
        return None  # a hand-made replay without a sequencer cannot be ordered: process it
    for metadata in targets.existing.values():
        provenance = read_provenance(metadata)
        if not provenance.is_from(source.bucket, source.key) or provenance.sequencer is None:
            continue
        if compare_sequencers(provenance.sequencer, source.sequencer) > 0:
            return provenance.sequencer
    return None


def _delete_obsolete(bucket: str, targets: _Targets, key: str) -> None:
    """Delete an output left by an older version that this version does not produce."""
    if key in targets.existing:
        s3_client().delete_object(Bucket=bucket, Key=key)


def _finish(source: SourceObject, outcome: str, metric: str, **details: Any) -> dict[str, Any]:
    """Log a record's outcome with its identity, count it, and return it for the summary."""
    result = {"outcome": outcome, **source.log_fields(), **details}
    logger.info(outcome, extra=result)
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    if outcome == "processed":
        metrics.add_metric(name="RowsValid", unit=MetricUnit.Count, value=details["valid"])
        metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=details["rejected"])
    return result
