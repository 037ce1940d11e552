"""S3 → Lambda event processing: validate CSV uploads, write curated JSON Lines and rejections.

Upload → event notification filtered by prefix and suffix → Lambda → results in another bucket
(Amazon S3 Event Notifications: https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html).
"""

from dataclasses import dataclass

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
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
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.s3_object_grants import grant_list_bucket, grant_object_actions


@dataclass(frozen=True)
class S3EventProcessingProps:
    """What a deployer may change; the defaults are production-sane."""

    input_prefix: str = "incoming/"
    """Only objects under this prefix trigger processing (S3 key name filtering:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html)."""

    input_suffix: str = ".csv"
    """Only objects with this suffix trigger processing (S3 key name filtering:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html)."""

    valid_prefix: str = "curated/"
    """Where valid rows land in the output bucket, as JSON Lines."""

    rejected_prefix: str = "rejected/"
    """Where rejected rows land in the output bucket, each with its line number and reason."""

    input_infrequent_access_after: Duration = Duration.days(30)
    """Processed uploads move to Standard-IA after this. S3 requires 30 days in Standard before
    a transition to Standard-IA or One Zone-IA:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html"""

    input_expiration: Duration = Duration.days(365)
    """Uploads are deleted this long after arrival; the curated output is what is kept."""

    memory_size: int = 1769
    """MB for the function. It streams, so memory does not grow with object size, but CSV
    validation is CPU-bound and Lambda allocates CPU in proportion to memory: 1,769 MB is one
    full vCPU, so an object costs about the same GB-seconds and finishes ~3.5x sooner than at
    512 MB (bench/streaming_memory.py measures throughput per vCPU)."""

    timeout: Duration = Duration.minutes(15)
    """The Lambda maximum, 900 seconds
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html): at the measured
    ~5 MB/s per vCPU, objects up to ~4 GB. Larger inputs belong in a Glue job."""

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""


class S3EventProcessingStack(Stack):
    """Validate every CSV uploaded under `incoming/`, writing results to a separate bucket.

    The output goes to a different bucket from the input, so the function's own writes can
    never trigger it again (a recursive loop would invoke it without end).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: S3EventProcessingProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or S3EventProcessingProps()

        alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.input = SecureBucket(
            self,
            "Input",
            access_logs=access_logs,
            props=SecureBucketProps(
                access_logs_prefix="input/",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="age-out-processed-uploads",
                        prefix=props.input_prefix,
                        # Lifecycle rules: transition and expiration actions.
                        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
                        transitions=[
                            s3.Transition(
                                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                transition_after=props.input_infrequent_access_after,
                            )
                        ],
                        expiration=props.input_expiration,
                    )
                ],
            ),
        )
        self.output = SecureBucket(
            self,
            "Output",
            access_logs=access_logs,
            props=SecureBucketProps(access_logs_prefix="output/"),
        )

        self.processor = ObservedFunction(
            self,
            "CsvValidator",
            alarms=alarms,
            props=ObservedFunctionProps(
                asset="csv_validator",
                description="Validates uploaded order CSVs into curated JSON Lines and rejections",
                memory_size=props.memory_size,
                timeout=props.timeout,
                # The handler refuses any record outside the bucket, prefix and suffix the
                # notification below filters on, so it is told all three.
                environment={
                    "INPUT_BUCKET": self.input.bucket.bucket_name,
                    "OUTPUT_BUCKET": self.output.bucket.bucket_name,
                    "INPUT_PREFIX": props.input_prefix,
                    "INPUT_SUFFIX": props.input_suffix,
                    "VALID_PREFIX": props.valid_prefix,
                    "REJECTED_PREFIX": props.rejected_prefix,
                },
            ),
        )
        function = self.processor.function
        # Read the exact version that triggered the event, only under the filtered prefix: the
        # bucket is versioned, so every event names a version (GetObject with VersionId needs
        # s3:GetObjectVersion).
        grant_object_actions(
            self.input.bucket, function, f"{props.input_prefix}*", ["s3:GetObjectVersion"]
        )
        for prefix in (props.valid_prefix, props.rejected_prefix):
            grant_object_actions(
                self.output.bucket,
                function,
                f"{prefix}*",
                [
                    # Each output is one PutObject, or a multipart upload past 8 MiB
                    # (multipart_writer), aborted if the file fails.
                    "s3:PutObject",
                    "s3:AbortMultipartUpload",
                    # The handler reads an existing output's metadata (HeadObject) to skip
                    # stale, out-of-order events, and deletes an output an older version left
                    # that the current version no longer produces (the bucket is versioned:
                    # the old one stays recoverable).
                    "s3:GetObject",
                    "s3:DeleteObject",
                ],
            )
        # "No output yet" and "the source is gone" are 404s, which S3 answers only to a caller
        # allowed s3:ListBucket, 403 AccessDenied otherwise
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
        for bucket in (self.input.bucket, self.output.bucket):
            grant_list_bucket(bucket, function)
        acknowledge_unexercised(
            self.processor.role,
            ["s3:DeleteObject"],
            "Deleting an output is the path of a new version of an input that no longer "
            "produces an output an older version did; the scenario never uploads such a version",
        )
        acknowledge_unexercised(
            self.processor.role,
            ["s3:AbortMultipartUpload"],
            "A multipart upload is aborted only when writing an output past 8 MiB fails; the "
            "scenario's outputs are each written with one PutObject",
        )
        acknowledge(
            self.processor.role,
            "AwsSolutions-IAM5",
            "Outputs and inputs have generated names: the object actions are on object ARNs "
            "under the filtered input prefix and the two output prefixes only.",
            findings=[
                f"Resource::<{self.get_logical_id(self.input.bucket.node.default_child)}.Arn>/"
                f"{props.input_prefix}*",
                *(
                    f"Resource::<{self.get_logical_id(self.output.bucket.node.default_child)}.Arn>/"
                    f"{prefix}*"
                    for prefix in (props.valid_prefix, props.rejected_prefix)
                ),
            ],
        )

        # s3:ObjectCreated:* matches every way an object is created: PUT, POST, copy and
        # multipart uploads alike.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
        self.input.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(function),
            s3.NotificationKeyFilter(prefix=props.input_prefix, suffix=props.input_suffix),
        )
        acknowledge_notifications_handler(self)

        CfnOutput(self, "InputBucketName", value=self.input.bucket.bucket_name)
        CfnOutput(self, "OutputBucketName", value=self.output.bucket.bucket_name)
        CfnOutput(self, "FunctionName", value=function.function_name)
        CfnOutput(self, "DeadLetterQueueUrl", value=self.processor.dead_letter_queue.queue_url)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)
