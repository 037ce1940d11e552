"""Letting CloudWatch Logs encrypt named log groups with a customer-managed key."""

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms


def allow_logs_to_encrypt(key: kms.Key, log_group_arns: Sequence[str], *, pattern: bool) -> None:
    """Add the key-policy statement CloudWatch Logs needs, scoped to these log groups.

    CloudWatch Logs encrypts with the key itself, so the key policy must allow the regional
    Logs principal; the encryption context names the log group, which limits the grant to the
    listed ones (AWS docs: the key policy for encrypted log groups). ``pattern`` says whether
    the ARNs hold wildcards (``ArnLike``) or are exact (``ArnEquals``).
    """
    operator = "ArnLike" if pattern else "ArnEquals"
    arns = list(log_group_arns)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={
                operator: {
                    "kms:EncryptionContext:aws:logs:arn": arns[0] if len(arns) == 1 else arns
                }
            },
        )
    )
