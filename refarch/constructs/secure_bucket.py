"""S3 buckets with the project's security defaults, built in one place."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import stateful_removal


def _secure_defaults(scope: Construct) -> dict:
    """The settings every bucket of the project shares, as `s3.Bucket` keyword arguments."""
    removal = stateful_removal(scope)
    return {
        # SSE-S3: no key to pay for, and no key policy to open to S3's log delivery.
        "encryption": s3.BucketEncryption.S3_MANAGED,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "enforce_ssl": True,
        "versioned": True,
        # Objects belong to the bucket owner, log deliveries included: no ACLs to manage.
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "removal_policy": removal.policy,
        "auto_delete_objects": removal.auto_delete_objects,
    }


class AccessLogBucket(Construct):
    """The bucket that receives S3 server access logs from a stack's data buckets.

    Server access logs give an object-level audit trail for the cost of storage
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html); CloudTrail data
    events cost extra
    (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html).
    """

    #: How long access logs are kept before expiring.
    RETENTION = Duration.days(365)

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            **_secure_defaults(self),
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=self.RETENTION,
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
        )
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "This is the access-log bucket itself: logging it into itself would loop, "
            "and a second log bucket would only move the finding.",
        )


@dataclass(frozen=True)
class SecureBucketProps:
    """What a pattern may change about a data bucket; everything else is a secure default."""

    access_logs_prefix: str
    """Prefix under the access-log bucket for this bucket's logs, e.g. ``input/``."""

    lifecycle_rules: Sequence[s3.LifecycleRule] = field(default_factory=tuple)
    """Extra lifecycle rules; noncurrent versions and incomplete uploads always expire."""

    noncurrent_version_retention: Duration = Duration.days(30)
    """How long overwritten or deleted object versions stay recoverable.

    @default - 30 days
    """

    event_bridge_enabled: bool = False
    """Send this bucket's events to EventBridge as well (for FIFO queues and rules).

    @default - False
    """


class SecureBucket(Construct):
    """A data bucket: encrypted, TLS-only, private, versioned, access-logged, data retained.

    - SSE-S3 encryption at rest: S3 applies it to every bucket by default, and it has no key
      cost or KMS request quota to plan for
      (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html).
    - A bucket policy denying requests without TLS (`aws:SecureTransport=false`)
      (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html).
    - Block Public Access on, object ACLs disabled
      (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
    - Versioning on: it is off by default, and it makes overwrites and deletes recoverable
      (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html).
    - Server access logs to the stack's `AccessLogBucket`.
    - RETAIN on stack deletion unless `-c destroy=true`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        access_logs: AccessLogBucket,
        props: SecureBucketProps,
    ) -> None:
        super().__init__(scope, construct_id)
        housekeeping = s3.LifecycleRule(
            id="expire-noncurrent-and-incomplete",
            noncurrent_version_expiration=props.noncurrent_version_retention,
            # Parts of a failed multipart upload are billed until aborted.
            abort_incomplete_multipart_upload_after=Duration.days(7),
            # Once expiration has removed every version, the lone delete marker goes too.
            expired_object_delete_marker=True,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            **_secure_defaults(self),
            server_access_logs_bucket=access_logs.bucket,
            server_access_logs_prefix=props.access_logs_prefix,
            lifecycle_rules=[housekeeping, *props.lifecycle_rules],
            event_bridge_enabled=props.event_bridge_enabled,
        )
