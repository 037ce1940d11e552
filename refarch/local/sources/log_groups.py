"""The log-group calls a service makes as the role it runs under, before it writes its streams.

Shared by the local Glue job and crawler (``glue_job``, ``glue_crawler``) and SageMaker hosting
(``sagemaker``), so each statement granting them is exercised, and proven necessary, by the run
(``tests/local/test_iam_necessity.py``). IAM authorizes these group actions on the group's ARN,
``…:log-group:NAME`` (Service Authorization Reference,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


def create_log_group(logs: Any, group: str) -> bool:
    """``CreateLogGroup`` as the caller; True if it created the group, False if it existed.

    CloudWatch Logs answers ``ResourceAlreadyExistsException`` for a group that exists
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html),
    which is not an error here. IAM decides first: a caller without ``logs:CreateLogGroup`` on the
    group is denied whether it exists or not, so the grant is still needed.
    """
    try:
        logs.create_log_group(logGroupName=group)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
        return False
    return True


def prepare_encrypted_glue_log_group(logs: Any, group: str, key_arn: str) -> None:
    """What Glue does, as the job's or crawler's role, with a group it writes encrypted logs to.

    Documented: with a security configuration that encrypts CloudWatch logs, Glue writes to a
    group named after the configuration and the role, and the role needs
    ``logs:AssociateKmsKey`` (besides ``CreateLogGroup``, ``CreateLogStream``, ``PutLogEvents``,
    the log actions of AWSGlueServiceRole) so Glue can associate the configuration's key with
    that group (https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html,
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSGlueServiceRole.html).
    The runner's reading, which AWS does not document: Glue makes both calls before each run
    writes its streams, ``CreateLogGroup`` even when the group exists (the stack creates it), then
    ``AssociateKmsKey`` with the configuration's key
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html).
    """
    create_log_group(logs, group)
    logs.associate_kms_key(logGroupName=group, kmsKeyId=key_arn)


def glue_log_encryption_key(glue: Any, security_configuration: str | None) -> str | None:
    """The key a Glue security configuration encrypts CloudWatch logs with (``SSE-KMS``), if any.

    Read with the caller's client (the runner's own reads use the deployer's identity).
    """
    if not security_configuration:
        return None
    configuration = glue.get_security_configuration(Name=security_configuration)[
        "SecurityConfiguration"
    ]["EncryptionConfiguration"]
    cloudwatch = configuration.get("CloudWatchEncryption", {})
    if cloudwatch.get("CloudWatchEncryptionMode") == "SSE-KMS":
        return str(cloudwatch["KmsKeyArn"])
    return None
