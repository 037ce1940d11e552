"""A Firehose stream from a Kinesis data stream to S3, through a transform Lambda."""

from dataclasses import dataclass

from aws_cdk import Aws, Duration, Size, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import stateful_removal
from refarch.constructs.secure_stream import grant_shard_reads

#: How Firehose reads the transform's timestamps when converting to Parquet (JodaTime
#: patterns; `ZZ` reads both `Z` and `+00:00`; `S` reads 1 to 9 fraction digits): ISO 8601
#: with an offset, with or without fractions of a second, or epoch milliseconds.
TIMESTAMP_PARSERS = (
    "yyyy-MM-dd'T'HH:mm:ss.SSSZZ",
    "yyyy-MM-dd'T'HH:mm:ssZZ",
)

#: With record format conversion, "you can't set SizeInMBs to a value less than 64"
#: (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
FORMAT_CONVERSION_MIN_BUFFER = Size.mebibytes(64)


def check_buffering(props: "StreamToS3DeliveryProps", *, format_conversion: bool) -> None:
    """Raise ``ValueError`` for buffering Firehose refuses for this stream, with the doc URL.

    This stream partitions dynamically, where "zero buffering feature is not available"
    (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html); format conversion needs a
    buffer of at least ``FORMAT_CONVERSION_MIN_BUFFER``. The local Firehose refuses the same
    (``refarch.local.sources.firehose.configuration``), so a deployer hears it at synth.
    """
    if props.buffering_interval.to_seconds() == 0:
        raise ValueError(
            "buffering_interval 0: zero buffering is not available with dynamic partitioning "
            "(https://docs.aws.amazon.com/firehose/latest/dev/buffering.html)"
        )
    size = props.buffering_size.to_mebibytes()
    if format_conversion and size < FORMAT_CONVERSION_MIN_BUFFER.to_mebibytes():
        raise ValueError(
            f"buffering_size {size:g} MiB: with Parquet conversion Firehose needs at least "
            f"{FORMAT_CONVERSION_MIN_BUFFER.to_mebibytes():g} MiB "
            "(https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html)"
        )


#: The map of Firehose CIDR blocks aws-cdk-lib adds to every stack with a Firehose stream (the
#: construct id of "@aws-cdk/aws-kinesisfirehose.CidrBlocks"); only destinations reached over
#: the network from Firehose's addresses (Redshift, Splunk, HTTP) use it.
_CIDR_MAPPING_ID = "@aws-cdk--aws-kinesisfirehose.CidrBlocks"


@dataclass(frozen=True)
class StreamToS3DeliveryProps:
    """Where and how Firehose writes: prefixes, buffers, the transform's batches and retries."""

    data_output_prefix: str
    """S3 prefix for delivered records; may use `!{partitionKeyFromLambda:<key>}`."""

    error_output_prefix: str
    """S3 prefix for records that failed; should use `!{firehose:error-output-type}`."""

    buffering_interval: Duration
    """Write a file when this much time has passed (the API allows 0 to 900 s, but zero
    buffering is not available with dynamic partitioning).

    Sources: https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html
    and https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
    """

    buffering_size: Size
    """...or when this much data is buffered (1 to 128 MiB: ``API_BufferingHints`` above)."""

    transform_buffer_size: Size = Size.mebibytes(1)
    """How much data Firehose hands the transform per invocation.

    @default - 1 MiB, Firehose's own default (the hint ranges 0.2 to 3 MB): request and
    response stay well inside the 6 MB payload limit of a synchronous Lambda invocation, even
    base64-encoded. Source: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
    """

    transform_buffer_interval: Duration = Duration.seconds(60)
    """How long Firehose waits to fill a transform batch before invoking anyway.

    @default - 60 seconds, Firehose's own default (the hint ranges 0 to 900 s: same page).
    Shorter would call the function more often with smaller batches; longer would delay
    every record at low volume. At this stack's volumes 60 s keeps the transform's share of
    the delivery delay small next to the 5-minute S3 buffer (this project's reasoning).
    """

    transform_retries: int = 3
    """Invocations of a failed batch before its records go to the error prefix.

    @default - 3, Firehose's default; after the last retry the records go to the error
    prefix: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
    """

    partitioning_retry: Duration = Duration.minutes(5)
    """How long Firehose retries a failed S3 put of a partitioned batch before the error prefix.

    @default - 5 minutes
    """

    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    """How long Firehose's delivery-error logs are kept.

    @default - one month
    """


