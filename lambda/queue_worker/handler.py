"""Write a manifest record for every object version S3 queued, reporting only what failed.

Flow per SQS message (Powertools ``BatchProcessor``): parse the S3 notification in the body →
for each object version, read its first bytes (one ranged GET of that exact version) → write its
manifest record to ``$OUTPUT_BUCKET/$MANIFEST_PREFIX<key>/<version>.json``.

Every message ends in one outcome, with its message id (logged per message for everything but
``written``, whose durable record is the manifest itself: at 10,000 messages a batch, a log line
per success would cost more than the work, see ``bench/queue_worker.py``; the batch's summary
line counts them, and ``POWERTOOLS_LOG_LEVEL=DEBUG`` logs each):

- ``written``: its manifests are written (accepted or rejected, with the reason);
- ``ignored``: S3's ``s3:TestEvent``;
- ``dead_lettered``: a poison message (not an S3 notification, another bucket or prefix, a
  version that no longer exists) is sent to the dead-letter queue at once with its original
  body and a ``FailureReason`` attribute, and counts as handled, since retrying cannot help;
- anything else (throttling, 5xx, AccessDenied, a failed DLQ send) raises: the message is
  listed in ``batchItemFailures``, comes back after the visibility timeout, and SQS moves it to
  the same DLQ after ``maxReceiveCount`` receives. The other messages of the batch are not
  retried (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).

From a FIFO queue (the ``fifo`` variant: S3 → EventBridge → SQS FIFO, one message group per
key prefix) the batch goes through Powertools' ``SqsFifoPartialProcessor``: once a message
raises, the rest of its message group in the batch is returned unprocessed with it, so the
group keeps its order; other groups go on. A poison message is still dead-lettered at once and
counts as handled, so it holds nothing back. A message that fails on its last receive
(``MAX_RECEIVE_COUNT``, the queue's ``maxReceiveCount``) is dead-lettered by the worker with the
reason, instead of by SQS's redrive on the next receive: the group's messages it held back
were received as often and would follow it into the DLQ; this way they are processed, in order.

Duplicates are harmless: a manifest depends only on the object version, so a redelivered
message (standard queues deliver at least once) rewrites the same bytes to the same key.

Environment: ``INPUT_BUCKET``, ``OUTPUT_BUCKET``, ``DEAD_LETTER_QUEUE_URL`` (required),
``INPUT_PREFIX`` (``landing/``), ``MANIFEST_PREFIX`` (``manifests/``), ``MAX_RECEIVE_COUNT``
(FIFO variant: the queue's ``maxReceiveCount``).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError
from manifest import SNIFF_BYTES, manifest_bytes, manifest_key
from upload_message import MAX_KEY_BYTES, ObjectVersion, PoisonMessageError, parse_upload_message

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
#: For a FIFO queue, a failed message must hold back the rest of its message group: AWS's
#: guidance is to stop after the first failure and return the failed and unprocessed messages
#: (https://docs.aws.amazon.com/prescriptive-guidance/latest/lambda-event-filtering-partial-batch-responses-for-sqs/best-practices-partial-batch-responses.html);
#: ``skip_group_on_error`` returns only the failed message's group, so other groups go on
#: (https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/#fifo-queues).
fifo_processor = SqsFifoPartialProcessor(skip_group_on_error=True)

#: GetObject errors meaning the queued version is gone for good.
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404"})
#: SQS message attribute values are cut to this many characters for the reason.
REASON_LIMIT = 1024


@functools.cache
def s3_client() -> Any:
    """The S3 client, created on first use; standard retries back off on throttling and 5xx."""
    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))


@functools.cache
def sqs_client() -> Any:
    """The SQS client for the dead-letter queue, created on first use."""
    return boto3.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 5}))


@dataclass(frozen=True)
class Settings:
    """The handler's configuration, from the environment the stack sets."""

    input_bucket: str
    output_bucket: str
    dead_letter_queue_url: str
    input_prefix: str = "landing/"
    manifest_prefix: str = "manifests/"
    max_receive_count: int = 0
    """The queue's ``maxReceiveCount`` when the worker dead-letters a failing message itself on
    its last receive (the FIFO variant); 0: SQS's redrive does it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings; the bucket names and the DLQ URL are required."""
        missing = [
            name
            for name in ("INPUT_BUCKET", "OUTPUT_BUCKET", "DEAD_LETTER_QUEUE_URL")
            if not environ.get(name)
        ]
        if missing:
            raise RuntimeError(f"not set: {', '.join(missing)}")
        return cls(
            input_bucket=environ["INPUT_BUCKET"],
            output_bucket=environ["OUTPUT_BUCKET"],
            dead_letter_queue_url=environ["DEAD_LETTER_QUEUE_URL"],
            input_prefix=environ.get("INPUT_PREFIX", cls.input_prefix),
            manifest_prefix=environ.get("MANIFEST_PREFIX", cls.manifest_prefix),
            max_receive_count=int(environ.get("MAX_RECEIVE_COUNT") or 0),
        )


