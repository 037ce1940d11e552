"""S3 uploads → SQS standard queue → Lambda worker, with partial batch responses and a DLQ.

Each upload under the input prefix sends an S3 event notification to a queue; Lambda's event
source mapping polls it and hands the worker batches; the worker writes one manifest record per
object version and reports only the messages it could not process, which come back after the
visibility timeout and move to the dead-letter queue after ``max_receive_count`` receives.

The ordered variant (``-c fifo=true``, ``queue_worker_fifo``): S3 → EventBridge → one rule per
key prefix → an SQS FIFO queue with content-based deduplication, one message group per prefix,
and a FIFO dead-letter queue; the mapping's batches are at most 10 messages, without a window.
"""

from dataclasses import dataclass, replace
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from refarch.constructs import (
    AccessLogBucket,
    AlarmTopic,
    AlarmTopicProps,
    ObservedFunction,
    ObservedFunctionProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    acknowledge_notifications_handler,
    stateful_removal,
)
from refarch.constructs.s3_object_grants import grant_list_bucket, grant_object_actions
from refarch.stacks.queue_worker_fifo import PrefixGroupRules, check_message_groups

#: AWS: "set the source queue's visibility timeout to at least six times the configuration
#: timeout on your function", so a throttled batch can be retried before the message reappears
#: (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT = 6
#: The longest an SQS queue keeps a message
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
MAX_RETENTION = Duration.days(14)
#: Lambda reads at most 10 messages a batch from a FIFO queue, and takes no batching window
#: (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html).
MAX_FIFO_BATCH_SIZE = 10

#: Context keys a deployer sets with `cdk deploy -c <key>=<value>`: `-c fifo=true` for the
#: ordered variant, `-c message_groups=landing/orders/,landing/clicks/` for its groups.
CONTEXT_FIFO = "fifo"
CONTEXT_MESSAGE_GROUPS = "message_groups"


@dataclass(frozen=True)
class QueueWorkerProps:
    """What a deployer may change; the defaults are production-sane."""

    input_prefix: str = "landing/"
    """Only objects under this prefix are queued."""

    manifest_prefix: str = "manifests/"
    """Where the worker writes one manifest record per object version, in the output bucket."""

    batch_size: int = 100
    """Messages per invocation (1-10,000 for a standard queue; above 10 needs a batching
    window, https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html). Larger
    batches mean fewer invocations per message; partial batch responses keep a bad message from
    retrying the whole batch."""

    max_batching_window: Duration = Duration.seconds(5)
    """How long the poller gathers messages before invoking with a partial batch (0-300 s)."""

    max_receive_count: int = 5
    """Receives before SQS moves a message to the DLQ: a transient failure gets four more tries
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html)."""

    timeout: Duration = Duration.seconds(30)
    """The worker reads the first bytes of each object, so a batch of 100 takes seconds; the
    queue's visibility timeout is six times this."""

    memory_size: int = 512
    """MB; the worker is I/O-bound (one ranged GET and one PUT per object)."""

    max_concurrency: int = 10
    """At most this many concurrent invocations from the queue (2-1,000): protects what the
    worker writes to from a backlog surge
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html)."""

    oldest_message_alarm: Duration = Duration.minutes(15)
    """Alarm when the oldest message has waited longer than this: the worker is falling behind."""

    queue_depth_alarm: int = 10_000
    """Alarm when more messages than this wait to be processed."""

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""

    fifo: bool = False
    """The ordered variant: S3 → EventBridge → SQS FIFO, one message group per prefix of
    ``message_groups``. Ordering costs throughput: see the guide's arithmetic."""

    message_groups: tuple[str, ...] = ("landing/orders/", "landing/clicks/")
    """FIFO only: the key prefixes, each its own message group (processed in order within the
    group, in parallel across groups). Under the input prefix, none starting another; keys
    under none of them are not queued. Replace these examples with your producers' prefixes."""

    fifo_batch_size: int = MAX_FIFO_BATCH_SIZE
    """FIFO only: messages per invocation (1-10)."""

    high_throughput: bool = False
    """FIFO only: high-throughput mode (deduplication and throughput limit per message group),
    far above the 300 API calls/s of a FIFO queue without it
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html)."""

    def __post_init__(self) -> None:
        if self.fifo:
            check_message_groups(self.message_groups, self.input_prefix)
            if not 1 <= self.fifo_batch_size <= MAX_FIFO_BATCH_SIZE:
                raise ValueError(f"fifo_batch_size must be 1-{MAX_FIFO_BATCH_SIZE} (FIFO queue)")

    @classmethod
    def from_context(cls, scope: Construct) -> "QueueWorkerProps":
        """The defaults, with the switches a deployer set as CDK context (``-c key=value``)."""
        fifo = scope.node.try_get_context(CONTEXT_FIFO)
        groups = scope.node.try_get_context(CONTEXT_MESSAGE_GROUPS)
        changes: dict[str, Any] = {}
        if fifo is not None:
            changes["fifo"] = str(fifo).lower() == "true"
        if groups:
            changes["message_groups"] = tuple(g for g in str(groups).split(",") if g)
        return replace(cls(), **changes)


