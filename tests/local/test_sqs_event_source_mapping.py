"""Lambda's SQS poller on a hand-written stack: batching, partial batch responses, redrive."""

import json

import pytest
import queue_fixture

from refarch.local import deploy, emulator
from refarch.local.errors import DeployError, UnsupportedPropertyError
from refarch.local.sources.event_source_mappings.batching import MAX_PAYLOAD_BYTES

pytestmark = pytest.mark.slow


def _run(bodies, **options):
    """Deploy the fixture, send ``bodies``, drain; return (report, dead letters, aws, stack)."""
    with emulator() as aws:
        stack = deploy("queue-fixture", assembly=queue_fixture.assembly(**options))
        sqs = aws.client("sqs")
        url = stack.physical_id("Queue")
        sent = [sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"] for body in bodies]
        report = aws.event_source_mappings.poller("Mapping").drain()
        dead = sqs.receive_message(
            QueueUrl=stack.physical_id("DeadLetters"),
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        return report, dead, aws, sent


def test_partial_batch_response_deletes_the_good_messages_and_redrives_the_poison_one():
    bodies = [json.dumps({"n": i, "fail": i == 3}) for i in range(12)]
    report, dead, aws, sent = _run(bodies, max_receive_count=3)
    poison = sent[3]
    assert sorted(report.deleted) == sorted(m for m in sent if m != poison)
    assert report.returned == [poison] * 3  # received maxReceiveCount times, then redriven
    assert [(m["MessageId"], m["Body"]) for m in dead] == [(poison, bodies[3])]
    assert report.left_in_queue == 0 and not report.error and not aws.denials
    assert report.waited_seconds == 3 * 30  # one visibility timeout per failed receive


def test_a_function_error_returns_the_whole_batch_to_the_queue():
    bodies = [json.dumps({"n": 1}), json.dumps({"raise": True})]
    report, dead, _, sent = _run(bodies, max_receive_count=2)
    assert report.deleted == []
    assert sorted(m["MessageId"] for m in dead) == sorted(sent)
    assert all("the function failed" in b.result.reason for b in report.batches)


def test_an_item_identifier_not_in_the_batch_fails_the_whole_batch():
    bodies = [json.dumps({"n": 1}), json.dumps({"bogus_id": True})]
    report, dead, _, _ = _run(bodies, max_receive_count=1)
    assert report.deleted == [] and len(dead) == 2
    assert "invalid itemIdentifier" in report.batches[0].result.reason


def test_without_report_batch_item_failures_a_returned_failure_list_is_ignored():
    bodies = [json.dumps({"fail": True}), json.dumps({"n": 2})]
    report, dead, _, sent = _run(bodies, report=False)
    assert sorted(report.deleted) == sorted(sent) and dead == []


def test_without_a_batching_window_each_invocation_gets_one_receive():
    report, _, _, _ = _run([json.dumps({"n": i}) for i in range(25)], batch_size=10)
    assert [len(b.message_ids) for b in report.batches] == [10, 10, 5]
    assert report.waited_seconds == 0


def test_a_batching_window_gathers_up_to_the_batch_size():
    report, _, _, _ = _run([json.dumps({"n": i}) for i in range(25)], batch_size=100, window=5)
    assert [len(b.message_ids) for b in report.batches] == [25]
    assert report.waited_seconds == 5  # the batch was not full: the window passed


def test_a_batch_never_exceeds_the_six_mb_payload():
    big = "x" * 250_000
    report, _, _, sent = _run(
        [json.dumps({"n": i, "pad": big}) for i in range(30)], batch_size=100, window=1
    )
    sizes = [len(b.message_ids) for b in report.batches]
    assert sum(sizes) == 30 and len(sizes) == 2
    for batch in report.batches:
        assert len(json.dumps(batch.invocation.event).encode()) <= MAX_PAYLOAD_BYTES
    assert sorted(report.deleted) == sorted(sent)


def test_filtered_out_messages_are_deleted_without_an_invocation():
    bodies = [json.dumps({"kind": "order", "n": 1}), json.dumps({"kind": "noise"}), "plain text"]
    report, dead, _, sent = _run(bodies, filters=[{"body": {"kind": ["order"]}}])
    assert sorted(report.filtered) == sorted(sent[1:])
    assert [b.message_ids for b in report.batches] == [[sent[0]]]
    assert dead == []


def test_records_have_the_documented_sqs_event_shape():
    report, _, _, sent = _run([json.dumps({"n": 1})])
    (record,) = report.batches[0].invocation.event["Records"]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs" and record["messageId"] == sent[0]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record["attributes"]) >= {"SentTimestamp", "SenderId"}
    assert record["eventSourceARN"].startswith("arn:aws:sqs:us-east-1:")


def test_a_role_without_receive_message_is_denied_with_the_execution_role():
    actions = ("sqs:DeleteMessage", "sqs:GetQueueAttributes")
    report, _, aws, _ = _run([json.dumps({"n": 1})], consume_actions=actions)
    assert "AccessDenied" in report.error
    assert any(d.action == "sqs:ReceiveMessage" for d in aws.denials)
    assert any("assumed-role/" in d.principal for d in aws.denials)


def test_lambda_refuses_a_mapping_without_get_queue_attributes():
    with emulator() as aws, pytest.raises(Exception, match="AccessDenied"):
        deploy("queue-fixture", assembly=queue_fixture.assembly(consume_actions=()))
    assert any(d.action == "sqs:GetQueueAttributes" for d in aws.denials)


def test_a_function_timeout_above_the_visibility_timeout_is_refused():
    with emulator(), pytest.raises(DeployError, match="visibility timeout"):
        deploy(
            "queue-fixture",
            assembly=queue_fixture.assembly(visibility_timeout=10, function_timeout=20),
        )


def test_a_batch_size_over_ten_needs_a_batching_window():
    with emulator(), pytest.raises(DeployError, match="greater than 0"):
        deploy("queue-fixture", assembly=queue_fixture.assembly(batch_size=11))


def test_an_unknown_mapping_property_fails_by_name():
    assembly = queue_fixture.assembly()
    assembly.template["Resources"]["Mapping"]["Properties"]["StartingPosition"] = "LATEST"
    with emulator(), pytest.raises(UnsupportedPropertyError, match="StartingPosition"):
        deploy("queue-fixture", assembly=assembly)
