"""Kinesis Data Streams → Firehose → S3 with a transform Lambda, partitioned for query.

Producers put clickstream events on an encrypted stream; Firehose reads it, has a Lambda
transform each batch (validate, keep the attributes analytics needs, return the partition
keys), and writes the result to a data-lake bucket under Hive-style hourly partitions
(Firehose "can invoke your Lambda function to transform incoming source data and deliver the
transformed data to destinations": https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
"""

from dataclasses import dataclass, replace
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from refarch.constructs import (
    AccessLogBucket,
    AlarmTopic,
    AlarmTopicProps,
    FirehoseToS3Alarms,
    KinesisStreamAlarms,
    ObservedFunction,
    ObservedFunctionProps,
    SecureBucket,
    SecureBucketProps,
    SecureStream,
    SecureStreamProps,
    StreamToS3Delivery,
    StreamToS3DeliveryProps,
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.server_side_encrypted_table import declare_server_side_encrypted

#: Where transformed events land: Hive-style `key=value` partitions from the keys the transform
#: returns, so MSCK REPAIR TABLE, crawlers and partition projection find them. Firehose's default
#: `yyyy/MM/dd/HH` layout is not Hive-style and needs ALTER TABLE ADD PARTITION:
#: https://docs.aws.amazon.com/athena/latest/ug/partitions.html
DATA_OUTPUT_PREFIX = (
    "events/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/"
    "day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/"
)

#: Where records Firehose could not transform, partition, convert or deliver land, one folder
#: per error type (processing-failed, format-conversion-failed, ...) and by arrival day (AWS
#: docs: the error prefix, required with dynamic partitioning). Nothing is dropped silently.
ERROR_OUTPUT_PREFIX = (
    "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
    "day=!{timestamp:dd}/"
)

#: The columns the transform writes, one JSON line per event: the Glue table Firehose converts
#: to Parquet with. Timestamps are UTC ISO 8601 (`2024-05-01T10:00:00.123Z`).
EVENT_COLUMNS: tuple[tuple[str, glue.Type, str], ...] = (
    ("event_id", glue.Schema.STRING, "The producer's id of the event: the deduplication key"),
    ("event_type", glue.Schema.STRING, "page_view, click, ..."),
    ("event_time", glue.Schema.TIMESTAMP, "When the event happened (UTC): the partition"),
    ("user_key", glue.Schema.STRING, "The pseudonymised user id (the raw id is not stored)"),
    ("session_id", glue.Schema.STRING, "The browsing session"),
    ("page", glue.Schema.STRING, "The page the event happened on"),
    ("ingested_at", glue.Schema.TIMESTAMP, "When the record reached the stream"),
)

#: The partition keys the transform returns for each record (`partitionKeyFromLambda:<key>`).
PARTITION_KEYS = ("year", "month", "day", "hour")

#: Context keys a deployer sets with `cdk deploy -c <key>=<value>` (the app builds the stack
#: without props): `-c parquet=true`, `-c enhanced_fan_out_consumer=<name>`, and
#: `-c shard_count=<n>` for a provisioned stream of n shards instead of on-demand.
CONTEXT_PARQUET = "parquet"
CONTEXT_FAN_OUT_CONSUMER = "enhanced_fan_out_consumer"
CONTEXT_SHARD_COUNT = "shard_count"


@dataclass(frozen=True)
class StreamToLakeProps:
    """What a deployer may change; the defaults are production-sane."""

    shard_count: int | None = None
    """Provisioned shards, or ``None`` for on-demand capacity. One shard takes 1 MB/s and 1,000
    records/s of writes and serves 2 MB/s of reads
    (https://docs.aws.amazon.com/streams/latest/dev/working-with-streams.html): shards = the
    largest of peak MB/s in, peak records/s ÷ 1,000 and MB/s read ÷ 2, rounded up, with
    headroom for hot keys.

    @default - on-demand (Standard): starts at 4 MB/s of writes and 8 MB/s of reads and
    scales itself (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html);
    right for a new clickstream of unknown size
    """

    retention: Duration = Duration.hours(24)
    """How long the stream keeps records: the time Firehose has to catch up after an outage
    before data is lost. 24 hours to 8,760 hours (365 days):
    https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html

    @default - 24 hours (longer retention is billed extra:
    https://aws.amazon.com/kinesis/data-streams/pricing/)
    """

    parquet: bool = False
    """Convert the transform's JSON to Parquet (Snappy) with the schema of a Glue table.

    Firehose converts JSON to Parquet or ORC with the column information of a Glue table:
    https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html
    Columnar files compress by column and let Athena read only the columns and row groups a
    query needs, so scans cost less. The price: a schema to keep in step with the transform (a
    record that does not match lands under errors/format-conversion-failed/), a per-GB
    conversion charge (https://aws.amazon.com/firehose/pricing/), and files no longer readable
    with a text editor. Parquet rather than ORC is this project's choice: these events are
    flat, so ORC's complex types bring nothing, and Parquet is read by every engine the lake
    is likely to meet. Set with ``-c parquet=true``.

    @default - False: GZIP-compressed JSON Lines, with no schema to maintain
    """

    enhanced_fan_out_consumer: str | None = None
    """Register an enhanced fan-out consumer with this name, for a low-latency reader besides
    Firehose. Firehose reads with the shared throughput: 2 MB/s per shard split among all
    shared readers. An enhanced fan-out consumer gets its own 2 MB/s per shard, pushed to it
    over HTTP/2 (``SubscribeToShard``); a stream takes up to 20 such consumers in On-demand
    Standard or provisioned mode, up to 50 in On-demand Advantage:
    https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html
    It is billed per consumer-shard-hour and per GB retrieved:
    https://aws.amazon.com/kinesis/data-streams/pricing/
    Set with ``-c enhanced_fan_out_consumer=<name>``.

    @default - None: Firehose is the only reader, and shared throughput is enough
    """

    buffering_interval: Duration = Duration.minutes(5)
    """Firehose writes a file per partition when this time has passed, or the size below is
    reached, whichever comes first
    (https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html). Longer means
    fewer, larger files (cheaper to query) and later data; at most 900 s, and no zero
    buffering with dynamic partitioning
    (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html).

    @default - 5 minutes
    """

    buffering_size: Size = Size.mebibytes(128)
    """The size at which a partition's buffer is written. 128 MiB is the maximum
    (https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html), and
    large objects make Athena scans efficient.

    @default - 128 MiB
    """

    transform_memory_size: int = 256
    """MB for the transform. It handles one Firehose batch of about 1 MiB in memory, a few
    copies of which fit easily; CPU is not the bottleneck for per-record JSON reshaping.

    @default - 256
    """

    transform_timeout: Duration = Duration.minutes(1)
    """How long one transform invocation may run; Firehose supports up to 5 minutes
    (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
    A 1 MiB batch takes well under a second: a minute absorbs a cold start with its layers,
    and a hung invocation fails after one minute rather than five, so Firehose's three
    retries of it take minutes instead of a quarter of an hour.

    @default - 1 minute
    """

    iterator_age_threshold: Duration = Duration.minutes(10)
    """Alarm when the stream's oldest unread record is older than this for 15 minutes
    (``GetRecords.IteratorAgeMilliseconds``:
    https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html).
    Firehose reads continuously, so its lag is normally seconds;
    ten minutes of lag is far from the 24-hour retention, leaving time to act before records
    expire unread.

    @default - 10 minutes
    """

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""

    @classmethod
    def from_context(cls, scope: Construct) -> "StreamToLakeProps":
        """The defaults, with the switches a deployer set as CDK context (``-c key=value``)."""
        parquet = scope.node.try_get_context(CONTEXT_PARQUET)
        consumer = scope.node.try_get_context(CONTEXT_FAN_OUT_CONSUMER)
        shard_count = scope.node.try_get_context(CONTEXT_SHARD_COUNT)
        changes: dict[str, Any] = {}
        if shard_count is not None:
            changes["shard_count"] = int(shard_count)
        if parquet is not None:
            changes["parquet"] = str(parquet).lower() == "true"
        if consumer:
            changes["enhanced_fan_out_consumer"] = str(consumer)
        return replace(cls(), **changes)


class StreamToLakeStack(Stack):
    """Land a Kinesis clickstream in S3 through Firehose, transformed and partitioned by hour.

    Props come from the ``props`` argument or, when the app builds the stack (``cdk deploy``),
    from the context switches ``-c parquet=true``, ``-c enhanced_fan_out_consumer=<name>`` and
    ``-c shard_count=<n>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: StreamToLakeProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or StreamToLakeProps.from_context(self)

        alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.lake = SecureBucket(
            self,
            "Lake",
            access_logs=access_logs,
            props=SecureBucketProps(access_logs_prefix="lake/"),
        )
        self.clickstream = SecureStream(
            self,
            "Clickstream",
            props=SecureStreamProps(shard_count=props.shard_count, retention=props.retention),
        )
        stream = self.clickstream.stream

        self.transform = ObservedFunction(
            self,
            "Transform",
            alarms=alarms,
            props=ObservedFunctionProps(
                asset="clickstream_transform",
                description="Validates clickstream events and returns their hourly partition keys",
                memory_size=props.transform_memory_size,
                timeout=props.transform_timeout,
                # Firehose invokes the transform synchronously and retries it itself; records
                # that still fail land under errors/processing-failed/, not in a DLQ.
                invoked_asynchronously=False,
            ),
        )

        self.events_table = self._events_table() if props.parquet else None
        self.delivery = StreamToS3Delivery(
            self,
            "Firehose",
            stream=stream,
            bucket=self.lake.bucket,
            transform=self.transform.function,
            parquet_table=self.events_table,
            props=StreamToS3DeliveryProps(
                data_output_prefix=DATA_OUTPUT_PREFIX,
                error_output_prefix=ERROR_OUTPUT_PREFIX,
                buffering_interval=props.buffering_interval,
                buffering_size=props.buffering_size,
            ),
        )

        self.producer_role = self._producer_role(stream)
        self.fan_out_consumer = (
            kinesis.StreamConsumer(
                self,
                "FanOutConsumer",
                stream=stream,
                stream_consumer_name=props.enhanced_fan_out_consumer,
            )
            if props.enhanced_fan_out_consumer
            else None
        )

        KinesisStreamAlarms(
            self,
            "StreamAlarms",
            stream=stream,
            alarms=alarms,
            iterator_age_threshold=props.iterator_age_threshold,
        )
        FirehoseToS3Alarms(
            self,
            "FirehoseAlarms",
            delivery_stream=self.delivery.delivery_stream,
            alarms=alarms,
            # Twice the longest a record waits in Firehose's buffers when all is well: delivery
            # has fallen a whole buffer cycle behind.
            freshness_threshold=Duration.seconds(
                2 * self.delivery.longest_buffer_wait.to_seconds()
            ),
            transform=True,
            dynamic_partitioning=True,
            format_conversion=props.parquet,
        )

        CfnOutput(self, "StreamName", value=stream.stream_name)
        CfnOutput(self, "StreamArn", value=stream.stream_arn)
        CfnOutput(
            self, "DeliveryStreamName", value=self.delivery.delivery_stream.delivery_stream_name
        )
        CfnOutput(self, "LakeBucketName", value=self.lake.bucket.bucket_name)
        CfnOutput(
            self,
            "ProducerRoleArn",
            value=self.producer_role.role_arn,
            description="Assume this role to put records on the stream (and nothing else)",
        )
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)
        if self.fan_out_consumer is not None:
            CfnOutput(self, "FanOutConsumerArn", value=self.fan_out_consumer.stream_consumer_arn)
        if self.events_table is not None:
            CfnOutput(self, "GlueDatabaseName", value=self.events_table.database.database_name)
            CfnOutput(self, "GlueTableName", value=self.events_table.table_name)

    def _events_table(self) -> glue.S3Table:
        """The Glue table of the transform's output: Firehose converts to Parquet with it."""
        catalog = glue.Database(
            self,
            "Catalog",
            description="The clickstream data lake, as Firehose writes it",
            # Metadata only, rebuilt from this code (MSCK REPAIR TABLE re-adds partitions); the
            # data stays in the retained bucket. Retaining it would make a redeploy collide
            # with its generated, fixed name.
            removal_policy=RemovalPolicy.DESTROY,
        )
        table = glue.S3Table(
            self,
            "Events",
            database=catalog,
            description="Clickstream events, one row per event, partitioned by hour",
            storage=glue.S3TableStorage.from_bucket(self.lake.bucket),
            s3_prefix="events/",
            columns=[glue.Column(name=n, type=t, comment=c) for n, t, c in EVENT_COLUMNS],
            # Hive-style partitions: MSCK REPAIR TABLE or a crawler adds them.
            # https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html
            partition_keys=[glue.Column(name=k, type=glue.Schema.STRING) for k in PARTITION_KEYS],
            data_format=glue.DataFormat.PARQUET,
        )
        # Firehose writes the Parquet files SSE-S3: Athena must not read them as CSE-KMS.
        return declare_server_side_encrypted(table)

    def _producer_role(self, stream: kinesis.IStream) -> iam.Role:
        """A ready least-privilege identity for producers: put records on this stream only.

        Assumable by principals of this account whose own policy allows ``sts:AssumeRole`` on
        it (the account root as principal delegates to IAM, it does not open the role to all).
        Writing needs the key too: without ``kms:GenerateDataKey`` the producer gets an
        "unauthorized KMS master key permission error"
        (https://docs.aws.amazon.com/streams/latest/dev/troubleshooting-producers.html). The
        grants are those of AWS's example producer policy, GenerateDataKey being the only key
        action a producer needs
        (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html), not
        ``stream.grant_write``'s, which adds Encrypt and ReEncrypt*.
        """
        role = iam.Role(
            self,
            "ProducerRole",
            assumed_by=iam.AccountRootPrincipal(),
            description="Puts clickstream records on the stream (and nothing else)",
        )
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["kinesis:PutRecords", "kinesis:PutRecord", "kinesis:ListShards"],
            resource_arns=[stream.stream_arn],
        )
        if stream.encryption_key is not None:
            stream.encryption_key.grant(role, "kms:GenerateDataKey")
        acknowledge_unexercised(
            role,
            ["kinesis:PutRecord", "kinesis:ListShards"],
            "The role is offered to any producer: the scenario's producer batches with "
            "PutRecords, PutRecord is the single-record form of the same write, and ListShards "
            "is how a producer library finds the shards it writes to",
        )
        return role
