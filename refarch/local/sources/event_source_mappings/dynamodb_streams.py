"""The DynamoDB Streams side of a stream mapping: read shards with the role, shape the records.

Lambda's poller calls ``dynamodb:DescribeStream``, ``GetShardIterator`` and ``GetRecords`` on the
table's stream as the function's execution role
(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html); the runner makes each call with a
session of that role. Records are shaped as the documented event (same page): the stream record
with ``eventSourceARN``, ``ApproximateCreationDateTime`` in epoch seconds. Filters see the
record itself (``eventName``, ``dynamodb.NewImage`` in DynamoDB's typed JSON,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html). A discarded batch is
described to the on-failure destination as ``DDBStreamBatchInfo``
(https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html). Records of one item
keep their order: the item's key is the ordering key for ``ParallelizationFactor``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from refarch.local.sources.event_source_mappings.on_failure import shard_batch_info
from refarch.local.sources.event_source_mappings.stream_records import StreamRecord

#: GetRecords returns at most this many records per call.
GET_RECORDS_LIMIT = 1000


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


class DynamoDBStreamShards:
    """Read a DynamoDB table's stream with a ``dynamodbstreams`` client of the function's role."""

    batch_info_key = "DDBStreamBatchInfo"
    source_label = "DynamoDB Streams"

    def __init__(self, streams: Any, stream_arn: str, *, region: str) -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.region = region

    def shards(self) -> list[str]:
        """The stream's shard ids (``DescribeStream``, every page)."""
        shard_ids: list[str] = []
        arguments: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self.streams.describe_stream(**arguments)["StreamDescription"]
            shard_ids.extend(shard["ShardId"] for shard in description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shard_ids
            arguments = {"StreamArn": self.stream_arn, "ExclusiveStartShardId": last}

    def read(self, shard_id: str, after: str | None) -> list[StreamRecord]:
        """Every record of the shard after sequence number ``after`` (from the start if None)."""
        start: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
        if after is not None:
            start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard_id, **start
        )["ShardIterator"]
        records: list[StreamRecord] = []
        while iterator:
            page = self.streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
            records.extend(self._record(shard_id, r) for r in page["Records"])
            # An open shard always returns a next iterator: stop once a read returns nothing.
            iterator = page.get("NextShardIterator") if page["Records"] else None
        return records

    def _record(self, shard_id: str, raw: dict[str, Any]) -> StreamRecord:
        change = dict(raw["dynamodb"])
        created = _epoch(change["ApproximateCreationDateTime"])
        change["ApproximateCreationDateTime"] = int(created)
        event_record = {
            "eventID": raw["eventID"],
            "eventName": raw["eventName"],
            "eventVersion": raw.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": change,
            "eventSourceARN": self.stream_arn,
        }
        if "userIdentity" in raw:
            event_record["userIdentity"] = raw["userIdentity"]
        return StreamRecord(
            shard_id=shard_id,
            sequence_number=change["SequenceNumber"],
            ordering_key=json.dumps(change["Keys"], sort_keys=True),
            arrival=created,
            event_record=event_record,
            filter_view=event_record,
        )

    def batch_info(self, records: list[StreamRecord]) -> dict[str, Any]:
        """The ``DDBStreamBatchInfo`` of a discarded batch: where it is, not what it holds."""
        return shard_batch_info(records, self.stream_arn)