class StreamToS3Delivery(Construct):
    """Kinesis data stream → Firehose (transform Lambda, dynamic partitioning) → S3 bucket.

    - Firehose reads the stream with a role of its own that can read that stream and decrypt
      with its key, and nothing else (consumers of an encrypted stream need ``kms:Decrypt``:
      https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
    - It writes with a second role that may put (and read back) objects under the data and
      error prefixes only, never delete, plus the bucket-level calls AWS documents for the S3
      destination (location, listings); invoke the transform; write its log group; and, for
      Parquet, read the schema's Glue table. aws-cdk-lib's S3 destination would
      grant read-write on the whole bucket; it gets an immutable view of the role instead, and
      the grants are made here.
    - Both roles trust only Firehose acting for this account (`sts:ExternalId` is the account
      id, as in the trust policy of
      https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html), so another
      account's Firehose stream cannot use them.
    - Dynamic partitioning with the keys the transform returns; failed records, whatever the
      cause, land under the error prefix (nothing is dropped).
    - GZIP JSON, or Parquet (Snappy) converted with the schema of a Glue table.
    - Delivery errors logged to a log group with retention.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream: kinesis.IStream,
        bucket: s3.IBucket,
        transform: lambda_.IFunction,
        props: StreamToS3DeliveryProps,
        parquet_table: glue.S3Table | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        check_buffering(props, format_conversion=parquet_table is not None)
        self.props = props
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=props.log_retention,
            removal_policy=stateful_removal(self).policy,
        )
        self.source_role = self._firehose_role("SourceRole", "Reads the Kinesis data stream")
        self.destination_role = self._firehose_role(
            "DestinationRole", "Transforms and writes records to the S3 bucket"
        )
        self._grant_source(stream)
        self._grant_destination(bucket, transform, props, parquet_table)

        self.delivery_stream = firehose.DeliveryStream(
            self,
            "DeliveryStream",
            # Firehose reads as a shared-throughput consumer: 2 MB/s per shard split among all
            # such readers:
            # https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html
            # No server-side encryption on the Firehose stream: SSE can be enabled only for a
            # Direct PUT source; with a Kinesis source the records are encrypted in the stream.
            # https://docs.aws.amazon.com/firehose/latest/APIReference/API_StartDeliveryStreamEncryption.html
            source=firehose.KinesisStreamSource(stream),
            # Granted by _grant_source: the L2's grant_read adds actions that take a stream
            # consumer or no resource, which a grant on the stream never applies to.
            role=self.source_role.without_policy_updates(),
            destination=firehose.S3Bucket(
                bucket,
                role=self.destination_role.without_policy_updates(),
                processors=[
                    firehose.LambdaFunctionProcessor(
                        transform,
                        buffer_size=props.transform_buffer_size,
                        buffer_interval=props.transform_buffer_interval,
                        retries=props.transform_retries,
                    )
                ],
                # Partition by the keys the transform returns; each partition is buffered on
                # its own: https://docs.aws.amazon.com/firehose/latest/dev/buffering.html
                dynamic_partitioning=firehose.DynamicPartitioningProps(
                    enabled=True, retry_duration=props.partitioning_retry
                ),
                data_output_prefix=props.data_output_prefix,
                error_output_prefix=props.error_output_prefix,
                # Whichever of time and size is reached first writes the object:
                # https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html
                buffering_interval=props.buffering_interval,
                buffering_size=props.buffering_size,
                # GZIP for JSON. With format conversion S3 compression is disabled and Snappy
                # is applied as part of the conversion:
                # https://docs.aws.amazon.com/firehose/latest/dev/enable-record-format-conversion.html
                compression=None if parquet_table else firehose.Compression.GZIP,
                data_format_conversion=(
                    self._parquet_conversion(parquet_table) if parquet_table else None
                ),
                logging_config=firehose.EnableLogging(self.log_group),
                # No encryption_key: objects get the bucket's default encryption (SSE-S3), with
                # no KMS request per object and no key grant for readers.
            ),
        )
        # The grants above go to the real role, which the L2 does not see: create the
        # delivery stream only once they exist (Firehose checks its access on creation).
        self.delivery_stream.node.add_dependency(self.source_role, self.destination_role)
        # The L2's map of Firehose CIDR blocks is unreferenced for an S3 destination, and
        # cfn-lint flags it (W7001).
        if not Stack.of(self).node.try_remove_child(_CIDR_MAPPING_ID):
            raise AssertionError(f"aws-cdk-lib no longer adds {_CIDR_MAPPING_ID}: drop this step")
        acknowledge(
            self.delivery_stream,
            "AwsSolutions-KDF1",
            "With a Kinesis data stream as source, Firehose keeps no data at rest and rejects "
            "server-side encryption; the records are encrypted in the stream with its KMS key.",
        )

    @property
    def longest_buffer_wait(self) -> Duration:
        """The longest a record waits in Firehose's buffers when all is well.

        The transform's buffer, then the S3 buffer: a freshness alarm should sit above it.
        """
        return Duration.seconds(
            self.props.transform_buffer_interval.to_seconds()
            + self.props.buffering_interval.to_seconds()
        )

    def _firehose_role(self, construct_id: str, description: str) -> iam.Role:
        """A role only Firehose acting for this account can assume."""
        return iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com").with_conditions(
                {"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}
            ),
            description=description,
        )

    def _grant_source(self, stream: kinesis.IStream) -> None:
        """What Firehose's Kinesis source reads with: the stream's shards and its key."""
        grant_shard_reads(self.source_role, stream)
        acknowledge_unexercised(
            self.source_role,
            ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary"],
            "Firehose's documented Kinesis source permissions "
            "(https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html); the local "
            "Firehose lists the shards and reads them, and does not model when Firehose "
            "describes the stream, so it makes no such call",
        )

    def _grant_destination(
        self,
        bucket: s3.IBucket,
        transform: lambda_.IFunction,
        props: StreamToS3DeliveryProps,
        parquet_table: glue.S3Table | None,
    ) -> None:
        """What Firehose's S3 destination needs, scoped to this delivery.

        The documented S3 destination policy is in
        https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
        """
        role = self.destination_role
        prefixes = [
            _static_prefix(props.data_output_prefix),
            _static_prefix(props.error_output_prefix),
        ]
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            resource_arns=[bucket.bucket_arn],
        )
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
            resource_arns=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
        )
        # The unqualified ARN Firehose invokes, not every version and alias (`:*`).
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
            resource_arns=[transform.function_arn],
        )
        self.log_group.grant_write(role)
        acknowledge_unexercised(
            role,
            [
                "s3:GetBucketLocation",
                "s3:ListBucket",
                "s3:ListBucketMultipartUploads",
                "s3:GetObject",
                "s3:AbortMultipartUpload",
                "lambda:GetFunctionConfiguration",
            ],
            "Firehose's documented S3 destination and Lambda transform permissions "
            "(https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html); the local "
            "Firehose writes each object with one PutObject (no listing, no multipart upload) "
            "and invokes the transform without reading its configuration",
        )
        acknowledge_unexercised(
            role,
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Firehose writes its error log only when an invocation or a write fails, which the "
            "scenario's clean run never does (ProcessingFailed records are not Firehose errors)",
        )
        if parquet_table is not None:
            stack = Stack.of(self)
            iam.Grant.add_to_principal(
                grantee=role,
                actions=["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                resource_arns=[
                    stack.format_arn(service="glue", resource="catalog"),
                    parquet_table.database.database_arn,
                    parquet_table.table_arn,
                ],
            )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Firehose writes objects with generated names under the data and error prefixes "
            "only; object ARNs under a prefix need the trailing wildcard.",
            findings=[
                f"Resource::<{Stack.of(self).get_logical_id(bucket.node.default_child)}.Arn>/"
                f"{prefix}*"
                for prefix in prefixes
            ],
        )

    @staticmethod
    def _parquet_conversion(table: glue.S3Table) -> firehose.DataFormatConversionProps:
        """JSON → Parquet (Snappy) with the columns of the Glue table."""
        return firehose.DataFormatConversionProps(
            # Firehose reads the columns from the table: format conversion uses a Glue table's
            # schema (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
            schema_configuration=firehose.SchemaConfiguration.from_cfn_table(
                table.node.default_child
            ),
            input_format=firehose.HiveJsonInputFormat(
                timestamp_parsers=[
                    *(firehose.TimestampParser.from_format_string(f) for f in TIMESTAMP_PARSERS),
                    firehose.TimestampParser.EPOCH_MILLIS,
                ]
            ),
            output_format=firehose.ParquetOutputFormat(
                compression=firehose.ParquetCompression.SNAPPY
            ),
        )


def _static_prefix(prefix: str) -> str:
    """The folders of an S3 prefix before its first `!{...}` expression.

    Example:
        >>> _static_prefix("events/year=!{partitionKeyFromLambda:year}/")
        'events/'
    """
    fixed = prefix.split("!{", 1)[0]
    return fixed[: fixed.rfind("/") + 1]
