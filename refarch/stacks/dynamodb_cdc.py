"""DynamoDB Streams → Lambda change data capture: a change log in S3 and a derived aggregate table.

An orders table streams every change with the item's old and new images. Lambda's event source
mapping filters the stream to the change types the consumer needs (inserts and updates: the
table's TTL deletions of old orders are not business changes), and hands a function batches; it
appends each change to a JSON Lines change log in S3, partitioned by day, and applies it to a
per-customer aggregate table exactly once, guarded by the order's last applied sequence number.
A failing record is bisected out, retried a bounded number of times and its position sent to an
on-failure queue.
"""

from dataclasses import dataclass

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
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
    alarm_on_failure_queue,
    alarm_on_iterator_age,
    on_failure_queue,
    stateful_removal,
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.s3_object_grants import grant_object_actions

#: The change types the consumer reads (``eventName`` of a stream record).
CONSUMED_CHANGES = ("INSERT", "MODIFY")


@dataclass(frozen=True)
class DynamoDbCdcProps:
    """What a deployer may change; the defaults are production-sane."""

    batch_size: int = 100
    """Records per invocation (1-10,000,
    https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html)."""

    max_batching_window: Duration = Duration.seconds(5)
    """Gather changes up to this long: fewer, larger change-log objects at low traffic."""

    retry_attempts: int = 3
    """Retries of a failing batch before its records go to the on-failure queue (-1 retries
    until the record leaves the stream after 24 hours, blocking the shard)."""

    max_record_age: Duration = Duration.hours(6)
    """Changes older than this are not applied but sent to the on-failure queue (60 s - 7 days;
    the stream keeps 24 hours)."""

    timeout: Duration = Duration.seconds(60)
    """One batch: a few S3 PUTs and one small transaction per change."""

    memory_size: int = 256
    """MB; the consumer is I/O-bound."""

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""


class DynamoDbCdcStack(Stack):
    """Capture an orders table's changes into a daily change log and a per-customer aggregate."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: DynamoDbCdcProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or DynamoDbCdcProps()
        removal = stateful_removal(self)
        alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))

        self.orders = dynamodb.Table(
            self,
            "Orders",
            partition_key=dynamodb.Attribute(name="order_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # Old and new image in every record: an update's effect on the aggregate is the
            # difference of the two (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html).
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # KMS with the AWS managed key (aws/dynamodb): encrypted with KMS, keys audited in
            # CloudTrail, no key to administer or pay for
            # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html).
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute="expires_at",
            removal_policy=removal.policy,
        )
        self.totals = dynamodb.Table(
            self,
            "CustomerTotals",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=removal.policy,
        )
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.change_log = SecureBucket(
            self, "ChangeLog", access_logs=access_logs, props=SecureBucketProps("change-log/")
        )

        failures = on_failure_queue(self, used_by="change consumer")
        self.failure_key = failures.key
        self.failure_queue = failures.queue

        self.consumer = ObservedFunction(
            self,
            "ChangeConsumer",
            alarms=alarms,
            props=ObservedFunctionProps(
                asset="dynamodb_cdc",
                description="Appends order changes to a daily change log and applies them once",
                memory_size=props.memory_size,
                timeout=props.timeout,
                invoked_asynchronously=False,
                environment={
                    "CHANGE_LOG_BUCKET": self.change_log.bucket.bucket_name,
                    "TOTALS_TABLE": self.totals.table_name,
                },
            ),
        )
        function = self.consumer.function
        # One PutObject per object: not grant_put, whose group adds multipart aborts, legal
        # holds, retention and tagging that the writer never calls.
        grant_object_actions(self.change_log.bucket, function, "changes/*", ["s3:PutObject"])
        # The transaction's two updates: the order's guard and the customer's totals.
        self.totals.grant(function, "dynamodb:UpdateItem")
        function.add_event_source(
            event_sources.DynamoEventSource(
                self.orders,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=props.batch_size,
                max_batching_window=props.max_batching_window,
                # One batch per shard at a time: changes of one order apply in stream order.
                parallelization_factor=1,
                bisect_batch_on_error=True,
                retry_attempts=props.retry_attempts,
                max_record_age=props.max_record_age,
                on_failure=event_sources.SqsDlq(self.failure_queue),
                report_batch_item_failures=True,
                # Only inserts and updates invoke the function; filtered records cost nothing
                # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
                filters=[
                    lambda_.FilterCriteria.filter(
                        {"eventName": lambda_.FilterRule.or_(*CONSUMED_CHANGES)}
                    )
                ],
            )
        )
        self._acknowledge_grants()

        self.on_failure_alarm = alarm_on_failure_queue(
            self,
            alarms,
            self.failure_queue,
            "Order changes exhausted their retries or their age: their stream positions wait "
            "in the on-failure queue",
        )
        self.iterator_age_alarm = alarm_on_iterator_age(
            self,
            "IteratorAgeAlarm",
            alarms,
            function,
            "The change consumer lags the table's stream (records expire after 24 hours)",
            threshold=Duration.hours(1),
        )

        CfnOutput(self, "OrdersTableName", value=self.orders.table_name)
        CfnOutput(self, "TotalsTableName", value=self.totals.table_name)
        CfnOutput(self, "ChangeLogBucketName", value=self.change_log.bucket.bucket_name)
        CfnOutput(self, "OnFailureQueueUrl", value=self.failure_queue.queue_url)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)

    def _acknowledge_grants(self) -> None:
        role = self.consumer.role
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "The wildcards are PutObject on object ARNs under changes/ only, "
            "the KMS action groups of grant_send_messages on the on-failure queue's own key, "
            "and dynamodb:ListStreams, which names no stream.",
            findings=[
                "Action::kms:GenerateDataKey*",
                "Action::kms:ReEncrypt*",
                "Resource::*",
                f"Resource::<{self.get_logical_id(self.change_log.bucket.node.default_child)}"
                ".Arn>/changes/*",
            ],
        )
        acknowledge_unexercised(
            role,
            ["dynamodb:ListStreams"],
            "in Lambda's documented DynamoDB execution-role permissions "
            "(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html): AWS does not say when "
            "its poller lists streams, and the runner reads the stream by the mapping's ARN",
        )
        acknowledge_unexercised(
            role,
            ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "kms:Encrypt", "kms:ReEncrypt*"],
            "grant_send_messages adds them for the on-failure queue: Lambda sends the record to "
            "the queue ARN it is given, and sending to an SSE-KMS queue needs GenerateDataKey "
            "and Decrypt only (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/"
            "SQSDeveloperGuide/sqs-key-management.html)",
        )
