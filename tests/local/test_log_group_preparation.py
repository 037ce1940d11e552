"""The log-group calls the local Glue and SageMaker make as their roles, one action at a time.

``test_iam_necessity`` removes whole statements; a statement granting two group actions fails
the run on the first call denied. Here each action is removed alone from its role's statement,
so each is shown to be made (and needed) by the run: ``AssociateKmsKey`` by the Glue job and
crawler (https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html),
``DescribeLogStreams`` by SageMaker hosting's execution role
(https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms).
``AssociateKmsKey`` itself, which moto lacks, answers as the CloudWatch Logs API reference says
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html).
"""

from unittest import mock

import boto3
import pytest
from assemblies import synthesized
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.logs.responses import LogsResponse

from refarch.local import moto_logs, run_demo
from refarch.local.names import physical_name

REGION = "us-east-1"


def _without_action(role_prefix, action):
    """A template hook removing ``action`` from every statement of the role's policies."""

    def hook(template):
        resources = template["Resources"]
        roles = [i for i in resources if i.startswith(role_prefix)]
        for resource in resources.values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            if not any({"Ref": role} in resource["Properties"]["Roles"] for role in roles):
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"]
                if isinstance(actions, list) and action in actions and len(actions) > 1:
                    actions.remove(action)

    return hook


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pattern_id", "role", "action"),
    [
        ("glue-partitioned-etl", "JobRole", "logs:AssociateKmsKey"),
        ("glue-partitioned-etl", "RawCrawlerRole", "logs:AssociateKmsKey"),
        ("approved-model-endpoint", "ExecutionRole", "logs:DescribeLogStreams"),
    ],
)
def test_without_one_group_action_the_run_is_denied_that_action(pattern_id, role, action):
    assembly = synthesized(pattern_id)
    result = run_demo(
        pattern_id, out=None, template_hook=_without_action(role, action), assembly=assembly
    )

    assert not result.ok
    role_id = next(i for i in assembly.template["Resources"] if i.startswith(role))
    role_name = physical_name(assembly.stack_name, role_id)
    assert any(
        d.action == action and f"assumed-role/{role_name}/" in d.principal for d in result.denials
    ), result.denials


@pytest.fixture
def logs_and_key():
    with (
        mock_aws(),
        mock.patch.object(
            LogsResponse, "associate_kms_key", moto_logs.associate_kms_key, create=True
        ),
    ):
        key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]
        yield boto3.client("logs", region_name=REGION), key


def test_associate_kms_key_sets_the_key_of_the_group(logs_and_key):
    logs, key = logs_and_key
    logs.create_log_group(logGroupName="/g")
    logs.associate_kms_key(logGroupName="/g", kmsKeyId=key["Arn"])
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/g")["logGroups"]
    assert group["kmsKeyId"] == key["Arn"]


def test_associate_kms_key_refuses_a_missing_group_or_key(logs_and_key):
    logs, key = logs_and_key
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        logs.associate_kms_key(logGroupName="/missing", kmsKeyId=key["Arn"])
    logs.create_log_group(logGroupName="/g")
    missing = key["Arn"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError, match="InvalidParameterException"):
        logs.associate_kms_key(logGroupName="/g", kmsKeyId=missing)
    boto3.client("kms", region_name=REGION).disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError, match="InvalidParameterException"):
        logs.associate_kms_key(logGroupName="/g", kmsKeyId=key["Arn"])
