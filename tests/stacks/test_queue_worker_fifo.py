"""queue-worker's ordered variant (`-c fifo=true`): S3 → EventBridge → SQS FIFO → Lambda.

What a deployer relies on, on the synthesized template: the bucket sends its events to
EventBridge (S3 notifications cannot target a FIFO queue), one rule per key prefix sends them to
the FIFO queue with the prefix as message group, the queue deduplicates by content and redrives
to a FIFO DLQ, and the mapping reads batches of at most 10 without a batching window. The props
refuse groups that would queue a key twice or that a rule cannot name.
"""

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from refarch.cdk_app import repo_context
from refarch.stacks.queue_worker import MAX_FIFO_BATCH_SIZE, QueueWorkerProps, QueueWorkerStack

PATTERN = "queue-worker"
GROUPS = QueueWorkerProps().message_groups


@pytest.fixture(scope="module")
def fifo(synth):
    return synth(PATTERN, fifo="true")


def test_the_work_queue_is_fifo_with_content_based_deduplication(fifo):
    queue = fifo.props("AWS::SQS::Queue", "WorkQueue")
    assert queue["FifoQueue"] is True
    # EventBridge sends no deduplication id: a FIFO target needs content-based deduplication.
    assert queue["ContentBasedDeduplication"] is True
    assert queue["SqsManagedSseEnabled"] is True
    assert "DeduplicationScope" not in queue  # high throughput is opt-in


def test_the_dlq_is_fifo_and_receives_after_max_receive_count(fifo):
    dlq_id = fifo.id_of("AWS::SQS::Queue", "DeadLetterQueue")
    assert fifo.props("AWS::SQS::Queue", "DeadLetterQueue")["FifoQueue"] is True
    redrive = fifo.props("AWS::SQS::Queue", "WorkQueue")["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": QueueWorkerProps().max_receive_count,
    }
    environment = fifo.props("AWS::Lambda::Function", "WorkerFunction")["Environment"]
    assert environment["Variables"]["MAX_RECEIVE_COUNT"] == str(redrive["maxReceiveCount"])


def test_the_bucket_sends_events_to_eventbridge_and_has_no_queue_notification(fifo):
    (notifications,) = fifo.resources("Custom::S3BucketNotifications").values()
    configuration = notifications["Properties"]["NotificationConfiguration"]
    assert configuration == {"EventBridgeConfiguration": {}}


def test_one_rule_per_prefix_names_the_prefix_as_message_group(fifo):
    bucket_id = fifo.id_of("AWS::S3::Bucket", "InputBucket")
    queue_arn = {"Fn::GetAtt": [fifo.id_of("AWS::SQS::Queue", "WorkQueue"), "Arn"]}
    rules = sorted(
        fifo.resources("AWS::Events::Rule").values(),
        key=lambda r: r["Properties"]["Targets"][0]["SqsParameters"]["MessageGroupId"],
    )
    assert len(rules) == len(GROUPS)
    for rule, prefix in zip(rules, sorted(GROUPS), strict=True):
        properties = rule["Properties"]
        assert properties["EventPattern"] == {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {
                "bucket": {"name": [{"Ref": bucket_id}]},
                "object": {"key": [{"prefix": prefix}]},
            },
        }
        (target,) = properties["Targets"]
        assert target["Arn"] == queue_arn
        assert target["SqsParameters"] == {"MessageGroupId": prefix}


def test_the_queue_policy_lets_eventbridge_send_for_these_rules_only(fifo):
    policy = fifo.props("AWS::SQS::QueuePolicy", "WorkQueuePolicy")["PolicyDocument"]
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    rule_ids = sorted(fifo.resources("AWS::Events::Rule"))
    assert sorted(
        s["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::GetAtt"][0] for s in allows
    ) == (rule_ids)
    assert all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in allows)


def test_the_mapping_reads_at_most_10_without_a_window_and_reports_item_failures(fifo):
    mapping = fifo.props("AWS::Lambda::EventSourceMapping")
    assert mapping["BatchSize"] == MAX_FIFO_BATCH_SIZE
    assert "MaximumBatchingWindowInSeconds" not in mapping
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_high_throughput_mode_sets_deduplication_and_limit_per_message_group():
    # Not a context switch: a props change, synthesized directly with cdk.json's feature flags.
    app = cdk.App(context=repo_context())
    stack = QueueWorkerStack(
        app, "HighThroughput", props=QueueWorkerProps(fifo=True, high_throughput=True)
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::SQS::Queue",
        {
            "FifoQueue": True,
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ((), "at least one"),
        (("landing/a/", "landing/a/b/"), "overlap"),
        (("elsewhere/",), "outside the input prefix"),
        (("landing/a b/",), "ASCII letters"),
        (("landing/" + "x" * 100,), "ASCII letters"),
    ],
)
def test_props_refuse_groups_a_rule_cannot_name_or_that_would_queue_a_key_twice(groups, message):
    with pytest.raises(ValueError, match=message):
        QueueWorkerProps(fifo=True, message_groups=groups)


@pytest.mark.parametrize("size", [0, 11])
def test_props_refuse_a_fifo_batch_size_lambda_refuses(size):
    with pytest.raises(ValueError, match="fifo_batch_size"):
        QueueWorkerProps(fifo=True, fifo_batch_size=size)


def test_message_groups_come_from_the_context(synth):
    custom = synth(PATTERN, fifo="true", message_groups="landing/a/,landing/b/")
    groups = sorted(
        r["Properties"]["Targets"][0]["SqsParameters"]["MessageGroupId"]
        for r in custom.resources("AWS::Events::Rule").values()
    )
    assert groups == ["landing/a/", "landing/b/"]
