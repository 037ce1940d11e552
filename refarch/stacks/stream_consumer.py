"""Kinesis Data Streams → Lambda consumer that scrubs PII into DynamoDB, plus a raw-stream reader.

Producers put JSON events on a KMS-encrypted stream. Lambda's event source mapping reads each
shard in order and hands the scrubber batches; it drops the PII fields and writes each event to
a DynamoDB table with a conditional put keyed by the event's own id, so a redelivered or
retried record never counts twice. A record that keeps failing is isolated by bisecting its
batch, retried a bounded number of times, and then its position in the shard (not its data) is
sent to an on-failure SQS queue, so the shard keeps moving. A second, independent mapping reads
the same raw stream for another function (an archiver of raw batches), with its own checkpoint.
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
    KinesisStreamAlarms,
    ObservedFunction,
    ObservedFunctionProps,
    SecureBucket,
    SecureBucketProps,
    SecureStream,
    SecureStreamProps,
    acknowledge,
    alarm_on_failure_queue,
    alarm_on_iterator_age,
    grant_shard_reads,
    on_failure_queue,
    stateful_removal,
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.s3_object_grants import grant_object_actions

#: The PII fields the scrubber drops before writing (top-level keys of each event).
DEFAULT_PII_FIELDS = ("email", "phone", "name", "address", "ip_address", "date_of_birth")


@dataclass(frozen=True)
class StreamConsumerProps:
    """What a deployer may change; the defaults are production-sane."""

    shard_count: int | None = 2
    """Provisioned shards (``None`` for on-demand). Each shard is read in order by its own
    poller; see ``SecureStreamProps.shard_count`` for the sizing rule."""

    retention: Duration = Duration.days(7)
    """The on-failure queue receives where a failed record is in the shard, not the record
    (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html): an
    operator must read it back from the stream, so records are kept a week, not 24 hours."""

    batch_size: int = 100
    """Records per invocation (1-10,000,
    https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html)."""

    max_batching_window: Duration = Duration.seconds(1)
    """Gather records up to this long before invoking with a partial batch (0-300 s): fewer,
    fuller invocations at low traffic, at most one second of added latency."""

    parallelization_factor: int = 2
    """Concurrent batches per shard (1-10); records with the same partition key stay in order
    (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)."""

    retry_attempts: int = 3
    """Retries of a failing batch before its records go to the on-failure queue (-1 retries
    until the record expires, which blocks the shard for up to the retention period)."""

    max_record_age: Duration = Duration.hours(1)
    """Records older than this are not processed but sent to the on-failure queue (60 s - 7 days):
    a consumer that fell far behind catches up instead of working through stale data."""

    timeout: Duration = Duration.seconds(60)
    """One batch of 100 conditional writes takes well under a second; the margin covers
    DynamoDB retries with backoff."""

    memory_size: int = 256
    """MB; the scrubber is I/O-bound (one PutItem per record)."""

    pii_fields: tuple[str, ...] = DEFAULT_PII_FIELDS
    """Top-level fields dropped before the write (the raw stream still holds them)."""

    iterator_age_alarm: Duration = Duration.minutes(10)
    """Alarm when the consumers lag the stream by more than this for 15 minutes."""

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""


class StreamConsumerStack(Stack):
    """Scrub PII from a Kinesis stream into DynamoDB exactly once per event id."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: StreamConsumerProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or StreamConsumerProps()
        removal = stateful_removal(self)

        alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        stream = SecureStream(
            self,
            "Events",
            props=SecureStreamProps(shard_count=props.shard_count, retention=props.retention),
        )
        self.stream = stream.stream

        # Keyed by the producer's event id: the conditional put on it is the deduplication
        # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
        self.table = dynamodb.Table(
            self,
            "ScrubbedEvents",
            partition_key=dynamodb.Attribute(name="event_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # Restore to any second of the last 35 days after a bad deploy or a bad write
            # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html).
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # The scrubbed events hold no PII: DynamoDB's default encryption at rest (an AWS
            # owned key, no charge) is enough, and the writer needs no KMS grant
            # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html).
            encryption=dynamodb.TableEncryption.DEFAULT,
            removal_policy=removal.policy,
        )

        # The on-failure queue holds only shard positions, but they point at PII: a key of its own.
        failures = on_failure_queue(self, used_by="stream consumer")
        self.failure_key = failures.key
        self.failure_queue = failures.queue

        self.scrubber = ObservedFunction(
            self,
            "Scrubber",
            alarms=alarms,
            props=ObservedFunctionProps(
                asset="stream_consumer",
                description="Drops PII from stream events and writes each event id once",
                memory_size=props.memory_size,
                timeout=props.timeout,
                # Lambda's poller invokes synchronously; the mapping's on-failure destination
                # keeps what fails, so no asynchronous DLQ.
                invoked_asynchronously=False,
                environment={
                    "TABLE_NAME": self.table.table_name,
                    "PII_FIELDS": ",".join(props.pii_fields),
                },
            ),
        )
        scrubber = self.scrubber.function
        self.table.grant(scrubber, "dynamodb:PutItem")
        self._add_stream_source(scrubber, props, report_failures=True)

        # A second, independent consumer of the raw stream: its own mapping and checkpoint.
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.raw_archive = SecureBucket(
            self, "RawArchive", access_logs=access_logs, props=SecureBucketProps("raw-archive/")
        )
        self.archiver = ObservedFunction(
            self,
            "Archiver",
            alarms=alarms,
            props=ObservedFunctionProps(
                asset="stream_archiver",
                description="Copies each batch of the raw stream to S3 under a deterministic key",
                memory_size=256,
                timeout=props.timeout,
                invoked_asynchronously=False,
                environment={"ARCHIVE_BUCKET": self.raw_archive.bucket.bucket_name},
            ),
        )
        archiver = self.archiver.function
        # One PutObject per object: not grant_put, whose group adds multipart aborts, legal
        # holds, retention and tagging that the writer never calls.
        grant_object_actions(self.raw_archive.bucket, archiver, "raw/*", ["s3:PutObject"])
        acknowledge(
            self.archiver.role,
            "AwsSolutions-IAM5",
            "The wildcard is PutObject on object ARNs under raw/ only.",
            findings=[
                f"Resource::<{self.get_logical_id(self.raw_archive.bucket.node.default_child)}"
                ".Arn>/raw/*",
            ],
        )
        acknowledge_unexercised(
            self.archiver.role,
            ["logs:CreateLogGroup"],
            "Lambda Insights' managed policy: the account's /aws/lambda-insights log group is "
            "created by the first function that reports to it, and in the scenario the "
            "scrubber runs first",
        )
        self._add_stream_source(archiver, props, report_failures=False)

        KinesisStreamAlarms(
            self,
            "StreamAlarms",
            stream=self.stream,
            alarms=alarms,
            iterator_age_threshold=props.iterator_age_alarm,
        )
        self.on_failure_alarm = alarm_on_failure_queue(
            self,
            alarms,
            self.failure_queue,
            "Stream records exhausted their retries or their age: their shard positions wait in "
            "the on-failure queue",
        )
        # Lambda's own view of the lag, per function (the stream metric mixes all consumers).
        self.function_iterator_age_alarm = alarm_on_iterator_age(
            self,
            "ScrubberIteratorAgeAlarm",
            alarms,
            scrubber,
            "The scrubber lags the stream",
            threshold=props.iterator_age_alarm,
        )

        CfnOutput(self, "StreamName", value=self.stream.stream_name)
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "OnFailureQueueUrl", value=self.failure_queue.queue_url)
        CfnOutput(self, "RawArchiveBucketName", value=self.raw_archive.bucket.bucket_name)
        CfnOutput(self, "ScrubberFunctionName", value=scrubber.function_name)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)

    def _add_stream_source(
        self, function: lambda_.IFunction, props: StreamConsumerProps, *, report_failures: bool
    ) -> None:
        """Map the stream to ``function`` with bounded retries, bisection and the failure queue.

        Lambda's poller reads the shards and sends the on-failure record with the function's
        execution role (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html), so the
        role gets the stream's read actions, its key's Decrypt, and (through the on-failure
        destination) SendMessage on the queue with its key.
        """
        function.add_event_source_mapping(
            "StreamMapping",
            event_source_arn=self.stream.stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=props.batch_size,
            max_batching_window=props.max_batching_window,
            parallelization_factor=props.parallelization_factor,
            # Split a failing batch in two before retrying: a poison record ends alone
            # (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
            bisect_batch_on_error=True,
            retry_attempts=props.retry_attempts,
            max_record_age=props.max_record_age,
            on_failure=event_sources.SqsDlq(self.failure_queue),
            # Only the failed record and what follows it in the shard are retried
            # (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
            report_batch_item_failures=report_failures,
        )
        # The read actions of AWS's Lambda Kinesis execution policy that take a stream
        # (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaKinesisExecutionRole.html),
        # on this stream only (not KinesisEventSource's grant_read: see grant_shard_reads).
        grant_shard_reads(function, self.stream)
        acknowledge(
            function.role,
            "AwsSolutions-IAM5",
            "The wildcards are the KMS action groups of grant_send_messages, on the on-failure "
            "queue's own key only: sending to an SSE-KMS queue needs GenerateDataKey.",
            findings=["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"],
        )
        acknowledge_unexercised(
            function.role,
            ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary"],
            "the describe calls of Lambda's documented Kinesis execution-role permissions "
            "(https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html): AWS does not say "
            "when its poller makes each, and the runner finds the shards with ListShards",
        )
        acknowledge_unexercised(
            function.role,
            ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "kms:Encrypt", "kms:ReEncrypt*"],
            "grant_send_messages adds them for the on-failure queue: Lambda sends the record to "
            "the queue ARN it is given, and sending to an SSE-KMS queue needs GenerateDataKey "
            "and Decrypt only (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/"
            "SQSDeveloperGuide/sqs-key-management.html)",
        )
