"""queue-worker end to end on the local runner: S3 → SQS → Lambda's poller → the worker."""

import pytest

from refarch.local import run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(queue_worker):
    return run_demo("queue-worker", out=None, assembly=queue_worker)


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
