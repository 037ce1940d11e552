"""Lambda's stream poller, on a stand-in shard and function: checkpoints, partial responses,
bisection, retry and age limits, parallelization and filters, as AWS documents them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from refarch.local.lambda_runtime.invocation import ErrorInfo, Invocation
from refarch.local.queue_clock import QueueClock
from refarch.local.sources.event_source_mappings import FilterCriteria
from refarch.local.sources.event_source_mappings.mapping import (
    EventSourceMapping,
    StreamSettings,
)
from refarch.local.sources.event_source_mappings.stream_records import StreamRecord
from refarch.local.sources.event_source_mappings.streams import StreamPoller
from refarch.local.trace import Trace


def _record(n: int, key: str = "k", data: Any = None, arrival: float | None = None):
    payload = base64.b64encode(json.dumps(data if data is not None else {"n": n}).encode())
    kinesis = {"sequenceNumber": str(n), "partitionKey": key, "data": payload.decode()}
    view = {**kinesis, "data": data if data is not None else {"n": n}}
    return StreamRecord(
        shard_id="shardId-0",
        sequence_number=str(n),
        ordering_key=key,
        arrival=arrival if arrival is not None else QueueClock().now(),
        event_record={"kinesis": kinesis},
        filter_view=view,
    )


@dataclass
class FakeShards:
    records: list[StreamRecord]
    batch_info_key = "KinesisBatchInfo"
    source_label = "Kinesis"

    def shards(self) -> list[str]:
        return ["shardId-0"]

    def read(self, shard_id: str, after: str | None) -> list[StreamRecord]:
        start = 0 if after is None else int(after) + 1
        return [r for r in self.records if int(r.sequence_number) >= start]

    def batch_info(self, records: list[StreamRecord]) -> dict[str, Any]:
        return {
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "batchSize": len(records),
        }


@dataclass
class FakeFunction:
    """Fails every batch holding a poison number: by raising, or by reporting it."""

    poison: set[int] = field(default_factory=set)
    report: bool = True
    batches: list[list[int]] = field(default_factory=list)
    describe_result = staticmethod(str)

    def invoke(self, function_arn: str, event: dict[str, Any]) -> Invocation:
        numbers = [int(r["kinesis"]["sequenceNumber"]) for r in event["Records"]]
        self.batches.append(numbers)
        invocation = Invocation("f", "id", 1, event)
        bad = [n for n in numbers if n in self.poison]
        if bad and not self.report:
            invocation.error = ErrorInfo("Error", "poison")
        else:
            invocation.result = {"batchItemFailures": [{"itemIdentifier": str(n)} for n in bad]}
        return invocation


@dataclass
class FakeEmulator:
    lambda_service: FakeFunction
    queue_clock: QueueClock = field(default_factory=QueueClock)
    trace: Trace = field(default_factory=Trace)


def _poller(records, function, *, batch_size=10, report=True, filters=None, **settings):
    stream = StreamSettings(starting_position="TRIM_HORIZON", **settings)
    mapping = EventSourceMapping(
        uuid="u",
        logical_id="Mapping",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        event_source_arn="arn:aws:kinesis:us-east-1:123456789012:stream/s",
        batch_size=batch_size,
        maximum_batching_window_seconds=0,
        report_batch_item_failures=report,
        filter_criteria=filters or FilterCriteria(),
        stream=stream,
    )
    return StreamPoller(
        FakeEmulator(function), mapping, FakeShards(records), lambda_service=function
    )


def test_a_successful_drain_checkpoints_and_the_next_reads_only_new_records():
    records = [_record(n) for n in range(5)]
    function = FakeFunction()
    poller = _poller(records, function, batch_size=2)
    assert poller.drain().processed == ["0", "1", "2", "3", "4"]
    assert function.batches == [[0, 1], [2, 3], [4]]
    poller.source.records.append(_record(5))
    assert poller.drain().processed == ["5"]


def test_a_partial_response_retries_from_the_lowest_failed_record():
    # "Lambda uses the record with the lowest sequence number as the checkpoint. Lambda then
    # retries all records starting from that checkpoint."
    function = FakeFunction(poison={2})
    report = _poller([_record(n) for n in range(5)], function, maximum_retry_attempts=1).drain()
    assert function.batches == [[0, 1, 2, 3, 4], [2, 3, 4]]
    assert report.processed == ["0", "1"]
    assert report.discarded_sequence_numbers == ["2", "3", "4"]


def test_bisection_isolates_the_poison_and_skips_nothing_after_it():
    function = FakeFunction(poison={2}, report=False)
    report = _poller(
        [_record(n) for n in range(6)],
        function,
        report=False,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=2,
    ).drain()
    assert report.discarded_sequence_numbers == ["2"]
    assert sorted(report.processed, key=int) == ["0", "1", "3", "4", "5"]
    # Splitting does not consume the retry quota: the poison alone is tried 1 + 2 times.
    assert function.batches.count([2]) == 3


def test_bisection_at_the_reported_record_with_partial_responses():
    function = FakeFunction(poison={1})
    report = _poller(
        [_record(n) for n in range(4)],
        function,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=0,
    ).drain()
    assert function.batches[0] == [0, 1, 2, 3]
    assert report.discarded_sequence_numbers == ["1"]
    assert sorted(report.processed, key=int) == ["0", "2", "3"]


def test_records_older_than_the_maximum_age_are_discarded_without_an_invocation():
    clock = QueueClock()
    old = [_record(n, arrival=clock.now() - 120) for n in range(3)]
    function = FakeFunction()
    report = _poller([*old, _record(3)], function, maximum_record_age_seconds=60).drain()
    assert report.discarded[0].condition == "RecordAgeExceeded"
    assert report.discarded_sequence_numbers == ["0", "1", "2"]
    assert function.batches == [[3]]


def test_parallelization_keeps_each_partition_key_in_order():
    records = [_record(n, key=f"user-{n % 3}") for n in range(12)]
    function = FakeFunction()
    _poller(records, function, batch_size=100, parallelization_factor=3).drain()
    assert len(function.batches) > 1
    for key in range(3):
        seen = [n for batch in function.batches for n in batch if n % 3 == key]
        assert seen == sorted(seen)


def test_filtered_records_are_checkpointed_without_an_invocation():
    criteria = FilterCriteria.from_property(
        {"Filters": [{"Pattern": json.dumps({"data": {"kind": ["keep"]}})}]}
    )
    records = [_record(0, data={"kind": "keep"}), _record(1, data={"kind": "drop"})]
    function = FakeFunction()
    report = _poller(records, function, filters=criteria).drain()
    assert function.batches == [[0]] and report.filtered == ["1"]


def test_infinite_retries_block_the_shard_and_the_runner_says_so():
    function = FakeFunction(poison={0})
    report = _poller([_record(0), _record(1)], function).drain()
    assert "blocked" in report.error
    assert report.processed == [] and not report.discarded


@pytest.mark.parametrize(
    "settings",
    [
        {"maximum_record_age_seconds": 59},
        {"maximum_retry_attempts": 10_001},
        {"parallelization_factor": 11},
    ],
)
def test_lambdas_limits_are_refused_at_deploy(settings):
    from refarch.local.errors import DeployError
    from refarch.local.sources.event_source_mappings.mapping import stream_limits

    with pytest.raises(DeployError):
        stream_limits("M", 100, 0, StreamSettings(starting_position="LATEST", **settings))
