"""``cdk deploy``/``destroy`` as the live run calls them, and the stack read back (no AWS)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from refarch.catalog import get
from refarch.constructs.removal import DESTROY_CONTEXT_KEY
from refarch.live import cdk
from refarch.live.account import Account
from refarch.scenarios.target import RUN_TAG, DeployedResource

PATTERN = get("s3-event-processing")


def _account_with(cloudformation) -> Account:
    account = Account(boto3.Session(region_name="eu-west-1"))
    account._clients["cloudformation"] = cloudformation
    return account


def test_the_destroy_context_is_the_constructs_one():
    assert cdk.DESTROY_CONTEXT_KEY == DESTROY_CONTEXT_KEY


def test_deploy_and_destroy_run_the_pinned_cli_on_one_tagged_stack():
    calls: list[tuple[list[str], dict[str, str]]] = []

    def runner(argv, env):
        calls.append((list(argv), dict(env)))
        return 0

    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    with Stubber(cloudformation) as stub:
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    {
                        "LogicalResourceId": "InputBucket35D89CB1",
                        "PhysicalResourceId": "s3eventprocessing-inputbucket-abc",
                        "ResourceType": "AWS::S3::Bucket",
                        "LastUpdatedTimestamp": "2026-12-04T00:00:00Z",
                        "ResourceStatus": "CREATE_COMPLETE",
                    },
                    {
                        "LogicalResourceId": "Skipped",
                        "ResourceType": "AWS::SQS::Queue",
                        "LastUpdatedTimestamp": "2026-12-04T00:00:00Z",
                        "ResourceStatus": "CREATE_COMPLETE",
                    },
                ]
            },
            {"StackName": "S3EventProcessing"},
        )
        deployer = cdk.CdkDeployer(runner=runner)
        account = _account_with(cloudformation)
        resources = deployer.deploy(PATTERN, "run-1", account)
        deployer.destroy(PATTERN, "run-1", account)
    (deploy_argv, deploy_env), (destroy_argv, _) = calls
    assert deploy_argv == [
        "npx", "--no-install", "cdk", "deploy", "S3EventProcessing",
        "-c", "patterns=s3-event-processing", "-c", "destroy=true",
        "--tags", f"{RUN_TAG}=run-1", "--require-approval", "never",
    ]  # fmt: skip
    assert deploy_env["AWS_REGION"] == deploy_env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert destroy_argv == [
        "npx", "--no-install", "cdk", "destroy", "S3EventProcessing",
        "-c", "patterns=s3-event-processing", "-c", "destroy=true", "--force",
    ]  # fmt: skip
    assert resources == {
        "InputBucket35D89CB1": DeployedResource(
            "InputBucket35D89CB1", "AWS::S3::Bucket", "s3eventprocessing-inputbucket-abc"
        )
    }


def test_a_failing_cdk_raises_with_the_stack_named():
    deployer = cdk.CdkDeployer(runner=lambda argv, env: 1)
    with pytest.raises(cdk.CdkError, match="cdk deploy S3EventProcessing failed"):
        deployer.deploy(PATTERN, "run-1", Account(boto3.Session(region_name="eu-west-1")))


def test_a_variant_is_deployed_and_destroyed_with_its_context():
    pattern = get("queue-worker")
    assert cdk.context_args(pattern, {"fifo": "true"}) == [
        "-c", "patterns=queue-worker", "-c", "destroy=true", "-c", "fifo=true",
    ]  # fmt: skip
    # A variant cannot change what the run deploys or turn off the complete teardown.
    for key in ("patterns", DESTROY_CONTEXT_KEY):
        with pytest.raises(ValueError, match=key):
            cdk.context_args(pattern, {key: "x"})
