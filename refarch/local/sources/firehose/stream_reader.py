"""Firehose's side of a Kinesis source: read every shard from its checkpoint until caught up.

A shared-throughput consumer, as Firehose is for its source stream
(https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html): list the shards,
``GetShardIterator`` from ``TRIM_HORIZON`` the first time and ``AFTER_SEQUENCE_NUMBER`` of the
shard's checkpoint afterwards, then ``GetRecords`` with each returned ``NextShardIterator`` until
a call returns nothing and ``MillisBehindLatest`` is 0 (caught up) or the iterator is null (the
shard is closed). Every call is made with the source role's session, so ``kinesis:*`` and, for a
KMS-encrypted stream, ``kms:Decrypt`` are checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from refarch.local.sources.firehose.transformation import SourceRecord

#: GetRecords returns at most this many records per call (the Kinesis default and maximum).
GET_RECORDS_LIMIT = 10_000


@dataclass
class ShardReader:
    """Read a stream's new records, remembering the last sequence number read per shard."""

    kinesis: Any
    """A Kinesis client of the source role."""

    stream_arn: str
    checkpoints: dict[str, str] = field(default_factory=dict)
    """Shard id -> sequence number of the last record read (updated as records are read)."""

    calls: int = 0

    def shards(self) -> list[str]:
        """Return the stream's shard ids (``ListShards``, every page)."""
        shard_ids: list[str] = []
        arguments: dict[str, Any] = {"StreamARN": self.stream_arn}
        while True:
            page = self.kinesis.list_shards(**arguments)
            self.calls += 1
            shard_ids.extend(shard["ShardId"] for shard in page.get("Shards", []))
            if not page.get("NextToken"):
                return shard_ids
            arguments = {"NextToken": page["NextToken"]}

    def read(self) -> Iterator[SourceRecord]:
        """Yield every record not read before, shard by shard, in sequence order."""
        for ordinal, shard_id in enumerate(self.shards()):
            yield from self._read_shard(ordinal, shard_id)

    def _read_shard(self, ordinal: int, shard_id: str) -> Iterator[SourceRecord]:
        start: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
        if shard_id in self.checkpoints:
            start = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": self.checkpoints[shard_id],
            }
        iterator = self.kinesis.get_shard_iterator(
            StreamARN=self.stream_arn, ShardId=shard_id, **start
        )["ShardIterator"]
        self.calls += 1
        while iterator:
            page = self.kinesis.get_records(
                StreamARN=self.stream_arn, ShardIterator=iterator, Limit=GET_RECORDS_LIMIT
            )
            self.calls += 1
            for record in page["Records"]:
                sequence = record["SequenceNumber"]
                self.checkpoints[shard_id] = sequence
                yield SourceRecord(
                    shard_id=shard_id,
                    sequence_number=sequence,
                    partition_key=record["PartitionKey"],
                    data=record["Data"],
                    arrival=record["ApproximateArrivalTimestamp"].astimezone(UTC),
                    # Opaque and unique in the delivery stream: the sequence number and the shard.
                    record_id=f"{int(sequence):056d}{ordinal:06d}",
                )
            caught_up = not page["Records"] and page.get("MillisBehindLatest", 0) == 0
            iterator = None if caught_up else page.get("NextShardIterator")
