"""Firehose transform for the clickstream lake: validate, mask and partition each event.

Flow: Kinesis Data Streams -> Firehose -> this function -> S3, under Hive-style partitions
``year=/month=/day=/hour=`` that dynamic partitioning builds from the keys returned here. This is
Firehose's data transformation: Firehose buffers the records, invokes this function
synchronously with each batch and delivers what it returns
(https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html). Only the attributes
analytics needs leave it (this project's allow-list).

Per record, one outcome, logged with its ``recordId`` unless ``Ok``:

- ``Ok``: a valid event, delivered as one JSON Lines record holding only the allow-listed
  attributes, with ``user_id`` pseudonymised (rules in ``click_event``), partitioned by its own
  event time.
- ``Dropped``: a later copy of an ``event_id`` already in this batch (``batch_dedupe``).
- ``ProcessingFailed``: anything that is not a valid event (not base64, over 1 MB, not UTF-8,
  not a JSON object, a broken field) and any record whose envelope is not what Firehose sends
  (``firehose_batch.record_problem``: no string ``recordId`` or ``data``, a repeated
  ``recordId``, a wrongly typed arrival time or ``kinesisRecordMetadata``). Answered with its
  original data, so Firehose writes it intact under the error output prefix.

One bad record never fails the batch: the answer has one entry per record, in order, whatever
the records hold. Two things raise. An event with no ``records`` list (``MalformedEventError``):
there is nothing to answer per record. And a batch whose answer would exceed Lambda's 6 MB
response even with every record answered unchanged (``BatchTooLargeToAnswerError``), which only
records without the fields every Firehose record carries can cause. Either way Firehose retries
the invocation and then writes the batch to the error output prefix
(https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html),
so nothing is lost.

Logs carry no producer value that failed validation: a failure is logged with the record's
position, its identity (``recordId``, shard, sequence number; strings cut to
``MAX_LOGGED_CHARS``) and a reason that names the field and its JSON type. The summary line's
envelope fields (``invocationId``, ``deliveryStreamArn``, ...) are logged only when they are
strings, cut the same way; otherwise their JSON type is listed under ``envelope_problems``.

The function makes no AWS calls (Firehose reads and writes), so it needs no client, no role
beyond logging, and no configuration besides ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``. Metrics per invocation: ``RecordsOk``, ``RecordsDropped``
(every drop is a duplicate, so there is no separate duplicates metric) and ``RecordsFailed``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from batch_dedupe import BatchDedupe
from click_event import InvalidEventError, clean_event, json_type
from firehose_batch import (
    DROPPED,
    FAILED,
    MAX_RESPONSE_BYTES,
    OK,
    BatchTooLargeToAnswerError,
    UndecodableRecordError,
    decode_data,
    failed_entry,
    ok_entry,
    read_records,
    record_problem,
    repeated_record_ids,
    response_size_bound,
    unchanged_entry,
)

logger = Logger()
metrics = Metrics()

_METRIC_NAMES = {OK: "RecordsOk", DROPPED: "RecordsDropped", FAILED: "RecordsFailed"}

MAX_LOGGED_CHARS = 128
"""Longest string copied into a log line (a Firehose recordId is 62 digits, an ARN under 128)."""

_ENVELOPE_FIELDS = {
    "invocationId": "invocation_id",
    "deliveryStreamArn": "delivery_stream_arn",
    "sourceKinesisStreamArn": "source_kinesis_stream_arn",
    "region": "region",
}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Answer a Firehose transformation batch: one entry per input record, in input order.

    Returns:
        ``{"records": [{"recordId", "result", "data", "metadata"?}, ...]}``; ``metadata``
        (``partitionKeys`` year/month/day/hour) on ``Ok`` entries only. An empty batch gets an
        empty list.

    Raises:
        MalformedEventError: The event has no ``records`` list.
        BatchTooLargeToAnswerError: Even the unchanged answer exceeds Lambda's 6 MB response.
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
            **_envelope_identity(event),
            "records": len(entries),
            "ok": counts[OK],
            "dropped": counts[DROPPED],
            "failed": counts[FAILED],
        },
    )
    return {"records": entries}


def transform_records(records: list[Any]) -> list[dict[str, Any]]:
    """Transform each record and return the answer entries, one per record, in order."""
    dedupe = BatchDedupe()
    repeated = repeated_record_ids(records)
    entries = []
    for index, record in enumerate(records):
        problem = record_problem(record)
        if problem is None and record["recordId"] in repeated:
            problem = "recordId repeated in this batch: no copy can be answered unambiguously"
        if problem is not None:
            logger.warning("record failed", extra={**_identity(index, record), "reason": problem})
            entries.append(failed_entry(record))
            continue
        record_id, data = record["recordId"], record["data"]
        try:
            event = clean_event(decode_data(data), record["approximateArrivalTimestamp"])
        except (UndecodableRecordError, InvalidEventError) as exc:
            logger.warning("record failed", extra={**_identity(index, record), "reason": str(exc)})
            entries.append(unchanged_entry(record_id, data, FAILED))
            continue
        first = dedupe.first_record_of(event.event_id, record_id)
        if first is not None:
            logger.info(
                "duplicate dropped",
                extra={
                    **_identity(index, record),
                    "event_id": event.event_id,  # valid: at most 128 characters
                    "first_record_id": _clip(first),
                    "reason": "event_id already delivered in this batch",
                },
            )
            entries.append(unchanged_entry(record_id, data, DROPPED))
            continue
        entries.append(ok_entry(record_id, event.line, event.partition_keys))
    return entries


def _answer_unchanged(records: list[Any], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer every transformed record with its original data, to fit Lambda's 6 MB response.

    The transformed answer would exceed the limit (see ``firehose_batch``); the original data is
    never larger than the request Firehose sent, which was within it. The records go to the error
    output prefix intact, to be replayed, rather than the whole batch failing.

    Raises:
        BatchTooLargeToAnswerError: Even this answer exceeds the limit, which only records
            lacking the fields every Firehose record carries can cause; Lambda would refuse the
            response anyway, and raising says why.
    """
    bound = response_size_bound(entries)
    unchanged = [
        unchanged_entry(record["recordId"], record["data"], FAILED)
        if entry["result"] == OK
        else entry
        for record, entry in zip(records, entries, strict=True)
    ]
    unchanged_bound = response_size_bound(unchanged)
    if unchanged_bound > MAX_RESPONSE_BYTES:
        raise BatchTooLargeToAnswerError(
            f"answer of {len(records)} records exceeds {MAX_RESPONSE_BYTES} bytes even unchanged"
        )
    logger.error(
        "answer too large: every Ok record answered as ProcessingFailed with its original data",
        extra={"bound_bytes": bound, "limit_bytes": MAX_RESPONSE_BYTES},
    )
    return unchanged


