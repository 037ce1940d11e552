"""queue-worker end to end on the local runner: S3 → SQS → Lambda's poller → the worker."""

import json

import pytest
from complete_runs import complete_run

from refarch.local import deploy, emulator, run_demo
from refarch.local.landed import messages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run("queue-worker")


def test_the_demo_passes_with_nothing_lost_or_denied(result):
    failed = [c for c in result.checks if not c.ok]
    assert result.ok, (failed, result.lost, result.denials, result.error)


def test_poison_messages_are_dead_lettered_with_their_reason(result):
    check = next(c for c in result.checks if c.name.startswith("poison messages"))
    assert check.ok
    assert "not JSON" in check.detail and "not the input bucket" in check.detail


def test_a_bucket_the_queue_policy_does_not_name_loses_its_events(queue_worker):
    # Without the queue policy's statement for s3.amazonaws.com, S3 cannot send: the run
    # reports the events as lost instead of processing them.
    def without_s3(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::SQS::QueuePolicy":
                statements = resource["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [
                    s for s in statements if s.get("Principal") != {"Service": "s3.amazonaws.com"}
                ]

    result = run_demo("queue-worker", out=None, assembly=queue_worker, template_hook=without_s3)
    assert not result.ok
    assert result.lost and all("s3.amazonaws.com" in lost.reason for lost in result.lost)


def test_a_run_halted_on_denial_stops_at_the_first_one_past_the_handler(queue_worker):
    # Without the grant to write manifests, the worker's first write is denied. The handler
    # turns a failed write into a batch item failure, so a plain run goes on (and is denied again
    # on every retry); a halted run ends at that first denial, all the necessity tests need.
    def without_writes(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Policy":
                statements = resource["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if "s3:PutObject" not in s["Action"]]

    plain = run_demo("queue-worker", out=None, assembly=queue_worker, template_hook=without_writes)
    halted = run_demo(
        "queue-worker",
        out=None,
        assembly=queue_worker,
        template_hook=without_writes,
        halt_on_denial=True,
    )

    assert len(plain.denials) > 1
    (denial,) = halted.denials  # the same call as the plain run's first (object keys differ)
    assert (denial.principal, denial.action) == (plain.denials[0].principal, "s3:PutObject")
    assert not halted.ok and halted.access_denied and not halted.checks
    assert halted.error == f"halted at the first IAM denial: {denial}"


def test_failed_messages_are_retried_alone_and_redriven_after_max_receive_count(queue_worker):
    # The output bucket is gone: every write fails with NoSuchBucket, a failure worth retrying.
    # The poison message in the same batch is handled at once; the uploads' messages come back
    # after each visibility timeout until SQS moves them to the DLQ with their original bodies.
    with emulator() as aws:
        stack = deploy("queue-worker", assembly=queue_worker)
        source = stack.s3_source("InputBucket")
        uploads = [source.put_object(f"landing/u{n}.csv", b"a,b\n1,2\n") for n in range(3)]
        sqs = aws.client("sqs")
        sqs.send_message(QueueUrl=stack.physical_id("WorkQueue"), MessageBody="poison")
        aws.client("s3").delete_bucket(Bucket=stack.physical_id("OutputBucket"))
        (mapping,) = stack.of_type("AWS::Lambda::EventSourceMapping")
        report = aws.event_source_mappings.poller(mapping.physical_id).drain()
        dead = messages(stack, "DeadLetterQueue")

    max_receive_count = int(
        stack.resource("WorkQueue").properties["RedrivePolicy"]["maxReceiveCount"]
    )
    first = report.batches[0]
    assert len(first.message_ids) == 5  # the test event, 3 uploads, the poison
    assert len(first.result.failed) == 3  # only the uploads: a partial batch response
    assert len(report.returned) == 3 * max_receive_count
    assert len(report.batches) == max_receive_count
    assert sorted(m.body for m in dead if "FailureReason" not in m.attributes) == sorted(
        json.dumps(u.queue_events[0][1]) for u in uploads
    )
    assert [m.body for m in dead if "FailureReason" in m.attributes] == ["poison"]
    assert report.left_in_queue == 0 and not aws.denials
