"""stream-consumer end to end on the local runner: Kinesis → Lambda's stream poller → DynamoDB."""

import json

import pytest
from complete_runs import complete_run

from refarch.local import deploy, emulator, run_demo
from refarch.local.landed import messages
from refarch.local.sources.event_source_mappings import StreamPoller
from refarch.scenarios import stream_consumer as scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run("stream-consumer")


def test_the_demo_passes_with_nothing_lost_or_denied(result):
    failed = [c for c in result.checks if not c.ok]
    assert result.ok, (failed, result.lost, result.denials, result.error)


def test_the_poison_is_isolated_by_bisection(result):
    check = next(c for c in result.checks if c.name.startswith("the poison record"))
    assert check.ok and "batch sizes" in check.detail


def _scrubber(aws, stack):
    (mapping,) = [
        m
        for m in stack.of_type("AWS::Lambda::EventSourceMapping")
        if m.logical_id[:8] == "Scrubber"
    ]
    poller = aws.event_source_mappings.poller(mapping.physical_id)
    assert isinstance(poller, StreamPoller)
    return poller


def test_a_table_the_role_cannot_write_sends_every_batch_to_the_on_failure_queue(stream_consumer):
    # Without dynamodb:PutItem every record fails: after bisection and the retries, each record's
    # position is in the on-failure queue in the documented shape, and nothing is lost.
    def without_put_item(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Policy":
                statements = resource["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if s["Action"] != "dynamodb:PutItem"]

    with emulator() as aws:
        stack = deploy("stream-consumer", assembly=stream_consumer, template_hook=without_put_item)
        producer = stack.kinesis_producer("EventsStream")
        put = producer.put_records(
            [("k", json.dumps({"event_id": f"e{n}"}).encode()) for n in range(3)]
        )
        report = _scrubber(aws, stack).drain()
        failures = [json.loads(m.body) for m in messages(stack, "OnFailureQueue")]

    assert sorted(report.discarded_sequence_numbers) == sorted(
        r.sequence_number for r in put.written
    )
    assert not report.processed
    body = failures[0]
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert set(body["KinesisBatchInfo"]) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }
    assert sum(b["KinesisBatchInfo"]["batchSize"] for b in failures) == 3


def test_the_scenario_stops_with_what_it_waited_for_when_the_table_is_never_written(
    stream_consumer, monkeypatch
):
    # The scenario reads outcomes only from what AWS exposes: with the scrubber unable to write,
    # the table never fills, so its bounded wait times out and the run says what it waited for.
    # (A shorter timeout: each poll is a scan, a listing and a receive.)
    monkeypatch.setattr(scenario, "CONSUMED_TIMEOUT_SECONDS", 2 * scenario.CONSUMED_POLL_SECONDS)

    def without_put_item(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Policy":
                statements = resource["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if s["Action"] != "dynamodb:PutItem"]

    result = run_demo(
        "stream-consumer", out=None, assembly=stream_consumer, template_hook=without_put_item
    )
    assert not result.ok
    assert result.error is not None
    assert "the table, the archive and the on-failure queue show every record" in result.error
    assert result.denials
