"""Firehose transform for the clickstream lake: validate, mask and partition each event.

Flow: Kinesis Data Streams -> Firehose -> this function -> S3, under Hive-style partitions
``year=/month=/day=/hour=`` that dynamic partitioning builds from the keys returned here. This is
the seed's serverless answer: "use an intermediary Lambda function to filter and transform the
incoming stream before the output is written to S3" and "only ... store a sliced version of the
data with only the relevant data attributes" (seed 004/DE §"Kinesis Data Firehouse").

Per record, one outcome, logged with its ``recordId`` unless ``Ok``:

- ``Ok``: a valid event, delivered as one JSON Lines record holding only the allow-listed
  attributes, with ``user_id`` pseudonymised (rules in ``click_event``), partitioned by its own
  event time.
- ``Dropped``: a later copy of an ``event_id`` already in this batch (``batch_dedupe``).
- ``ProcessingFailed``: anything that is not a valid event (not base64, over 1 MB, not UTF-8,
  not a JSON object, a broken field). Answered with its original data, so Firehose writes it
  intact under the error output prefix.

One bad record never fails the batch. An event that is not a Firehose batch at all raises
``MalformedEventError``: Firehose retries the invocation and then writes the batch to the error
output prefix (AWS docs), so it is not lost either.

The function makes no AWS calls (Firehose reads and writes), so it needs no client, no role
beyond logging, and no configuration besides ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``. Metrics per invocation: ``RecordsOk``, ``RecordsDropped``
(every drop is a duplicate, so there is no separate duplicates metric) and ``RecordsFailed``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event import (
    KinesisFirehoseRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from batch_dedupe import BatchDedupe
from click_event import InvalidEventError, clean_event
from firehose_batch import (
    DROPPED,
    FAILED,
    MAX_RESPONSE_BYTES,
    OK,
    UndecodableRecordError,
    decode_data,
    ok_entry,
    read_records,
    response_size_bound,
    unchanged_entry,
)

logger = Logger()
metrics = Metrics()

_METRIC_NAMES = {OK: "RecordsOk", DROPPED: "RecordsDropped", FAILED: "RecordsFailed"}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer a Firehose transformation batch: one entry per input ``recordId``, in input order.

    Returns:
        ``{"records": [{"recordId", "result", "data", "metadata"?}, ...]}``; ``metadata``
        (``partitionKeys`` year/month/day/hour) on ``Ok`` entries only. An empty batch gets an
        empty list.

    Raises:
        MalformedEventError: The event is not a Firehose batch (no ``records`` list, or a record
            without a unique ``recordId``, string ``data`` or arrival timestamp).
    """
    records = read_records(event)
    entries = transform_records(records)
    if response_size_bound(entries) > MAX_RESPONSE_BYTES:
        entries = _answer_unchanged(records, entries)
    counts = dict.fromkeys(_METRIC_NAMES, 0)
    for entry in entries:
        counts[entry["result"]] += 1
    for result, name in _METRIC_NAMES.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=counts[result])
    logger.info(
        "batch transformed",
        extra={
            "invocation_id": event.get("invocationId"),
            "delivery_stream_arn": event.get("deliveryStreamArn"),
            "source_kinesis_stream_arn": event.get("sourceKinesisStreamArn"),
            "records": len(entries),
            "ok": counts[OK],
            "dropped": counts[DROPPED],
            "failed": counts[FAILED],
        },
    )
    return {"records": entries}


def transform_records(records: list[KinesisFirehoseRecord]) -> list[dict[str, Any]]:
    """Transform each record and return the answer entries, one per record, in order."""
    dedupe = BatchDedupe()
    entries = []
    for record in records:
        try:
            event = clean_event(decode_data(record.data), record.approximate_arrival_timestamp)
        except (UndecodableRecordError, InvalidEventError) as exc:
            logger.warning("record failed", extra={**_identity(record), "reason": str(exc)})
            entries.append(unchanged_entry(record.record_id, record.data, FAILED))
            continue
        first = dedupe.first_record_of(event.event_id, record.record_id)
        if first is not None:
            logger.info(
                "duplicate dropped",
                extra={
                    **_identity(record),
                    "event_id": event.event_id,
                    "first_record_id": first,
                    "reason": "event_id already delivered in this batch",
                },
            )
            entries.append(unchanged_entry(record.record_id, record.data, DROPPED))
            continue
        entries.append(ok_entry(record.record_id, event.line, event.partition_keys))
    return entries


def _answer_unchanged(
    records: list[KinesisFirehoseRecord], entries: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Answer every transformed record with its original data, to fit Lambda's 6 MB response.

    The transformed answer would exceed the limit (see ``firehose_batch``); the original data is
    never larger than the request Firehose sent, which was within it. The records go to the error
    output prefix intact, to be replayed, rather than the whole batch failing.
    """
    logger.error(
        "answer too large: every Ok record answered as ProcessingFailed with its original data",
        extra={"bound_bytes": response_size_bound(entries), "limit_bytes": MAX_RESPONSE_BYTES},
    )
    return [
        unchanged_entry(record.record_id, record.data, FAILED) if entry["result"] == OK else entry
        for record, entry in zip(records, entries, strict=True)
    ]


def _identity(record: KinesisFirehoseRecord) -> dict[str, Any]:
    """Return the fields that identify a record in the logs: Firehose's id and its stream origin."""
    metadata = record.metadata
    return {
        "record_id": record.record_id,
        "shard_id": metadata.get("shardId") if metadata else None,
        "sequence_number": metadata.get("sequenceNumber") if metadata else None,
    }
