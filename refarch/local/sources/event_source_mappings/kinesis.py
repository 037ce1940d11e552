"""The Kinesis side of a stream mapping: read shards with the role, shape the event records.

Lambda's poller lists the shards and reads each with ``GetShardIterator`` and ``GetRecords``
as the function's execution role, so the role needs those actions on the stream and, for a
stream encrypted with a customer managed key, ``kms:Decrypt`` on the key
(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html,
https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html). The runner makes
each call with a session of that role. Records are shaped as the documented event
(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html#services-kinesis-event-example);
a discarded batch is described to the on-failure destination as ``KinesisBatchInfo``
(https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC
from typing import Any

from refarch.local.sources.event_source_mappings.on_failure import shard_batch_info
from refarch.local.sources.event_source_mappings.stream_records import StreamRecord

#: GetRecords returns at most this many records per call.
GET_RECORDS_LIMIT = 10_000


def _filter_view(kinesis_part: dict[str, Any]) -> dict[str, Any]:
    """What a Kinesis filter sees: the metadata, and ``data`` decoded.

    JSON data as the object, anything else as the string
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
    """
    view = dict(kinesis_part)
    try:
        view["data"] = json.loads(base64.b64decode(kinesis_part["data"]))
    except ValueError:
        view["data"] = kinesis_part["data"]
    return view


class KinesisShards:
    """Read a Kinesis stream's shards with a client of the function's role."""

    batch_info_key = "KinesisBatchInfo"
    source_label = "Kinesis"

    def __init__(self, kinesis: Any, stream_arn: str, *, region: str, role_arn: str) -> None:
        self.kinesis = kinesis
        self.stream_arn = stream_arn
        self.region = region
        self.role_arn = role_arn

    def shards(self) -> list[str]:
        """The stream's shard ids (``ListShards``, every page)."""
        shard_ids: list[str] = []
        arguments: dict[str, Any] = {"StreamARN": self.stream_arn}
        while True:
            page = self.kinesis.list_shards(**arguments)
            shard_ids.extend(shard["ShardId"] for shard in page.get("Shards", []))
            if not page.get("NextToken"):
                return shard_ids
            arguments = {"NextToken": page["NextToken"]}

    def read(self, shard_id: str, after: str | None) -> list[StreamRecord]:
        """Every record of the shard after sequence number ``after`` (from the start if None)."""
        start: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
        if after is not None:
            start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
        iterator = self.kinesis.get_shard_iterator(
            StreamARN=self.stream_arn, ShardId=shard_id, **start
        )["ShardIterator"]
        records: list[StreamRecord] = []
        while iterator:
            page = self.kinesis.get_records(
                StreamARN=self.stream_arn, ShardIterator=iterator, Limit=GET_RECORDS_LIMIT
            )
            records.extend(self._record(shard_id, r) for r in page["Records"])
            caught_up = not page["Records"] and page.get("MillisBehindLatest", 0) == 0
            iterator = None if caught_up else page.get("NextShardIterator")
        return records

    def _record(self, shard_id: str, raw: dict[str, Any]) -> StreamRecord:
        arrival = raw["ApproximateArrivalTimestamp"].astimezone(UTC).timestamp()
        sequence = raw["SequenceNumber"]
        kinesis_part = {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": sequence,
            "data": base64.b64encode(raw["Data"]).decode(),
            "approximateArrivalTimestamp": round(arrival, 3),
        }
        event_record = {
            "kinesis": kinesis_part,
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{sequence}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.role_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.stream_arn,
        }
        return StreamRecord(
            shard_id=shard_id,
            sequence_number=sequence,
            ordering_key=raw["PartitionKey"],
            arrival=arrival,
            event_record=event_record,
            filter_view=_filter_view(kinesis_part),
        )

    def batch_info(self, records: list[StreamRecord]) -> dict[str, Any]:
        """The ``KinesisBatchInfo`` of a discarded batch: where it is, not what it holds."""
        return shard_batch_info(records, self.stream_arn)
