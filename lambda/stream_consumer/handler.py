"""Drop PII from Kinesis events and write each event id to DynamoDB once.

Flow per record (Powertools ``BatchProcessor`` for Kinesis): decode the base64 data → validate
and drop the PII fields (``scrub``) → ``PutItem`` with ``attribute_not_exists(event_id)``.

Every record ends in one outcome, logged with its sequence number:

- ``written``: the scrubbed event is in the table;
- ``duplicate``: the event id is already there (a re-delivery, a retry after a partial batch,
  or the producer sending twice): the conditional write refuses it, nothing is counted twice
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html);
- ``failed``: the record is reported in ``batchItemFailures``. Lambda retries from it, bisects,
  and after ``MaximumRetryAttempts`` sends its shard position to the on-failure queue
  (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
  A poison record (not JSON, no event id...) fails with its reason logged at WARNING; anything
  else (throttling, AccessDenied) at ERROR.

Environment: ``TABLE_NAME`` (required), ``PII_FIELDS`` (comma-separated field names).
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError
from scrub import PoisonRecordError, ScrubbedEvent, decode, pii_set, scrub

logger = Logger()
metrics = Metrics()
# A batch whose every record failed is still a partial response (not an error): Lambda then
# retries from the first failed record instead of treating the invocation as failed.
processor = BatchProcessor(
    event_type=EventType.KinesisDataStreams, raise_on_entire_batch_failure=False
)


@functools.cache
def table() -> Any:
    """The DynamoDB table, created on first use; standard retries back off on throttling."""
    resource = boto3.resource(
        "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 5})
    )
    return resource.Table(os.environ["TABLE_NAME"])


@functools.cache
def pii_fields() -> frozenset[str]:
    """The fields to drop, from ``PII_FIELDS`` (lowercased)."""
    return pii_set(f.strip() for f in os.environ.get("PII_FIELDS", "").split(",") if f.strip())


def write_once(event: ScrubbedEvent, *, shard_sequence: str) -> bool:
    """Put the event unless its id is already there; True if written, False if a duplicate."""
    try:
        table().put_item(
            Item={
                "event_id": event.event_id,
                "event_type": event.event_type,
                "body": event.body,
                "source_sequence": shard_sequence,
            },
            ConditionExpression="attribute_not_exists(event_id)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def handle_record(record: KinesisStreamRecord) -> str:
    """Process one record; return ``written`` or ``duplicate`` (raises when it failed)."""
    # The record's own dictionary: each wrapper property is a lookup (and ``kinesis`` a new
    # wrapper) per access, per record.
    kinesis = record.raw_event["kinesis"]
    sequence = kinesis["sequenceNumber"]
    try:
        event = scrub(decode(kinesis["data"]), pii_fields())
    except PoisonRecordError as exc:
        logger.warning("poison", extra={"sequence_number": sequence, "reason": exc.reason})
        raise
    outcome = "written" if write_once(event, shard_sequence=sequence) else "duplicate"
    # The per-record line is off at INFO, and even a filtered-out call costs per record.
    if _debug:
        logger.debug(outcome, extra={"sequence_number": sequence, "event_id": event.event_id})
    return outcome


#: Records per outcome in the current batch.
_counts: dict[str, int] = {}
#: Whether each record's outcome is logged (``POWERTOOLS_LOG_LEVEL=DEBUG``): read per batch.
_debug = False


def _record_handler(record: KinesisStreamRecord) -> str:
    try:
        outcome = handle_record(record)
    except PoisonRecordError:
        _counts["poison"] = _counts.get("poison", 0) + 1
        raise
    except Exception:
        logger.exception("failed", extra={"sequence_number": record.kinesis.sequence_number})
        raise
    _counts[outcome] = _counts.get(outcome, 0) + 1
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process a batch from the stream; return the partial batch response.

    Returns:
        ``{"batchItemFailures": [{"itemIdentifier": <sequence number>}, …]}``.
    """
    global _debug
    _counts.clear()
    _debug = logger.isEnabledFor(logging.DEBUG)
    if not event.get("Records"):
        # Lambda never sends an empty batch, but Powertools refuses one: nothing to report.
        return {"batchItemFailures": []}
    response = process_partial_response(
        event=event, record_handler=_record_handler, processor=processor, context=context
    )
    failed = len(response.get("batchItemFailures", []))
    logger.info(
        "batch", extra={"records": len(event.get("Records", [])), **_counts, "failed": failed}
    )
    for name, metric in (("written", "EventsWritten"), ("duplicate", "DuplicatesSkipped")):
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=_counts.get(name, 0))
    metrics.add_metric(name="RecordsFailed", unit=MetricUnit.Count, value=failed)
    return response