#: The ranged GET's ``Range`` header: the sniffed bytes only.
_SNIFF_RANGE = f"bytes=0-{SNIFF_BYTES - 1}"


def _read_first_bytes(s3: Any, version: ObjectVersion) -> tuple[bytes, str | None]:
    """The first ``SNIFF_BYTES`` of the exact version, and its content type."""
    try:
        if version.version_id and version.size:
            # The usual case (a versioned bucket, a non-empty object), without building kwargs.
            response = s3.get_object(
                Bucket=version.bucket,
                Key=version.key,
                VersionId=version.version_id,
                Range=_SNIFF_RANGE,
            )
        else:
            get: dict[str, Any] = {"Bucket": version.bucket, "Key": version.key}
            if version.version_id:
                get["VersionId"] = version.version_id
            if version.size:
                # A range on an empty object is refused (416): read those whole.
                get["Range"] = _SNIFF_RANGE
            response = s3.get_object(**get)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _GONE:
            raise PoisonMessageError("source object version no longer exists") from exc
        raise
    with response["Body"] as body:
        return body.read(SNIFF_BYTES), response.get("ContentType")


def _write_manifest(settings: Settings, version: ObjectVersion) -> tuple[str, str]:
    """Write the version's manifest; return its key and the record's status."""
    key = manifest_key(settings.manifest_prefix, version)
    # UTF-8 takes at most 4 bytes a character: only a long key needs encoding to be measured.
    if len(key) * 4 > MAX_KEY_BYTES and len(key.encode()) > MAX_KEY_BYTES:
        # S3 would refuse the PUT every time (KeyTooLongError): not worth a retry.
        raise PoisonMessageError(f"its manifest key would exceed {MAX_KEY_BYTES} bytes")
    s3 = s3_client()
    first_bytes, content_type = _read_first_bytes(s3, version)
    body, status = manifest_bytes(version, first_bytes=first_bytes, content_type=content_type)
    s3.put_object(
        Bucket=settings.output_bucket,
        Key=key,
        Body=body,
        ContentType="application/json",
    )
    return key, status


def _dead_letter(settings: Settings, record: SQSRecord, reason: str) -> None:
    """Send the original body to the DLQ with why it failed (raises if SQS refuses).

    A FIFO dead-letter queue needs a message group and a deduplication id: the source message's
    group keeps each group's dead letters in order, and its message id makes a retried send a
    duplicate SQS drops while two poison messages with the same body both arrive
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
    """
    send: dict[str, Any] = {
        "QueueUrl": settings.dead_letter_queue_url,
        "MessageBody": record.body,
        "MessageAttributes": {
            "FailureReason": {"DataType": "String", "StringValue": reason[:REASON_LIMIT]},
            "SourceMessageId": {"DataType": "String", "StringValue": record.message_id},
        },
    }
    if settings.dead_letter_queue_url.endswith(".fifo"):
        send["MessageGroupId"] = record.attributes.message_group_id or "dead-letters"
        send["MessageDeduplicationId"] = record.message_id
    sqs_client().send_message(**send)


