"""Execution APIs answered from the interpreter; SageMaker registry gaps the live path needs."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from refarch.local.asl.machine import Execution, HistoryEvent
from refarch.local.moto_sagemaker import sagemaker_gap_fixes
from refarch.local.moto_sagemaker_registry import sagemaker_registry_fixes
from refarch.local.moto_states_executions import shaped_event

DEFINITION = {
    "StartAt": "Ask",
    "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken"},
    },
}


def _execution() -> Execution:
    return Execution(
        arn="arn:aws:states:us-east-1:123456789012:execution:m:e",
        name="e",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
        role_arn="arn:aws:iam::123456789012:role/r",
        definition=DEFINITION,
        input={},
        start_time=0.0,
    )


def test_history_events_carry_the_documented_details_members():
    execution = _execution()
    entered = shaped_event(execution, 2, HistoryEvent("TaskStateEntered", "Ask", {"input": {}}))
    assert entered["stateEnteredEventDetails"] == {"name": "Ask", "input": "{}"}
    assert entered["previousEventId"] == 1
    scheduled = shaped_event(
        execution,
        3,
        HistoryEvent(
            "TaskScheduled",
            "Ask",
            {"resource": DEFINITION["States"]["Ask"]["Resource"], "parameters": {"M": 1}},
        ),
    )
    assert scheduled["taskScheduledEventDetails"] == {
        "resourceType": "sns",
        "resource": "publish.waitForTaskToken",
        "parameters": json.dumps({"M": 1}),
    }
    # A task's result names its resource, not its state (the state is in the entered event).
    succeeded = shaped_event(execution, 4, HistoryEvent("TaskSucceeded", "Ask", {"output": {}}))
    assert succeeded["taskSucceededEventDetails"] == {
        "resourceType": "sns",
        "resource": "publish.waitForTaskToken",
        "output": "{}",
    }
    failed = shaped_event(
        execution, 5, HistoryEvent("ExecutionFailed", detail={"error": "E", "cause": "C"})
    )
    assert failed["executionFailedEventDetails"] == {"error": "E", "cause": "C"}


@pytest.fixture
def sagemaker():
    with mock_aws(), sagemaker_gap_fixes(), sagemaker_registry_fixes():
        yield boto3.client("sagemaker", region_name="us-east-1")


def test_an_endpoint_configuration_is_tagged_under_its_arn(sagemaker):
    sagemaker.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"},
    )
    arn = sagemaker.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[{"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large"}],
        Tags=[{"Key": "k", "Value": "v"}],
    )["EndpointConfigArn"]
    tagging = boto3.client("resourcegroupstaggingapi", region_name="us-east-1")
    listed = [
        m["ResourceARN"]
        for m in tagging.get_resources(TagFilters=[{"Key": "k", "Values": ["v"]}])[
            "ResourceTagMappingList"
        ]
    ]
    assert arn in listed


def test_a_model_package_version_is_deleted_by_its_arn(sagemaker):
    sagemaker.create_model_package_group(ModelPackageGroupName="g")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="g",
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    sagemaker.delete_model_package(ModelPackageName=arn)
    assert sagemaker.list_model_packages(ModelPackageGroupName="g")["ModelPackageSummaryList"] == []
    with pytest.raises(ClientError) as refused:
        sagemaker.delete_model_package(ModelPackageName=arn)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
