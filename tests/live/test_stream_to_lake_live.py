"""stream-to-lake through ``refarch verify --live``'s code path, against the stand-in.

Firehose delivers on its own clock: while the run sleeps, the stand-in's delivery stream reads
the stream and writes the lake once its buffering interval has passed (``FakeClock`` with the
account), as Firehose does all along in AWS. The producer role is assumed over HTTP with
``sts:AssumeRole`` and every ``PutRecords`` is authorized against it.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import FakeClock, emulated_account, verify_on_stand_in

from refarch.live.cleanup import DELETERS, _kind, delete_tagged
from refarch.live.verify import LiveResult
from refarch.scenarios.target import RUN_TAG

PATTERN = "stream-to-lake"
#: The stack's buffering intervals: the destination's 300 s, the transform's 60 s.
DESTINATION_INTERVAL, PROCESSOR_INTERVAL = 300, 60


@pytest.fixture(scope="module")
def live_run() -> tuple[LiveResult, str, list[str], list[str], FakeClock]:
    return verify_on_stand_in(PATTERN, synthesized(PATTERN))


def test_the_scenario_passes_through_the_live_path(live_run):
    result, trace, _, calls, _ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: stream-to-lake: 9/9 checks (2 local-only skipped)" in trace
    assert result.skipped == [
        "Firehose's own accounting of each delivery is not observable",
        "the arrival time Firehose passes the transform is not observable",
    ]


def test_nothing_lands_before_the_buffering_interval_has_passed(live_run):
    # Each round waits one destination interval, polled at the transform's interval.
    *_, clock = live_run
    polls = DESTINATION_INTERVAL // PROCESSOR_INTERVAL
    assert clock.sleeps == [PROCESSOR_INTERVAL] * (2 * polls)


def test_the_demo_runs_the_same_scenario_with_two_checks_more():
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 11
    assert len(local.drains) == 2


def test_the_producer_assumes_its_role_and_puts_over_http(live_run):
    _, trace, requests, _, _ = live_run
    assert "→ AssumeRole StreamToLake-ProducerRole" in trace
    assert "as StreamToLake-ProducerRole" in trace and "30/30 records" in trace
    assert any("/invocations" in line for line in requests)


def test_cleanup_deletes_a_tagged_delivery_stream_and_knows_kinesis_streams():
    with emulated_account() as stand_in:
        firehose, kinesis = stand_in.client("firehose"), stand_in.client("kinesis")
        destination = {
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::lake",
        }
        for name, tags in (("run-stream", [{"Key": RUN_TAG, "Value": "run-1"}]), ("other", [])):
            firehose.create_delivery_stream(
                DeliveryStreamName=name,
                DeliveryStreamType="DirectPut",
                ExtendedS3DestinationConfiguration=destination,
                **({"Tags": tags} if tags else {}),
            )
        report = delete_tagged(stand_in.account, "run-1")
        assert report.failed == []
        assert report.deleted == [
            "arn:aws:firehose:us-east-1:123456789012:deliverystream/run-stream"
        ]
        assert firehose.list_delivery_streams()["DeliveryStreamNames"] == ["other"]
        # moto's tagging API does not list Kinesis streams (AWS's does): the deleter directly.
        kinesis.create_stream(StreamName="clicks", ShardCount=1)
        arn = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
        DELETERS[_kind(arn)](stand_in.account, arn)
        assert kinesis.list_streams()["StreamNames"] == []