@functools.cache
def settings() -> Settings:
    """The settings, read once per execution environment."""
    return Settings.from_env()


def handle_message(record: SQSRecord, config: Settings | None = None) -> str:
    """Process one message; return its outcome (raises on a failure worth retrying).

    The outcome's details are built only for the log lines that carry them: at 10,000
    messages a batch, a dictionary per message that nothing reads cost more than a check.
    """
    config = config or settings()
    try:
        versions = parse_upload_message(
            record.raw_event["body"],  # SQSRecord.body, without the wrapper's lookups
            input_bucket=config.input_bucket,
            input_prefix=config.input_prefix,
        )
        if versions is None:
            logger.info(
                "ignored",
                extra={
                    "message_id": record.message_id,
                    "outcome": "ignored",
                    "reason": "S3 test event",
                },
            )
            return "ignored"
        written = []
        for version in versions:
            written.append(_write_manifest(config, version))
    except PoisonMessageError as exc:
        _dead_letter(config, record, exc.reason)
        logger.warning(
            "dead_lettered",
            extra={
                "message_id": record.message_id,
                "outcome": "dead_lettered",
                "reason": exc.reason,
            },
        )
        return "dead_lettered"
    if _debug:
        manifests = [
            {"key": v.key, "status": status, "manifest": key}
            for v, (key, status) in zip(versions, written, strict=True)
        ]
        logger.debug(
            "written",
            extra={"message_id": record.message_id, "outcome": "written", "manifests": manifests},
        )
    return "written"


def _record_handler(record: SQSRecord) -> str:
    try:
        outcome = handle_message(record)
    except Exception as exc:
        limit = settings().max_receive_count
        if not limit or int(record.attributes.approximate_receive_count or 0) < limit:
            logger.exception("failed, left for retry", extra={"message_id": record.message_id})
            raise
        # Its last receive: SQS would move it to the DLQ on the next one, and with it every
        # message of its group this failure held back, received as often. Dead-lettered here
        # with the reason, it lets the rest of its group go on in order.
        reason = (
            f"failed on each of its {limit} receives, the last with {exc.__class__.__name__}: {exc}"
        )
        _dead_letter(settings(), record, reason)
        outcome = "dead_lettered"
        logger.warning(
            outcome, extra={"message_id": record.message_id, "outcome": outcome, "reason": reason}
        )
    _counts[outcome] += 1
    return outcome


#: Whether ``written`` is logged per message (``POWERTOOLS_LOG_LEVEL=DEBUG``): read once per
#: batch, since even a filtered-out log call costs about as much as the outcome it reports.
_debug = False
#: The batch summary's metric per outcome.
_METRICS = {
    "written": "MessagesWritten",
    "ignored": "MessagesIgnored",
    "dead_lettered": "MessagesDeadLettered",
}
#: Messages per outcome in the current batch.
_counts: dict[str, int] = dict.fromkeys(_METRICS, 0)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process a batch from the queue; return the partial batch response.

    Returns:
        ``{"batchItemFailures": [{"itemIdentifier": <message id>}, …]}``: the messages to
        retry (an empty list when every message was handled).
    """
    global _debug
    _counts.update(dict.fromkeys(_METRICS, 0))
    _debug = logger.log_level <= logging.DEBUG
    records = event.get("Records") or [{}]
    fifo = str(records[0].get("eventSourceARN", "")).endswith(".fifo")
    response = process_partial_response(
        event=event,
        record_handler=_record_handler,
        processor=fifo_processor if fifo else processor,
        context=context,
    )
    failed = len(response.get("batchItemFailures", []))
    counted = {outcome: count for outcome, count in _counts.items() if count}
    logger.info(
        "batch", extra={"messages": len(event.get("Records", [])), **counted, "failed": failed}
    )
    for outcome, count in counted.items():
        metrics.add_metric(name=_METRICS[outcome], unit=MetricUnit.Count, value=count)
    metrics.add_metric(name="MessagesFailed", unit=MetricUnit.Count, value=failed)
    return response
