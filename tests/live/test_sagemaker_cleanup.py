"""Teardown of what a scenario creates in SageMaker at runtime, found by the run's tag.

moto's Resource Groups Tagging API lists them, but names an endpoint configuration by a
malformed ARN (the text of a tuple), so the deleters are driven here with the ARNs AWS's tagging
API returns, in ``delete_tagged``'s order (the model-quality-monitor live test goes through
``delete_tagged`` itself for model package versions and groups).
"""

from __future__ import annotations

import pytest
from emulated_account import emulated_account

from refarch.live.cleanup import DELETE_FIRST, DELETERS, _kind
from refarch.scenarios.target import RUN_TAG

TAGS = [{"Key": RUN_TAG, "Value": "run-1"}]
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"
ROLE = "arn:aws:iam::123456789012:role/churn-execution"


def _runtime_resources(sagemaker) -> list[str]:
    """What the model-quality-monitor scenario creates: an endpoint and a registry group."""
    group = sagemaker.create_model_package_group(ModelPackageGroupName="Churn-Models", Tags=TAGS)[
        "ModelPackageGroupArn"
    ]
    package = sagemaker.create_model_package(
        ModelPackageGroupName="Churn-Models",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        Tags=TAGS,
    )["ModelPackageArn"]
    model = sagemaker.create_model(
        ModelName="Churn-Model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}, Tags=TAGS
    )["ModelArn"]
    config = sagemaker.create_endpoint_config(
        EndpointConfigName="churn-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "Churn-Model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        Tags=TAGS,
    )["EndpointConfigArn"]
    endpoint = sagemaker.create_endpoint(
        EndpointName="churn", EndpointConfigName="churn-config", Tags=TAGS
    )["EndpointArn"]
    return [group, package, model, config, endpoint]


def test_a_scenarios_sagemaker_resources_are_deleted_in_an_order_sagemaker_accepts():
    with emulated_account() as stand_in:
        sagemaker = stand_in.client("sagemaker")
        arns = _runtime_resources(sagemaker)
        sagemaker.create_model(
            ModelName="other-team", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}
        )
        with pytest.raises(sagemaker.exceptions.ConflictException):  # it still has a version
            DELETERS[_kind(arns[0])](stand_in.account, arns[0])
        ordered = sorted(arns, key=lambda a: DELETE_FIRST.get(_kind(a), 0))
        kinds = [_kind(a)[1] for a in ordered]
        assert kinds[0] == "endpoint" and kinds.index("endpoint-config") < kinds.index("model")
        assert ordered[-1] == arns[0]  # the group after its version
        for arn in ordered:
            DELETERS[_kind(arn)](stand_in.account, arn)
        assert sagemaker.list_endpoints()["Endpoints"] == []
        assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
        assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["other-team"]
        assert sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


def test_a_sagemaker_resource_without_the_run_tag_is_not_deleted():
    with emulated_account() as stand_in:
        sagemaker = stand_in.client("sagemaker")
        arn = sagemaker.create_model(
            ModelName="other-team", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}
        )["ModelArn"]
        with pytest.raises(PermissionError, match="does not carry"):
            DELETERS[_kind(arn)](stand_in.account, arn)
        assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["other-team"]
