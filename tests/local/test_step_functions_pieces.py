"""Small pieces of the local Step Functions and hosting: error names, the inference clock."""

from __future__ import annotations

import time

import botocore.session
import pytest
from botocore.exceptions import ClientError

from refarch.local.inference_clock import InferenceClock
from refarch.local.sources.step_functions import _plain, _sdk_error, _snake, _to_api, _to_pascal


def error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Op")


@pytest.mark.parametrize(
    ("service", "code", "name"),
    [
        # supported-services-awssdk.html: ServiceName.ErrorName, always with "Exception".
        ("sagemaker", "ResourceNotFound", "SageMaker.ResourceNotFoundException"),
        ("s3", "NoSuchBucket", "S3.NoSuchBucketException"),
        ("sagemaker", "ValidationException", "SageMaker.ValidationException"),
        ("sfn", "ExecutionDoesNotExist", "Sfn.ExecutionDoesNotExistException"),
    ],
)
def test_sdk_integration_errors_are_named_as_step_functions_names_them(service, code, name):
    assert _sdk_error(service, error(code)) == name


def test_sdk_actions_and_responses_map_to_boto3():
    assert _snake("describeEndpoint") == "describe_endpoint"
    assert _snake("listModelPackages") == "list_model_packages"
    assert _plain({"A": [1], "ResponseMetadata": {}}) == {"A": [1]}


def test_the_inference_clock_moves_only_by_model_latency():
    clock = InferenceClock()
    real = time.perf_counter
    with clock.installed():
        start = time.perf_counter()
        sum(range(100_000))  # real work takes no virtual time
        assert time.perf_counter() == start
        clock.advance(0.25)
        assert time.perf_counter() - start == pytest.approx(0.25)
        with pytest.raises(ValueError):
            clock.advance(-1)
    assert time.perf_counter is real


def test_sfn_parameters_and_responses_are_pascal_case_in_the_integration():
    """supported-services-awssdk.html: PascalCase even where the API (Step Functions) is camel."""
    model = botocore.session.get_session().get_service_model("stepfunctions")
    listed = model.operation_model("ListExecutions")
    assert _to_api(
        {"StateMachineArn": "arn", "StatusFilter": "RUNNING", "MaxResults": 100},
        listed.input_shape,
    ) == {"stateMachineArn": "arn", "statusFilter": "RUNNING", "maxResults": 100}
    response = {"executions": [{"executionArn": "e", "status": "RUNNING"}], "nextToken": "t"}
    assert _to_pascal(response, listed.output_shape) == {
        "Executions": [{"ExecutionArn": "e", "Status": "RUNNING"}],
        "NextToken": "t",
    }
    # SageMaker's members are PascalCase already: unchanged both ways.
    sagemaker = botocore.session.get_session().get_service_model("sagemaker")
    describe = sagemaker.operation_model("DescribeEndpoint")
    assert _to_api({"EndpointName": "e"}, describe.input_shape) == {"EndpointName": "e"}
    assert _to_pascal({"EndpointStatus": "InService"}, describe.output_shape) == {
        "EndpointStatus": "InService"
    }