class QueueWorkerStack(Stack):
    """Queue every upload, process it in batches, and keep what fails with the reason.

    Props come from the ``props`` argument or, when the app builds the stack (``cdk deploy``),
    from the context switches ``-c fifo=true`` and ``-c message_groups=<prefix>,<prefix>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: QueueWorkerProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or QueueWorkerProps.from_context(scope)
        removal = stateful_removal(self)

        alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.input = SecureBucket(
            self,
            "Input",
            access_logs=access_logs,
            # FIFO: S3 notifications cannot target a FIFO queue; EventBridge rules can.
            props=SecureBucketProps("input/", event_bridge_enabled=props.fifo),
        )
        self.output = SecureBucket(
            self, "Output", access_logs=access_logs, props=SecureBucketProps("output/")
        )

        # A FIFO queue's dead-letter queue must be FIFO too
        # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
        fifo = {"fifo": True} if props.fifo else {}
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            **fifo,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=MAX_RETENTION,
            removal_policy=removal.policy,
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is the work queue's dead-letter queue: it has no DLQ of its own by design.",
        )
        # SSE-SQS: S3 can send to it without a key policy (a KMS-encrypted queue needs one that
        # lets s3.amazonaws.com use the key,
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
        ordered: dict[str, Any] = {}
        if props.fifo:
            ordered = {
                **fifo,
                # EventBridge sends no deduplication id: a FIFO target needs content-based
                # deduplication (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html),
                # which drops a body seen in the last 5 minutes, e.g. a retried delivery.
                "content_based_deduplication": True,
            }
            if props.high_throughput:
                ordered["deduplication_scope"] = sqs.DeduplicationScope.MESSAGE_GROUP
                ordered["fifo_throughput_limit"] = sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID
        self.queue = sqs.Queue(
            self,
            "WorkQueue",
            **ordered,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(
                props.timeout.to_seconds() * VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT
            ),
            # Longer than the backlog alarm leaves anyone to react, and as long as the DLQ.
            retention_period=MAX_RETENTION,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=props.max_receive_count
            ),
            removal_policy=removal.policy,
        )

        self.worker = ObservedFunction(
            self,
            "Worker",
            alarms=alarms,
            props=ObservedFunctionProps(
                asset="queue_worker",
                description="Writes a manifest record for each object version queued from S3",
                memory_size=props.memory_size,
                timeout=props.timeout,
                # Lambda's poller invokes synchronously: the queue's redrive policy keeps what
                # fails, so the function needs no asynchronous DLQ of its own.
                invoked_asynchronously=False,
                environment={
                    "INPUT_BUCKET": self.input.bucket.bucket_name,
                    "INPUT_PREFIX": props.input_prefix,
                    "OUTPUT_BUCKET": self.output.bucket.bucket_name,
                    "MANIFEST_PREFIX": props.manifest_prefix,
                    "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue.queue_url,
                    # FIFO: the worker dead-letters a message failing on its last receive, so
                    # the group's messages it held back do not reach maxReceiveCount with it.
                    **({"MAX_RECEIVE_COUNT": str(props.max_receive_count)} if props.fifo else {}),
                },
            ),
        )
        function = self.worker.function
        # Reads the first bytes of the exact version queued (GetObject with VersionId:
        # s3:GetObjectVersion; the bucket is versioned, so every event names a version).
        grant_object_actions(
            self.input.bucket, function, f"{props.input_prefix}*", ["s3:GetObjectVersion"]
        )
        # A version deleted before its message is read must come back 404 NoSuchVersion (the
        # worker dead-letters it as gone), which S3 answers only to a caller allowed
        # s3:ListBucket, 403 AccessDenied otherwise
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
        grant_list_bucket(self.input.bucket, function)
        grant_object_actions(
            self.output.bucket, function, f"{props.manifest_prefix}*", ["s3:PutObject"]
        )
        # A message that can never succeed goes to the DLQ with its reason, at once: the
        # handler sends to the URL it is given (no GetQueueUrl, no attributes read).
        iam.Grant.add_to_principal(
            grantee=function,
            actions=["sqs:SendMessage"],
            resource_arns=[self.dead_letter_queue.queue_arn],
        )
        acknowledge(
            self.worker.role,
            "AwsSolutions-IAM5",
            "Inputs and manifests have generated names: the object actions are on object ARNs "
            "under the input prefix and the manifest prefix only.",
            findings=[
                f"Resource::<{self.get_logical_id(self.input.bucket.node.default_child)}.Arn>/"
                f"{props.input_prefix}*",
                f"Resource::<{self.get_logical_id(self.output.bucket.node.default_child)}.Arn>/"
                f"{props.manifest_prefix}*",
            ],
        )

        # Partial batch responses: only the messages the worker lists are retried
        # (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
        # The mapping is declared directly, not with SqsEventSource, whose grant adds
        # GetQueueUrl and ChangeMessageVisibility: Lambda's poller needs ReceiveMessage,
        # DeleteMessage and GetQueueAttributes on the queue
        # (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
        batching: dict[str, Any] = (
            {"batch_size": props.fifo_batch_size}
            if props.fifo
            else {"batch_size": props.batch_size, "max_batching_window": props.max_batching_window}
        )
        function.add_event_source_mapping(
            "WorkQueueMapping",
            event_source_arn=self.queue.queue_arn,
            **batching,
            report_batch_item_failures=True,
            max_concurrency=props.max_concurrency,
        )
        iam.Grant.add_to_principal(
            grantee=function,
            actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            resource_arns=[self.queue.queue_arn],
        )
        if props.fifo:
            self.group_rules = PrefixGroupRules(
                self,
                "MessageGroups",
                bucket=self.input.bucket,
                queue=self.queue,
                prefixes=props.message_groups,
            )
        else:
            self.input.bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.SqsDestination(self.queue),
                s3.NotificationKeyFilter(prefix=props.input_prefix),
            )
        # Either way the bucket's notification configuration is set by aws-cdk-lib's handler.
        acknowledge_notifications_handler(self)

        five_minutes = Duration.minutes(5)
        self.oldest_message_alarm = alarms.alarm_on_threshold(
            self,
            "OldestMessageAlarm",
            self.queue.metric_approximate_age_of_oldest_message(
                period=five_minutes, statistic="Maximum"
            ),
            "Uploads wait in the work queue longer than expected: the worker is falling behind",
            threshold=props.oldest_message_alarm.to_seconds(),
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self.queue_depth_alarm = alarms.alarm_on_threshold(
            self,
            "QueueDepthAlarm",
            self.queue.metric_approximate_number_of_messages_visible(
                period=five_minutes, statistic="Maximum"
            ),
            "The work queue's backlog is larger than expected",
            threshold=props.queue_depth_alarm,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        self.dead_letter_alarm = alarms.alarm_on_any(
            self,
            "DeadLettersAlarm",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=five_minutes, statistic="Maximum"
            ),
            "Messages failed processing and wait in the dead-letter queue with their reason",
        )

        CfnOutput(self, "InputBucketName", value=self.input.bucket.bucket_name)
        CfnOutput(self, "OutputBucketName", value=self.output.bucket.bucket_name)
        CfnOutput(self, "WorkQueueUrl", value=self.queue.queue_url)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.dead_letter_queue.queue_url)
        CfnOutput(self, "FunctionName", value=function.function_name)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)
