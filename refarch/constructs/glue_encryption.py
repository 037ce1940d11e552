"""One Glue security configuration for a pattern's jobs and crawlers, with its key and logs."""

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from refarch.constructs.log_encryption import allow_logs_to_encrypt
from refarch.constructs.removal import deployment_unique_name, stateful_removal

#: What a Glue role needs on the key: write and read its encrypted bookmarks and logs (AWS docs:
#: "Setting up encryption in AWS Glue"). Exact actions, no `kms:*` groups.
KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")

#: What Glue does with the log groups it writes to when logs are encrypted: create them if
#: missing, associate the security configuration's key, write (AWS docs: the role needs
#: `logs:AssociateKmsKey` with CloudWatch Logs encryption).
LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:AssociateKmsKey",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
)


class GlueEncryption(Construct):
    """A Glue security configuration, its customer-managed key, and the log groups Glue writes.

    - Data written to S3 by jobs: SSE-S3, like every bucket of the project (no KMS request per
      object, no key grant for Athena readers).
    - CloudWatch Logs of jobs and crawlers and job bookmarks: encrypted with a customer-managed
      key, rotated yearly; logs are the only place an error message quoting a bad record lands,
      and bookmarks hold object keys of the raw zone.
    - With CloudWatch encryption on, Glue writes under names derived from the security
      configuration's name and the role's (AWS docs, `JobRun.LogGroupName`): jobs to
      ``/aws-glue/jobs/<config>-role/<role>/output|error`` and, with continuous logging,
      ``/aws-glue/jobs/logs-v2-<config>``; crawlers to
      ``/aws-glue/crawlers-role/<role>-<config>``. They are created here, so they carry a
      retention and are deleted (or kept) with the stack, instead of appearing on the first run
      with logs kept forever.
    - The configuration's name is unique to each creation of the stack, so log groups kept
      after a ``cdk destroy`` never block the next deploy.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self._log_retention = log_retention
        self._continuous_logs: logs.LogGroup | None = None
        self.name = deployment_unique_name(self, "glue")
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the Glue job bookmarks and the Glue CloudWatch logs",
            enable_key_rotation=True,
            removal_policy=stateful_removal(self).policy,
        )
        allow_logs_to_encrypt(
            self.key,
            [
                self._log_group_arn(f"/aws-glue/jobs/{self.name}-role/*"),
                self._log_group_arn(f"/aws-glue/jobs/logs-v2-{self.name}"),
                self._log_group_arn(f"/aws-glue/crawlers-role/*-{self.name}"),
            ],
            pattern=True,
        )
        self.security_configuration = glue.SecurityConfiguration(
            self,
            "Configuration",
            security_configuration_name=self.name,
            s3_encryption=glue.S3Encryption.s3_managed(),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(self.key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(self.key),
        )

    def job_log_groups(self, construct_id: str, role: iam.IRole) -> list[logs.LogGroup]:
        """Create the log groups a job running as ``role`` writes to, and let it write them."""
        prefix = f"/aws-glue/jobs/{self.name}-role/{role.role_name}"
        groups = [
            self._log_group(f"{construct_id}Output", f"{prefix}/output", role),
            self._log_group(f"{construct_id}Error", f"{prefix}/error", role),
        ]
        # Continuous logging's group is one per security configuration, shared by its jobs.
        if self._continuous_logs is None:
            self._continuous_logs = self._log_group(
                "ContinuousLogs", f"/aws-glue/jobs/logs-v2-{self.name}", role
            )
        else:
            self._grant_log_group(self._continuous_logs, role)
        return [*groups, self._continuous_logs]

    def crawler_log_group(self, construct_id: str, role: iam.IRole) -> logs.LogGroup:
        """Create the log group a crawler running as ``role`` writes to, and let it write."""
        name = f"/aws-glue/crawlers-role/{role.role_name}-{self.name}"
        return self._log_group(construct_id, name, role)

    def _log_group(self, construct_id: str, name: str, role: iam.IRole) -> logs.LogGroup:
        log_group = logs.LogGroup(
            self,
            construct_id,
            log_group_name=name,
            encryption_key=self.key,
            retention=self._log_retention,
            removal_policy=stateful_removal(self).policy,
        )
        self._grant_log_group(log_group, role)
        return log_group

    def _grant_log_group(self, log_group: logs.LogGroup, role: iam.IRole) -> None:
        log_group.grant(role, *LOG_ACTIONS)
        self.key.grant(role, *KEY_ACTIONS)

    def _log_group_arn(self, name: str) -> str:
        return Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