def _identity(index: int, record: Any) -> dict[str, Any]:
    """Return what identifies a record in the logs: its position, Firehose's id, its origin.

    Only strings are copied, cut to ``MAX_LOGGED_CHARS``; a field of another type is logged as
    None (the reason names its type).
    """
    metadata = record.get("kinesisRecordMetadata") if type(record) is dict else None
    if type(metadata) is not dict:
        metadata = {}
    return {
        "record_index": index,
        "record_id": _clip(record.get("recordId") if type(record) is dict else None),
        "shard_id": _clip(metadata.get("shardId")),
        "sequence_number": _clip(metadata.get("sequenceNumber")),
    }


def _envelope_identity(event: dict[str, Any]) -> dict[str, Any]:
    """Return the batch's envelope fields for the summary line: strings cut, other types named."""
    identity: dict[str, Any] = {}
    problems = []
    for field, key in _ENVELOPE_FIELDS.items():
        value = event.get(field)
        identity[key] = _clip(value)
        if value is not None and type(value) is not str:
            problems.append(f"{field} is not a string (got {json_type(value)})")
    if problems:
        identity["envelope_problems"] = problems
    return identity


def _clip(value: Any) -> str | None:
    """A string cut to ``MAX_LOGGED_CHARS`` for a log line; None for anything else."""
    if type(value) is not str:
        return None
    return value if len(value) <= MAX_LOGGED_CHARS else value[: MAX_LOGGED_CHARS - 3] + "..."
