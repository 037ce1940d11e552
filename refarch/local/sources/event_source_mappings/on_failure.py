"""The record a stream mapping sends to its on-failure destination when it discards a batch.

Shape from https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
(and https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html for DynamoDB
Streams): the request context (the condition that discarded the batch and how many times it was
invoked), the response context of the last invocation, and the batch's position in the shard
(``KinesisBatchInfo`` / ``DDBStreamBatchInfo``), not its records: whoever handles the message
reads them back from the stream while the stream still retains them. The page's example shows
the ``RetryAttemptsExhausted`` condition; ``RecordAgeExceeded`` is the runner's name for the
other documented cause (a record older than ``MaximumRecordAgeInSeconds``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from refarch.local.sources.event_source_mappings.stream_records import StreamRecord

RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


def iso(timestamp: float) -> str:
    """``2019-11-14T00:38:04.835Z``, as the record writes times."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def shard_batch_info(records: list[StreamRecord], stream_arn: str) -> dict[str, Any]:
    """Where a discarded batch is in its shard, not what it holds.

    ``KinesisBatchInfo`` and ``DDBStreamBatchInfo`` carry the same fields (the pages above).
    """
    first, last = records[0], records[-1]
    return {
        "shardId": first.shard_id,
        "startSequenceNumber": first.sequence_number,
        "endSequenceNumber": last.sequence_number,
        "approximateArrivalOfFirstRecord": iso(first.arrival),
        "approximateArrivalOfLastRecord": iso(last.arrival),
        "batchSize": len(records),
        "streamArn": stream_arn,
    }


def on_failure_record(
    *,
    function_arn: str,
    request_id: str,
    condition: str,
    invoke_count: int,
    function_error: str,
    batch_info_key: str,
    batch_info: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    """The JSON document Lambda sends for one discarded batch."""
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": function_error,
        },
        "version": "1.0",
        "timestamp": iso(now),
        batch_info_key: batch_info,
    }
