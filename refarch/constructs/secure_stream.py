"""Kinesis data streams with the project's security defaults, built in one place."""

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from constructs import Construct

from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import stateful_removal

#: Longest retention Kinesis Data Streams allows (seed 000:L5136-5144: up to 365 days).
MAX_RETENTION = Duration.days(365)


@dataclass(frozen=True)
class SecureStreamProps:
    """What a pattern may change about a stream: its capacity and how long it keeps records."""

    shard_count: int | None = None
    """Provisioned shards; ``None`` for on-demand capacity.

    Size it from the peak: one shard takes 1 MB/s or 1,000 records/s in and serves 2 MB/s out
    (seed 000:L5125-5134), so shards = max(peak MB/s in, peak records/s / 1,000, total MB/s
    read by shared-throughput consumers / 2), rounded up, plus headroom for hot partition
    keys (000:L5391-5420). Provisioned mode bills per shard-hour (000:L5160-5183) and is the
    cheaper choice for a steady, known load; resize it as the load grows.

    @default - on-demand: scales on the peaks of the last 30 days, starting at 4 MB/s or
    4,000 records/s of writes (seed 000:L5160-5183), with no shard arithmetic to get wrong
    """

    retention: Duration = Duration.hours(24)
    """How long records stay readable: the time a stopped consumer has to catch up before data
    is lost. From 24 hours (the default) up to 365 days (seed 000:L5136-5144); "Consumers
    falling behind ⇒ Increase retention" (000:L5466-5518). Retention beyond 24 hours is
    billed per shard-hour (AWS pricing).

    @default - 24 hours
    """


class SecureStream(Construct):
    """A Kinesis data stream encrypted with a customer-managed, rotated KMS key; data retained.

    - Server-side encryption with a key of its own rather than the AWS-managed
      ``alias/aws/kinesis`` (Kinesis: "At Rest: Supports KMS encryption", 000:L6027-6036).
      The key costs about $1 a month plus requests (Kinesis reuses data keys, so requests stay
      low), and buys a key policy the stack controls: only principals granted here can write
      or read plaintext, which is what makes the seed's "Unauthorized KMS Master Key Permission
      Error" (000:L5515-5518) a test-time check instead of a production surprise. Under the
      AWS-managed key, any principal with Kinesis permissions in the account could decrypt.
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
