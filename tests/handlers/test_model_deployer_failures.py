"""The model deployer when SageMaker refuses, a package cannot deploy, or settings are wrong."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from deployer_settings import SettingsError
from endpoint_spec import IncompatibleUpdateError
from lambda_harness import emf_documents
from model_deployer_harness import ENDPOINT, ModelDeployer
from model_registry import PackageNotDeployableError

from refarch.local.moto_sagemaker import update_requests


def failures_counted(capsys: pytest.CaptureFixture[str]) -> int:
    documents = emf_documents(capsys.readouterr().out)
    return sum(sum(document.get("DeployFailed", [0])) for document in documents)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDeniedException", "not authorized to perform: sagemaker:UpdateEndpoint"),
        ("ResourceLimitExceeded", "account-level service limit 'ml.m5.large for endpoint usage'"),
    ],
)
def test_refused_update_raises_and_the_endpoint_keeps_its_config(
    model_deployer: ModelDeployer, capsys, code, message
):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    config = model_deployer.endpoint()["EndpointConfigName"]
    model_deployer.refuse("UpdateEndpoint", code, message)
    capsys.readouterr()
    with pytest.raises(ClientError) as raised:
        model_deployer.approve(v2)
    assert raised.value.response["Error"]["Code"] == code
    assert failures_counted(capsys) == 1
    endpoint = model_deployer.endpoint()
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", config)
    assert model_deployer.serving() == v1
    # The working configuration was not touched; the new one waits, unused.
    names = {
        c["EndpointConfigName"]
        for c in model_deployer.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    }
    assert config in names and len(names) == 2
    (logged,) = [line for line in model_deployer.logs() if line["message"] == "deploy failed"]
    assert (logged["level"], logged["error_code"]) == ("ERROR", code)


def test_refused_update_is_retried_into_success(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.set_approval(v2, "Approved")
    event = model_deployer.notification(v2)
    model_deployer.refuse("UpdateEndpoint", "ThrottlingException", "Rate exceeded")
    with pytest.raises(ClientError):
        model_deployer.invoke(event)
    model_deployer.handler.sagemaker_client.cache_clear()  # the throttling has passed
    assert model_deployer.invoke(event)["action"] == "updated"  # Lambda's async retry
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v2


def test_refused_creation_raises_and_leaves_no_endpoint(model_deployer: ModelDeployer, capsys):
    v1 = model_deployer.register()
    model_deployer.refuse("CreateEndpoint", "ResourceLimitExceeded", "endpoint limit reached")
    capsys.readouterr()
    with pytest.raises(ClientError, match="ResourceLimitExceeded"):
        model_deployer.approve(v1)
    assert failures_counted(capsys) == 1
    assert model_deployer.endpoint() is None


def test_endpoint_created_concurrently_defers(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    model_deployer.set_approval(v1, "Approved")
    event = model_deployer.notification(v1)
    client = model_deployer.handler.sagemaker_client()
    created_by_other: list[str] = []

    def other_invocation_wins(params, **_):
        if not created_by_other:  # a concurrent delivery of the same event got there first
            created_by_other.append(params["EndpointConfigName"])
            model_deployer.sagemaker.create_endpoint(
                EndpointName=ENDPOINT, EndpointConfigName=params["EndpointConfigName"]
            )

    client.meta.events.register(
        "provide-client-params.sagemaker.CreateEndpoint", other_invocation_wins
    )
    assert model_deployer.invoke(event)["action"] == "deferred"
    assert model_deployer.serving() == v1


def test_update_raced_by_another_update_defers(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.set_approval(v2, "Approved")
    event = model_deployer.notification(v2)
    client = model_deployer.handler.sagemaker_client()
    raced: list[bool] = []

    def other_update_first(params, **_):
        if not raced:
            raced.append(True)
            model_deployer.sagemaker.update_endpoint(
                EndpointName=ENDPOINT,
                EndpointConfigName=model_deployer.endpoint()["EndpointConfigName"],
            )

    client.meta.events.register(
        "provide-client-params.sagemaker.UpdateEndpoint", other_update_first
    )
    assert model_deployer.invoke(event)["action"] == "deferred"
    assert len(update_requests(ENDPOINT)) == 1


def test_package_without_containers_is_refused_with_a_clear_message(
    model_deployer: ModelDeployer, capsys
):
    v1 = model_deployer.register(containers=False)
    capsys.readouterr()
    with pytest.raises(PackageNotDeployableError, match="no InferenceSpecification containers"):
        model_deployer.approve(v1)
    assert failures_counted(capsys) == 1
    assert model_deployer.endpoint() is None
    assert model_deployer.sagemaker.list_models()["Models"] == []


def test_undeployable_latest_version_leaves_the_live_one_serving(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register(containers=False)
    model_deployer.deploy(v1)
    with pytest.raises(PackageNotDeployableError):
        model_deployer.approve(v2)
    assert model_deployer.serving() == v1
    # Rejecting the broken version is how an operator moves on.
    assert model_deployer.reject(v2)["action"] == "noop"


def test_package_not_supporting_the_instance_type_is_refused(model_deployer: ModelDeployer):
    v1 = model_deployer.register(instance_types=["ml.g4dn.xlarge"])
    with pytest.raises(PackageNotDeployableError, match=r"not ml\.m5\.large"):
        model_deployer.approve(v1)
    assert model_deployer.endpoint() is None


def test_renamed_variant_is_refused_before_anything_is_created(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.configure(VARIANT_NAME="Blue")
    with pytest.raises(IncompatibleUpdateError, match="keeps the variant name"):
        model_deployer.approve(v2)
    assert len(model_deployer.sagemaker.list_models()["Models"]) == 1


def test_instance_type_change_on_an_autoscaled_variant_is_refused(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.configure(INSTANCE_TYPE="ml.c5.xlarge")
    with pytest.raises(IncompatibleUpdateError, match="deregister its scalable target"):
        model_deployer.approve(v2)
    assert model_deployer.serving() == v1


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"ENDPOINT_NAME": None}, "ENDPOINT_NAME is not set"),
        ({"ROLLOUT": "blue-green"}, "ROLLOUT must be one of"),
        ({"TRAFFIC_STEP_PERCENT": "60"}, "canary must be 1-50"),
        ({"SERVERLESS_MEMORY_MB": "2048"}, "needs both"),
        ({"AUTOSCALING_MAX_CAPACITY": None}, "missing AUTOSCALING_MAX_CAPACITY"),
    ],
)
def test_invalid_settings_raise_naming_the_variable(
    model_deployer: ModelDeployer, environment, message
):
    v1 = model_deployer.register(status="Approved")
    model_deployer.configure(**environment)
    with pytest.raises(SettingsError, match=message):
        model_deployer.invoke(model_deployer.notification(v1))
    assert model_deployer.endpoint() is None
