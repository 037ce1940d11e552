"""stream-to-lake end to end locally: producer → Kinesis → Firehose → S3, IAM enforced."""

import base64
import json
import re

import pytest
from complete_runs import complete_run, complete_trace

from refarch.local import deploy, emulator
from refarch.local.landed import objects
from refarch.scenarios import stream_to_lake as scenario

PATTERN = "stream-to-lake"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run(PATTERN), complete_trace(PATTERN)


def test_demo_passes_under_the_producer_and_firehose_roles_with_iam_enforced(demo):
    result, trace = demo
    assert result.ok, trace
    assert result.denials == []
    assert result.lost == []
    assert result.platform_failures == []
    assert "IAM enforced" in trace
    assert "OK: stream-to-lake" in trace


def test_demo_trace_says_what_was_produced_transformed_and_landed(demo):
    _, trace = demo
    assert re.search(r"→ PutRecords \S+ as \S*ProducerRole\S*: 30/30 records", trace)
    assert re.search(r"→ Firehose \S+ reads \S+ \(role \S*FirehoseSourceRole", trace)
    assert "← returned 24 Ok, 3 Dropped, 3 ProcessingFailed" in trace
    assert "✓ records in 30 = 24 delivered + 3 dropped + 3 failed" in trace
    assert "✓ records in 6 = 6 delivered + 0 dropped + 0 failed" in trace
    assert "events/year=2024/month=06/day=02/hour=01/" in trace
    assert "== Landed" in trace


@pytest.fixture(scope="module")
def lake(stream_to_lake):
    """The scenario's first round produced and drained once; what landed, and the drain."""
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=stream_to_lake)
        production = stack.kinesis_producer(scenario.STREAM).put_records(
            (p.partition_key, p.data) for p in scenario.FIRST_ROUND
        )
        firehose = stack.firehose(scenario.DELIVERY_STREAM)
        report = firehose.drain()
        again = firehose.drain()
        landed = objects(stack, scenario.LAKE)
        function_arn = stack.resource(scenario.TRANSFORM).attributes["Arn"]
        events = [i.event for i in aws.lambda_service.invocations]
        stream_name = firehose.config.name
    return {
        "production": production,
        "report": report,
        "again": again,
        "objects": landed,
        "function_arn": function_arn,
        "events": events,
        "name": stream_name,
    }


def test_valid_events_land_once_each_in_their_hour_and_duplicates_are_dropped(lake):
    events = {k: v for k, v in lake["objects"].items() if k.startswith("events/")}
    records = [json.loads(line) for item in events.values() for line in item.lines]
    valid_ids = sorted(json.loads(p.data)["event_id"] for p in scenario.FIRST_ROUND_VALID)
    assert sorted(r["event_id"] for r in records) == valid_ids
    folders = {key.rsplit("/", 1)[0] for key in events}
    assert folders == {
        "events/year=2024/month=06/day=01/hour=22",
        "events/year=2024/month=06/day=01/hour=23",
        "events/year=2024/month=06/day=02/hour=00",
    }
    for key, item in events.items():
        hour = key.split("hour=")[1][:2]
        assert {json.loads(line)["event_time"][11:13] for line in item.lines} == {hour}
    assert not any(key in record for record in records for key in scenario.PII)


def test_objects_are_gzip_named_as_firehose_names_them(lake):
    name = re.escape(lake["name"])
    for key in lake["objects"]:
        assert re.search(rf"/{name}-1-\d{{4}}(-\d\d){{5}}-[0-9a-f-]{{36}}\.gz$", key), key
        assert lake["objects"][key].body[:2] == b"\x1f\x8b"  # gzip magic


def test_malformed_records_land_in_the_error_prefix_as_firehose_error_records(lake):
    errors = {k: v for k, v in lake["objects"].items() if k.startswith("errors/")}
    assert all(
        re.match(r"errors/processing-failed/year=\d{4}/month=\d\d/day=\d\d/", k) for k in errors
    )
    documents = [json.loads(line) for item in errors.values() for line in item.lines]
    assert sorted(base64.b64decode(d["rawData"]) for d in documents) == sorted(
        p.data for p in scenario.MALFORMED
    )
    for document in documents:
        assert set(document) == {
            "attemptsMade",
            "arrivalTimestamp",
            "errorCode",
            "errorMessage",
            "attemptEndingTimestamp",
            "rawData",
            "lambdaArn",
        }
        assert document["errorCode"] == "Lambda.ProcessingFailedStatus"
        assert document["attemptsMade"] == 1
        assert document["lambdaArn"] == lake["function_arn"]
        assert document["attemptEndingTimestamp"] >= document["arrivalTimestamp"]


def test_records_in_equal_delivered_plus_dropped_plus_failed(lake):
    report = lake["report"]
    assert lake["production"].ok
    assert report.records_in == len(scenario.FIRST_ROUND) == 30
    assert (report.delivered, report.dropped, report.failed, report.lost) == (24, 3, 3, 0)
    assert report.balanced
    written = sum(o.records for o in report.objects)
    assert written == report.delivered + report.failed


def test_a_second_drain_reads_nothing_already_read(lake):
    again = lake["again"]
    assert again.records_in == 0
    assert again.invocations == 0
    assert again.objects == []


def test_firehose_invokes_the_transform_with_the_batch_of_every_shard(lake):
    (event,) = lake["events"]
    assert len(event["records"]) == 30
    shards = {r["kinesisRecordMetadata"]["shardId"] for r in event["records"]}
    assert len(shards) > 1
    assert len({r["recordId"] for r in event["records"]}) == 30


def test_firehose_delivers_only_once_its_buffering_interval_has_passed(stream_to_lake):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=stream_to_lake)
        stack.kinesis_producer(scenario.STREAM).put_records(
            (p.partition_key, p.data) for p in scenario.SECOND_ROUND
        )
        destination = stack.firehose(scenario.DELIVERY_STREAM).config.destination
        assert destination.buffer_interval_seconds == 300
        assert aws.firehose.pass_time(299) == []
        assert objects(stack, scenario.LAKE, scenario.EVENTS_PREFIX) == {}
        (report,) = aws.firehose.pass_time(1)
        assert report.records_in == report.delivered == len(scenario.SECOND_ROUND)
        assert aws.firehose.pass_time(60) == []  # the next interval starts at the delivery
