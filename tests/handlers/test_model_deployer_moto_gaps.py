"""refarch.local.moto_sagemaker: moto's SageMaker behaving as the API reference says it does."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from refarch.local.moto_sagemaker import (
    roll_back_update,
    sagemaker_gap_fixes,
    set_endpoint_status,
    update_requests,
)

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"
BLUE_GREEN = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    }
}


@pytest.fixture
def sagemaker():
    with mock_aws(), sagemaker_gap_fixes():
        yield boto3.client("sagemaker", region_name="us-east-1")


def make_endpoint_config(sagemaker, name: str, variant: str = "AllTraffic", count: int = 1):
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": name,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": count,
            }
        ],
    )


def error_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_update_endpoint_switches_configuration_and_records_the_deployment(sagemaker):
    make_endpoint_config(sagemaker, "a")
    make_endpoint_config(sagemaker, "b")
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="b", DeploymentConfig=BLUE_GREEN
    )
    endpoint = sagemaker.describe_endpoint(EndpointName="ep")
    assert (endpoint["EndpointConfigName"], endpoint["EndpointStatus"]) == ("b", "InService")
    assert endpoint["LastDeploymentConfig"] == BLUE_GREEN
    (request,) = update_requests("ep")
    assert request["DeploymentConfig"] == BLUE_GREEN


@pytest.mark.parametrize(
    ("setup", "update", "message"),
    [
        (None, {"EndpointName": "nope", "EndpointConfigName": "a"}, "Could not find endpoint"),
        ("Updating", {"EndpointName": "ep", "EndpointConfigName": "a"}, "in-progress"),
        (
            None,
            {"EndpointName": "ep", "EndpointConfigName": "nope"},
            "Could not find endpoint conf",
        ),
        (
            None,
            {"EndpointName": "ep", "EndpointConfigName": "renamed", "DeploymentConfig": BLUE_GREEN},
            "same variant names",
        ),
    ],
)
def test_update_endpoint_refusals(sagemaker, setup, update, message):
    make_endpoint_config(sagemaker, "a")
    make_endpoint_config(sagemaker, "renamed", variant="Green")
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    if setup:
        set_endpoint_status("ep", setup)
    code, text = error_of(lambda: sagemaker.update_endpoint(**update))
    assert code == "ValidationException" and message in text
    assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "a"


@pytest.mark.parametrize(("retain", "count"), [(True, 5), (False, 2)])
def test_retain_all_variant_properties_keeps_the_instance_count(sagemaker, retain, count):
    make_endpoint_config(sagemaker, "a", count=1)
    make_endpoint_config(sagemaker, "b", count=2)
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 5}],
    )
    sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="b", RetainAllVariantProperties=retain
    )
    (variant,) = sagemaker.describe_endpoint(EndpointName="ep")["ProductionVariants"]
    assert variant["DesiredInstanceCount"] == count


def test_transitions_hold_the_old_configuration_until_done_or_rolled_back():
    with mock_aws(), sagemaker_gap_fixes(instant_transitions=False):
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        for name in ("a", "b"):
            make_endpoint_config(sagemaker, name)
        sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
        assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Creating"
        set_endpoint_status("ep", "InService")
        sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="b")
        endpoint = sagemaker.describe_endpoint(EndpointName="ep")
        assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("Updating", "a")
        roll_back_update("ep")
        endpoint = sagemaker.describe_endpoint(EndpointName="ep")
        assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "a")
        sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="b")
        set_endpoint_status("ep", "InService")
        assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "b"


def test_duplicate_names_and_missing_model_packages_are_refused(sagemaker):
    make_endpoint_config(sagemaker, "a")
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/nope/1"
    refusals = [
        lambda: sagemaker.create_model(
            ModelName="a", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}
        ),
        lambda: sagemaker.create_endpoint_config(
            EndpointConfigName="a",
            ProductionVariants=[
                {"VariantName": "v", "ModelName": "a", "InstanceType": "ml.m5.large"}
            ],
        ),
        lambda: sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a"),
        lambda: sagemaker.create_model(
            ModelName="b", ExecutionRoleArn=ROLE, Containers=[{"ModelPackageName": package}]
        ),
    ]
    for refusal in refusals:
        assert error_of(refusal)[0] == "ValidationException"


def test_update_model_package_changes_only_what_it_is_given(sagemaker):
    sagemaker.create_model_package_group(ModelPackageGroupName="g")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="g",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=arn, ApprovalDescription="looks good")
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    assert (package["ModelApprovalStatus"], package["ApprovalDescription"]) == (
        "Approved",
        "looks good",
    )


def test_tags_overwrite_by_key_and_unknown_arns_are_validation_errors(sagemaker):
    make_endpoint_config(sagemaker, "a")
    arn = sagemaker.describe_model(ModelName="a")["ModelArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "1"}])
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "2"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "2"}]
    missing = arn.replace("model/a", "endpoint/nope")
    assert error_of(lambda: sagemaker.list_tags(ResourceArn=missing))[0] == "ValidationException"


def test_fixes_are_undone_on_exit():
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        with sagemaker_gap_fixes():
            make_endpoint_config(sagemaker, "a")
        with pytest.raises(NotImplementedError):
            sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="a")


def test_set_endpoint_status_takes_documented_statuses_only(sagemaker):
    make_endpoint_config(sagemaker, "a")
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    with pytest.raises(ValueError, match="not an EndpointStatus"):
        set_endpoint_status("ep", "IN_SERVICE")
    set_endpoint_status("ep", "Failed", failure_reason="capacity")
    assert sagemaker.describe_endpoint(EndpointName="ep")["FailureReason"] == "capacity"


@set_initial_no_auth_action_count(5)
def test_grants_scoped_to_an_endpoint_are_honoured_and_list_calls_are_on_any_resource():
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sagemaker:DescribeEndpoint",
                "Resource": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep",
            },
            {
                "Effect": "Allow",
                "Action": "sagemaker:ListModelPackages",
                "Resource": "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/*",
            },
        ],
    }
    with mock_aws(), sagemaker_gap_fixes():
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="deployer")
        iam.put_user_policy(UserName="deployer", PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="deployer")["AccessKey"]
        admin = boto3.client("sagemaker", region_name="us-east-1")
        make_endpoint_config(admin, "a")  # the 5th action: later ones are authorized
        scoped = boto3.client(
            "sagemaker",
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as denied:
            scoped.describe_endpoint(EndpointName="other")
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "not authorized to perform: sagemaker:DescribeEndpoint" in str(denied.value)
        code, text = error_of(lambda: scoped.describe_endpoint(EndpointName="ep"))
        assert code == "ValidationException" and "Could not find endpoint" in text
        # "Except for the ListTags API, resource-level restrictions are not available on List-
        # calls" (SageMaker API permissions reference): a grant on the group's versions does
        # not match a group-filtered ListModelPackages, which is authorized on "*".
        with pytest.raises(ClientError) as listing:
            scoped.list_model_packages(ModelPackageGroupName="churn")
        assert "not authorized to perform: sagemaker:ListModelPackages" in str(listing.value)


def test_update_refuses_to_exclude_the_unsupported_data_capture_property(sagemaker):
    # VariantPropertyType DataCaptureConfig: "(Not currently supported.)" (API reference,
    # VariantProperty); moto accepted it.
    make_endpoint_config(sagemaker, "a")
    make_endpoint_config(sagemaker, "b")
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    code, message = error_of(
        lambda: sagemaker.update_endpoint(
            EndpointName="ep",
            EndpointConfigName="b",
            RetainAllVariantProperties=True,
            ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DataCaptureConfig"}],
        )
    )
    assert code == "ValidationException"
    assert "DataCaptureConfig" in message
    assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "a"


def test_the_new_configurations_data_capture_applies_when_variant_properties_are_retained(
    sagemaker,
):
    make_endpoint_config(sagemaker, "a")
    sagemaker.create_model(ModelName="b", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    sagemaker.create_endpoint_config(
        EndpointConfigName="b",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "b",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 40,
            "DestinationS3Uri": "s3://capture/datacapture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="b", RetainAllVariantProperties=True
    )
    capture = sagemaker.describe_endpoint(EndpointName="ep")["DataCaptureConfig"]
    assert (capture["CurrentSamplingPercentage"], capture["CaptureStatus"]) == (40, "Started")


def _routing(kind, value, unit="CAPACITY_PERCENT"):
    key = "CanarySize" if kind == "CANARY" else "LinearStepSize"
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": kind,
                "WaitIntervalInSeconds": 0,
                key: {"Type": unit, "Value": value},
            }
        }
    }


@pytest.mark.parametrize(
    ("instances", "kind", "size", "accepted"),
    [
        (1, "CANARY", ("CAPACITY_PERCENT", 10), False),  # a whole instance: 100% of one
        (2, "CANARY", ("CAPACITY_PERCENT", 10), True),  # one instance of two: 50%
        (3, "CANARY", ("INSTANCE_COUNT", 2), False),  # two of three: over 50%
        (1, "LINEAR", ("CAPACITY_PERCENT", 10), False),
        (2, "LINEAR", ("CAPACITY_PERCENT", 50), True),
        (4, "LINEAR", ("CAPACITY_PERCENT", 10), True),  # one instance of four: 25%
        (20, "LINEAR", ("INSTANCE_COUNT", 1), False),  # one of twenty: under 10%
    ],
)
def test_canary_and_linear_steps_must_fit_the_variants_instance_count(
    sagemaker, instances, kind, size, accepted
):
    # TrafficRoutingConfig: CanarySize "must be less than or equal to 50% of the variant's
    # total instance count"; LinearStepSize "must be 10-50%" of it.
    make_endpoint_config(sagemaker, "a", count=instances)
    make_endpoint_config(sagemaker, "b", count=instances)
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    unit, value = size

    def update():
        sagemaker.update_endpoint(
            EndpointName="ep", EndpointConfigName="b", DeploymentConfig=_routing(kind, value, unit)
        )

    if accepted:
        update()
        assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "b"
    else:
        code, message = error_of(update)
        assert code == "ValidationException"
        assert f"of the variant's {instances} instances" in message


@pytest.mark.parametrize(
    ("policy", "alarms", "message"),
    [
        ({"TerminationWaitInSeconds": 3601}, 0, "TerminationWaitInSeconds 3601 is outside 0-3600"),
        ({"MaximumExecutionTimeoutInSeconds": 28801}, 0, "outside 600-28800"),
        (
            {"TerminationWaitInSeconds": 600, "MaximumExecutionTimeoutInSeconds": 600},
            0,
            "not larger than the waiting time",
        ),
        ({}, 11, "more than 10"),
    ],
)
def test_update_refuses_deployment_limits_botocore_leaves_to_the_service(
    sagemaker, policy, alarms, message
):
    # botocore checks min, never max, on the client; these limits are SageMaker's to enforce
    # (API reference: BlueGreenUpdatePolicy, TrafficRoutingConfig, AutoRollbackConfig).
    make_endpoint_config(sagemaker, "a")
    make_endpoint_config(sagemaker, "b")
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="a")
    config = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            **policy,
        }
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": f"alarm-{i}"} for i in range(alarms)]
        }
    code, text = error_of(
        lambda: sagemaker.update_endpoint(
            EndpointName="ep", EndpointConfigName="b", DeploymentConfig=config
        )
    )
    assert code == "ValidationException"
    assert message in text
