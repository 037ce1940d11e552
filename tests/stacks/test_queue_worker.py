"""What a deployer of the S3 → SQS → Lambda queue worker relies on, on the synthesized template."""

import pytest
from template_queries import ALL_PUBLIC_ACCESS_BLOCKED, SSE_S3, as_list

from refarch.stacks.queue_worker import VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT, QueueWorkerProps

PATTERN = "queue-worker"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


def _queue(stack, prefix):
    return stack.props("AWS::SQS::Queue", prefix)


def test_the_visibility_timeout_is_six_times_the_function_timeout(stack):
    timeout = stack.props("AWS::Lambda::Function", "WorkerFunction")["Timeout"]
    visibility = _queue(stack, "WorkQueue")["VisibilityTimeout"]
    assert visibility == VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT * timeout == 180


def test_the_work_queue_redrives_to_the_dlq_after_max_receive_count(stack):
    redrive = _queue(stack, "WorkQueue")["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == QueueWorkerProps().max_receive_count
    assert redrive["deadLetterTargetArn"] == {
        "Fn::GetAtt": [stack.id_of("AWS::SQS::Queue", "DeadLetterQueue"), "Arn"]
    }


@pytest.mark.parametrize("prefix", ["WorkQueue", "DeadLetterQueue"])
def test_queues_are_encrypted_kept_14_days_and_retained(stack, prefix):
    _, resource = stack.one("AWS::SQS::Queue", prefix)
    assert resource["Properties"]["SqsManagedSseEnabled"] is True
    assert resource["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("prefix", ["WorkQueuePolicy", "DeadLetterQueuePolicy"])
def test_queues_deny_requests_without_tls(stack, prefix):
    statements = stack.props("AWS::SQS::QueuePolicy", prefix)["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


def test_only_s3_from_the_input_bucket_may_send_to_the_work_queue(stack):
    statements = stack.props("AWS::SQS::QueuePolicy", "WorkQueuePolicy")["PolicyDocument"][
        "Statement"
    ]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::GetAtt": [stack.id_of("AWS::S3::Bucket", "InputBucket"), "Arn"]
    }


def test_the_mapping_batches_with_a_window_and_reports_item_failures(stack):
    props = stack.props("AWS::Lambda::EventSourceMapping")
    defaults = QueueWorkerProps()
    assert props["BatchSize"] == defaults.batch_size
    assert props["MaximumBatchingWindowInSeconds"] == defaults.max_batching_window.to_seconds()
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["ScalingConfig"] == {"MaximumConcurrency": defaults.max_concurrency}


def test_the_function_has_no_async_dlq_the_queue_keeps_failures(stack):
    props = stack.props("AWS::Lambda::Function", "WorkerFunction")
    assert "DeadLetterConfig" not in props
    assert not stack.resources("AWS::Lambda::EventInvokeConfig")


@pytest.mark.parametrize(
    ("alarm", "metric"),
    [
        ("OldestMessageAlarm", "ApproximateAgeOfOldestMessage"),
        ("QueueDepthAlarm", "ApproximateNumberOfMessagesVisible"),
        ("DeadLettersAlarm", "ApproximateNumberOfMessagesVisible"),
        ("WorkerErrorsAlarm", "Errors"),
        ("WorkerThrottlesAlarm", "Throttles"),
    ],
)
def test_the_failure_signals_alarm_to_the_topic(stack, alarm, metric):
    props = stack.props("AWS::CloudWatch::Alarm", alarm)
    assert props["MetricName"] == metric
    assert props["AlarmActions"] == [{"Ref": stack.id_of("AWS::SNS::Topic")}]


@pytest.mark.parametrize("bucket", ["InputBucket", "OutputBucket"])
def test_buckets_are_encrypted_private_and_versioned(stack, bucket):
    props = stack.props("AWS::S3::Bucket", bucket)
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == SSE_S3
    assert props["PublicAccessBlockConfiguration"] == ALL_PUBLIC_ACCESS_BLOCKED
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_uploads_under_the_prefix_are_queued(stack):
    (notifications,) = stack.resources("Custom::S3BucketNotifications").values()
    (queue_config,) = notifications["Properties"]["NotificationConfiguration"][
        "QueueConfigurations"
    ]
    assert queue_config["Events"] == ["s3:ObjectCreated:*"]
    assert queue_config["Filter"]["Key"]["FilterRules"] == [
        {"Name": "prefix", "Value": QueueWorkerProps().input_prefix}
    ]


def test_the_worker_may_send_to_the_dlq_but_not_elsewhere(stack):
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, p in stack.resources("AWS::IAM::Policy").items()
        if logical_id.startswith("WorkerRole")
    ]
    senders = [s for s in policy if "sqs:SendMessage" in s["Action"]]
    assert [s["Resource"] for s in senders] == [
        {"Fn::GetAtt": [stack.id_of("AWS::SQS::Queue", "DeadLetterQueue"), "Arn"]}
    ]


def test_the_worker_role_holds_the_actions_its_callers_make_and_no_more(stack):
    # Lambda's SQS poller: ReceiveMessage, DeleteMessage, GetQueueAttributes on the queue
    # (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html); the handler sends to the DLQ
    # by URL, reads the exact version queued and puts its manifest.
    statements = stack.props("AWS::IAM::Policy", "WorkerRoleDefaultPolicy")["PolicyDocument"][
        "Statement"
    ]

    def actions_on(resource):
        return {
            action
            for s in statements
            if resource in as_list(s["Resource"])
            for action in as_list(s["Action"])
        }

    def arn(resource_type, prefix):
        return {"Fn::GetAtt": [stack.id_of(resource_type, prefix), "Arn"]}

    def objects(prefix, key):
        return {"Fn::Join": ["", [arn("AWS::S3::Bucket", prefix), key]]}

    assert actions_on(arn("AWS::SQS::Queue", "WorkQueue")) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    assert actions_on(arn("AWS::SQS::Queue", "DeadLetterQueue")) == {"sqs:SendMessage"}
    assert actions_on(objects("InputBucket", "/landing/*")) == {"s3:GetObjectVersion"}
    assert actions_on(arn("AWS::S3::Bucket", "InputBucket")) == {"s3:ListBucket"}
    assert actions_on(objects("OutputBucket", "/manifests/*")) == {"s3:PutObject"}
