"""One Glue security configuration for a pattern's jobs and crawlers, with its key and logs."""

import json
from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from refarch.constructs.log_encryption import allow_logs_to_encrypt
from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import deployment_unique_name, stateful_removal

#: What a Glue role needs on the key: write and read its encrypted bookmarks and logs (AWS docs:
#: "Setting up encryption in AWS Glue"). Exact actions, no `kms:*` groups.
KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")

#: What Glue does with a log group it writes when a security configuration encrypts its logs
#: (https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html), as the
#: job's or crawler's role: create the group if it is missing, associate the configuration's
#: key with it, then write streams. These four are the log actions of AWS's own role policy for
#: Glue, AWSGlueServiceRole, on ``/aws-glue/*``
#: (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueServiceRole.html).
#: The first two act on the group: IAM matches them against the Service Authorization
#: Reference's ``log-group`` ARN, ``…:log-group:NAME``, which the ``…:log-group:NAME:*`` of
#: ``LogGroup.Arn`` never equals; the last two act on a stream, ``…:log-group:NAME:log-stream:ID``
#: (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
GROUP_LOG_ACTIONS = ("logs:CreateLogGroup", "logs:AssociateKmsKey")
STREAM_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")

#: Glue 5.0 streams every job's logs in real time to the job's error and output groups;
#: continuous logging (``--enable-continuous-cloudwatch-log``, log filters and the ``logs-v2``
#: group) is a feature of Glue 4.0 and earlier
#: (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html,
#: https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html).
REAL_TIME_LOGGING_GLUE_VERSION = (5, 0)


class GlueEncryption(Construct):
    """A Glue security configuration, its customer-managed key, and the log groups Glue writes.

    - Data written to S3 by jobs: SSE-S3, like every bucket of the project (no KMS request per
      object, no key grant for Athena readers).
    - CloudWatch Logs of jobs and crawlers and job bookmarks: encrypted with a customer-managed
      key, rotated yearly; logs are the only place an error message quoting a bad record lands,
      and bookmarks hold object keys of the raw zone.
    - With CloudWatch encryption on, Glue writes under names derived from the security
      configuration's name and the role's (AWS docs, `JobRun.LogGroupName`): jobs to
      ``/aws-glue/jobs/<config>-role/<role>/output|error`` and, for Glue 4.0 and earlier with
      continuous logging, ``/aws-glue/jobs/logs-v2-<config>``; crawlers to
      ``/aws-glue/crawlers-role/<role>-<config>``. Only the groups Glue writes are created, so
      they carry a retention and are deleted (or kept) with the stack, instead of appearing on
      the first run with logs kept forever; the key policy lets CloudWatch Logs use the key for
      exactly those groups.
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
        self.security_configuration = glue.SecurityConfiguration(
            self,
            "Configuration",
            security_configuration_name=self.name,
            s3_encryption=glue.S3Encryption.s3_managed(),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(self.key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(self.key),
        )

    def job_log_groups(
        self, construct_id: str, role: iam.IRole, *, continuous_logging: bool
    ) -> list[logs.LogGroup]:
        """Create the log groups a job running as ``role`` writes to, and let it write them.

        ``continuous_logging`` (Glue 4.0 and earlier only) adds the configuration's shared
        ``logs-v2`` group.
        """
        prefix = f"/aws-glue/jobs/{self.name}-role/{role.role_name}"
        groups = [
            self._log_group(f"{construct_id}Output", f"{prefix}/output", role),
            self._log_group(f"{construct_id}Error", f"{prefix}/error", role),
        ]
        if not continuous_logging:
            return groups
        # Continuous logging's group is one per security configuration, shared by its jobs.
        name = f"/aws-glue/jobs/logs-v2-{self.name}"
        if self._continuous_logs is None:
            self._continuous_logs = self._log_group("ContinuousLogs", name, role)
        else:
            self._grant_log_group(name, role)
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
        # CloudWatch Logs may use the key for this group: one key-policy statement per group.
        allow_logs_to_encrypt(self.key, [self.log_group_arn(name)], pattern=False)
        self._grant_log_group(name, role)
        return log_group

    def _grant_log_group(self, name: str, role: iam.IRole) -> None:
        group_arn = self.log_group_arn(name)
        streams_arn = f"{group_arn}:log-stream:*"
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(GROUP_LOG_ACTIONS), resources=[group_arn])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(STREAM_LOG_ACTIONS), resources=[streams_arn])
        )
        self.key.grant(role, *KEY_ACTIONS)
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Glue names a log stream per run and per driver or executor (`<run id>-driver`, "
            "AWS docs: logging for Glue jobs); the stream actions are granted on the streams of "
            "this one log group only.",
            findings=[f"Resource::{_nag_text(Stack.of(self).resolve(streams_arn))}"],
        )

    def log_group_arn(self, name: str) -> str:
        """The group's ARN as IAM and CloudWatch Logs name it: ``…:log-group:NAME``, no ``:*``."""
        return Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )


def _nag_text(value: Any) -> str:
    """A resolved template value as cdk-nag names it in a finding (``<Ref>``, inline JSON)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_nag_text(part) for part in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return json.dumps(value, separators=(",", ":"))
