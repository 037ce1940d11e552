"""The data-transformation contract between Firehose and its Lambda function.

Firehose invokes the function synchronously with a batch of records and expects every record
back, once, with a result (Firehose developer guide, "Transform source data" and "Required
parameters for data transformation"):

- the event: ``invocationId``, ``deliveryStreamArn``, ``sourceKinesisStreamArn`` (Kinesis
  source), ``region``, ``records`` (``recordId``, ``approximateArrivalTimestamp`` in ms, base64
  ``data``, and ``kinesisRecordMetadata`` with the shard, partition key, arrival, sequence and
  subsequence numbers);
- the response: ``{"records": [{recordId, result, data, metadata?}]}`` with ``result`` one of
  ``Ok``/``Dropped``/``ProcessingFailed``, ``data`` base64, and for dynamic partitioning
  ``metadata.partitionKeys`` (strings). A response that breaks the contract fails the whole
  batch, like an invocation error.

The Lambda synchronous invocation mode has a 6 MB payload limit, so a batch is cut before its
event would exceed it, whatever the processor's buffer size says.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Lambda's synchronous request/response payload limit (6 MB).
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024
#: A generous bound on one record's JSON besides its data (ids, timestamps, metadata).
RECORD_OVERHEAD_BYTES = 512
#: The event's JSON besides its records.
EVENT_OVERHEAD_BYTES = 1024
RESULTS = ("Ok", "Dropped", "ProcessingFailed")

#: Error codes and messages Firehose writes to CloudWatch Logs and the error output.
FUNCTION_ERROR = (
    "Lambda.FunctionError",
    "The Lambda function was successfully invoked but it returned an error result.",
)
PROCESSING_FAILED_STATUS = (
    "Lambda.ProcessingFailedStatus",
    "ProcessingFailed status set for record",
)
INVALID_RESPONSE = "Lambda.JsonProcessingException"
MISSING_RECORD_ID = "Lambda.MissingRecordId"
DUPLICATED_RECORD_ID = "Lambda.DuplicatedRecordId"


def epoch_ms(moment: datetime) -> int:
    """Return ``moment`` as milliseconds since the epoch (what the event's timestamps hold)."""
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class SourceRecord:
    """One Kinesis record as Firehose read it."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: datetime
    """``ApproximateArrivalTimestamp`` of the record in the stream (UTC)."""

    record_id: str
    """Firehose's id for the record within the delivery stream (opaque to the function)."""

    subsequence_number: int = 0
    """Non-zero only for records de-aggregated from a KPL aggregate."""


def transformation_event(
    records: Sequence[SourceRecord],
    *,
    invocation_id: str,
    delivery_stream_arn: str,
    source_stream_arn: str,
    region: str,
) -> dict[str, Any]:
    """Build the event Firehose sends the transform for a batch read from a Kinesis stream."""
    return {
        "invocationId": invocation_id,
        "deliveryStreamArn": delivery_stream_arn,
        "sourceKinesisStreamArn": source_stream_arn,
        "region": region,
        "records": [
            {
                "recordId": record.record_id,
                "approximateArrivalTimestamp": epoch_ms(record.arrival),
                "data": base64.b64encode(record.data).decode(),
                "kinesisRecordMetadata": {
                    "shardId": record.shard_id,
                    "partitionKey": record.partition_key,
                    "approximateArrivalTimestamp": epoch_ms(record.arrival),
                    "sequenceNumber": record.sequence_number,
                    "subsequenceNumber": record.subsequence_number,
                },
            }
            for record in records
        ],
    }


def event_size(data_bytes: int) -> int:
    """Return an upper bound of the event's size for one record of ``data_bytes``."""
    return 4 * ((data_bytes + 2) // 3) + RECORD_OVERHEAD_BYTES


@dataclass(frozen=True)
class TransformedRecord:
    """One record of a valid response."""

    record_id: str
    result: str
    data: bytes
    partition_keys: dict[str, str] = field(default_factory=dict)


class InvalidResponseError(Exception):
    """The function's response breaks the contract: the whole batch fails."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_response(response: Any, record_ids: Sequence[str]) -> dict[str, TransformedRecord]:
    """Validate a transform's response as Firehose does; return the records by id.

    Raises:
        InvalidResponseError: A record id is missing, repeated or unknown, a result is not
            Ok/Dropped/ProcessingFailed, data is not base64, or partition keys are not strings.

    Example:
        >>> ok = {"recordId": "1", "result": "Ok", "data": "aGk="}
        >>> parse_response({"records": [ok]}, ["1"])["1"].data
        b'hi'
    """
    if not isinstance(response, dict) or not isinstance(response.get("records"), list):
        raise InvalidResponseError(
            INVALID_RESPONSE, "The response is not an object with a 'records' list."
        )
    expected = set(record_ids)
    found: dict[str, TransformedRecord] = {}
    for item in response["records"]:
        if not isinstance(item, dict):
            raise InvalidResponseError(
                INVALID_RESPONSE, f"A returned record is not an object: {item!r}"
            )
        record_id = item.get("recordId")
        if record_id in found:
            raise InvalidResponseError(
                DUPLICATED_RECORD_ID,
                f"Multiple records were returned with the same record ID {record_id}.",
            )
        if record_id not in expected:
            raise InvalidResponseError(
                INVALID_RESPONSE, f"The returned record ID {record_id!r} was not in the batch."
            )
        result = item.get("result")
        if result not in RESULTS:
            raise InvalidResponseError(
                INVALID_RESPONSE, f"Record {record_id}: result {result!r} is not one of {RESULTS}."
            )
        encoded = item.get("data", "")
        if not isinstance(encoded, str):
            raise InvalidResponseError(
                INVALID_RESPONSE, f"Record {record_id}: data is not a string."
            )
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidResponseError(
                INVALID_RESPONSE, f"Record {record_id}: data is not valid base64."
            ) from None
        keys = (item.get("metadata") or {}).get("partitionKeys") or {}
        if not isinstance(keys, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
        ):
            raise InvalidResponseError(
                INVALID_RESPONSE, f"Record {record_id}: partitionKeys must map strings to strings."
            )
        found[record_id] = TransformedRecord(record_id, result, data, dict(keys))
    missing = expected - set(found)
    if missing:
        raise InvalidResponseError(
            MISSING_RECORD_ID, f"One or more record IDs were not returned: {sorted(missing)[:5]}."
        )
    return found


def describe_results(records: dict[str, TransformedRecord]) -> str:
    """Count a response's results for the trace: ``38 Ok, 3 Dropped, 3 ProcessingFailed``."""
    counts = {result: 0 for result in RESULTS}
    for record in records.values():
        counts[record.result] += 1
    return ", ".join(f"{count} {result}" for result, count in counts.items())


def response_summary(payload: bytes) -> Any:
    """Return a response payload parsed as JSON, or its text when it is not JSON."""
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return payload.decode("utf-8", "replace")
