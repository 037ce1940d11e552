"""approved-model-endpoint through ``refarch verify --live``'s code path, against the stand-in.

SageMaker brings an endpoint's fleet up, and completes a blue/green update, on its own clock:
while the run sleeps, the stand-in's SageMaker completes every deployment in progress
(``FakeClock`` with the account), as SageMaker does all along in AWS. Registry calls arrive over
HTTP and emit SageMaker's state change; the deployer runs under its role, IAM enforced.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from botocore.exceptions import ClientError
from emulated_account import FakeClock, emulated_account, verify_on_stand_in

from refarch.live.cleanup import DELETERS, _kind, delete_tagged
from refarch.live.verify import LiveResult
from refarch.scenarios.approved_model_endpoint import ENDPOINT_POLL_SECONDS
from refarch.scenarios.target import RUN_TAG

PATTERN = "approved-model-endpoint"


@pytest.fixture(scope="module")
def live_run() -> tuple[LiveResult, str, list[str], list[str], FakeClock]:
    return verify_on_stand_in(PATTERN, synthesized(PATTERN), serving_image=True)


def test_the_scenario_passes_through_the_live_path(live_run):
    result, trace, _, calls, _ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: approved-model-endpoint: 11/11 checks (1 local-only skipped)" in trace
    assert len(result.skipped) == 1 and "recorded by the emulator only" in result.skipped[0]


def test_each_deployment_completes_only_once_time_has_passed(live_run):
    # The creation, the update and the rollback each wait one poll of DescribeEndpoint.
    *_, clock = live_run
    assert clock.sleeps == [ENDPOINT_POLL_SECONDS] * 3


def test_registry_calls_and_invocations_go_over_http(live_run):
    _, trace, requests, _, _ = live_run
    assert "→ CreateModelPackage in approved-model-endpoint-models-" in trace
    assert "→ Invoke (RequestResponse) ApprovedModelEndpoint-DeployerFunction" in trace
    assert any("/endpoints/approved-model-endpoint/invocations" in line for line in requests)
    assert any("/invocations" in line and "/functions/" in line for line in requests)


#: The run's tag, as the scenario puts it on what the deployer creates (the deleters check it).
TAGGED = [{"Key": RUN_TAG, "Value": "run-1"}]


def test_cleanup_deletes_what_the_deployer_created():
    with emulated_account() as stand_in:
        sagemaker = stand_in.client("sagemaker")
        sagemaker.create_model(
            ModelName="ep-v1-abc",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/execution",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"},
            Tags=TAGGED,
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="ep-v1-abc",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "ep-v1-abc",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.xlarge",
                }
            ],
            Tags=TAGGED,
        )
        sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="ep-v1-abc", Tags=TAGGED)
        prefix = "arn:aws:sagemaker:us-east-1:123456789012:"
        # moto's tagging API does not list SageMaker resources (AWS's does): the deleters directly.
        for arn in (f"{prefix}endpoint/ep", f"{prefix}endpoint-config/ep-v1-abc"):
            DELETERS[_kind(arn)](stand_in.account, arn)
        DELETERS[_kind(f"{prefix}model/ep-v1-abc")](stand_in.account, f"{prefix}model/ep-v1-abc")
        assert sagemaker.list_endpoints()["Endpoints"] == []
        assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
        assert sagemaker.list_models()["Models"] == []


def test_teardown_deletes_what_the_run_created_before_the_stack_then_the_rest(live_run):
    result, trace, *_ = live_run
    teardown = trace[trace.index("== Teardown") :]
    before, after = teardown.split("destroyed ApprovedModelEndpoint")
    for kind, count in (
        ("endpoint/", 1),
        ("endpoint-config/", 3),
        ("model/", 3),
        ("model-package/", 4),
    ):
        assert before.count(f":{kind}") == count, (kind, before)
    # The other team's group, once its version is gone; the stack's own group is cdk's.
    assert after.count(":model-package-group/fraud-models-") == 1
    assert sum(line.startswith("deleted ") for line in result.torn_down) == 12


def test_a_group_is_deleted_after_its_versions_and_untagged_ones_are_left_alone():
    with emulated_account() as stand_in:
        sagemaker = stand_in.client("sagemaker")
        tags = [{"Key": RUN_TAG, "Value": "run-1"}]
        for group, tagged in (("run-group", True), ("their-group", False)):
            sagemaker.create_model_package_group(
                ModelPackageGroupName=group, **({"Tags": tags} if tagged else {})
            )
            sagemaker.create_model_package(
                ModelPackageGroupName=group,
                InferenceSpecification={
                    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
                **({"Tags": tags} if tagged else {}),
            )
        # A group with a version cannot be deleted (ConflictException), so versions go first.
        with pytest.raises(ClientError, match="ConflictException"):
            sagemaker.delete_model_package_group(ModelPackageGroupName="their-group")
        report = delete_tagged(stand_in.account, "run-1")
        assert report.failed == []
        assert [arn.rsplit(":", 1)[1] for arn in report.deleted] == [
            "model-package/run-group/1",
            "model-package-group/run-group",
        ]
        groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
        assert [g["ModelPackageGroupName"] for g in groups] == ["their-group"]


def test_live_the_versions_run_sagemakers_scikit_learn_image_copied_once(live_run):
    _, trace, _, _, _ = live_run
    copies = trace.count(
        "copying SageMaker's scikit-learn image 683313688378/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )
    assert copies == 3  # versions 1, 2 and 3
    assert "… 4 blobs copied" in trace and trace.count("… 0 blobs copied") == 2
    assert "stand-in image" not in trace
