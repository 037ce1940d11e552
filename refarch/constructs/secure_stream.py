"""Kinesis data streams with the project's security defaults, built in one place."""

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from constructs import Construct

from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import stateful_removal

#: Longest retention Kinesis Data Streams allows: 8,760 hours (365 days). Source:
#: https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html
MAX_RETENTION = Duration.days(365)


@dataclass(frozen=True)
class SecureStreamProps:
    """What a pattern may change about a stream: its capacity and how long it keeps records."""

    shard_count: int | None = None
    """Provisioned shards; ``None`` for on-demand capacity.

    Size it from the peak: one shard takes 1 MB/s and 1,000 records/s of writes and serves
    2 MB/s of reads, so shards = max(peak MB/s in, peak records/s / 1,000, total MB/s read by
    shared-throughput consumers / 2), rounded up, plus headroom for hot partition keys, since
    one key always lands on one shard. Shard limits:
    https://docs.aws.amazon.com/streams/latest/dev/working-with-streams.html
    Provisioned mode bills per shard-hour and is the cheaper choice for a steady, known load
    (this project's reading of https://aws.amazon.com/kinesis/data-streams/pricing/); resize
    it as the load grows.

    @default - on-demand (Standard): a new stream starts with 4 MB/s of write and 8 MB/s of
    read throughput and scales itself, with no shard arithmetic to get wrong. Source:
    https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
    """

    retention: Duration = Duration.hours(24)
    """How long records stay readable: the time a stopped consumer has to catch up before data
    is lost. From 24 hours (the default) up to 8,760 hours (365 days):
    https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html
    Raise it when a consumer could fall behind for longer than that (this project's rule).
    Retention beyond 24 hours is billed extra:
    https://aws.amazon.com/kinesis/data-streams/pricing/

    @default - 24 hours
    """


class SecureStream(Construct):
    """A Kinesis data stream encrypted with a customer-managed, rotated KMS key; data retained.

    - Server-side encryption with a key of its own rather than the AWS-managed
      ``alias/aws/kinesis``:
      https://docs.aws.amazon.com/streams/latest/dev/server-side-encryption.html
      The key costs $1 a month, plus $1 a month for each backing key its yearly rotation
      creates, plus requests (https://aws.amazon.com/kms/pricing/; Kinesis reuses data keys,
      so requests stay low). It buys a key policy the stack controls: producers need
      ``kms:GenerateDataKey`` and consumers ``kms:Decrypt`` on it, "otherwise, writes and
      reads from a stream will fail":
      https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
      That makes the "unauthorized KMS master key permission error" of
      https://docs.aws.amazon.com/streams/latest/dev/troubleshooting-producers.html a
      test-time check instead of a production surprise. The AWS-managed key "does not require
      application of custom IAM permissions" (same page), so any principal with Kinesis
      permissions in the account could read plaintext.
    - On-demand capacity unless a shard count is given; retention as a prop.
    - The stream and its key are RETAINed unless `-c destroy=true`: deleting either loses the
      records it holds.

    Grant access with the stream's ``grant_read``/``grant_write``: they include the KMS
    permissions on the key (``kms:Decrypt`` to read, ``kms:GenerateDataKey*`` to write).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: SecureStreamProps) -> None:
        super().__init__(scope, construct_id)
        if props.shard_count is not None and props.shard_count < 1:
            raise ValueError(f"shard_count must be at least 1, got {props.shard_count}")
        removal = stateful_removal(self)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the Kinesis data stream at rest",
            enable_key_rotation=True,
            removal_policy=removal.policy,
        )
        provisioned = props.shard_count is not None
        self.stream = kinesis.Stream(
            self,
            "Stream",
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=self.key,
            stream_mode=(
                kinesis.StreamMode.PROVISIONED if provisioned else kinesis.StreamMode.ON_DEMAND
            ),
            shard_count=props.shard_count,
            retention_period=props.retention,
            removal_policy=removal.policy,
        )
        acknowledge(
            self.stream,
            "AwsSolutions-KDS3",
            "A customer-managed key is chosen on purpose: its key policy limits who can read "
            "plaintext to the principals granted in this stack, and it costs ~$1/month plus "
            "few requests because Kinesis caches data keys.",
        )


#: What a shard reader (Lambda's poller, Firehose's Kinesis source) calls on the stream itself.
SHARD_READ_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)


def grant_shard_reads(grantee: iam.IGrantable, stream: kinesis.IStream) -> None:
    """Let ``grantee`` read ``stream``'s shards: the stream's read actions, its key's Decrypt.

    Not ``stream.grant_read``: it also names ``ListStreams`` (no resource type) and the
    enhanced fan-out actions (authorized on a stream consumer) on the stream's ARN, where IAM
    never matches them (Service Authorization Reference,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesis.html).
    """
    iam.Grant.add_to_principal(
        grantee=grantee, actions=list(SHARD_READ_ACTIONS), resource_arns=[stream.stream_arn]
    )
    if stream.encryption_key is not None:
        stream.encryption_key.grant_decrypt(grantee)
