"""The deployer on requests from a promotion state machine (``DEPLOY_TARGET=requested``)."""

from __future__ import annotations

import pytest
from deploy_request import DeployRequestError
from model_deployer_harness import ENDPOINT, OTHER_GROUP, ModelDeployer, endpoint_event
from model_registry import PackageNotDeployableError

from refarch.local.moto_sagemaker import set_endpoint_status


def request(arn: str) -> dict[str, str]:
    return {"deployModelPackageArn": arn}


@pytest.fixture
def requested(model_deployer: ModelDeployer) -> ModelDeployer:
    model_deployer.configure(DEPLOY_TARGET="requested")
    return model_deployer


def test_a_request_deploys_the_named_version_not_the_latest_approved(requested):
    v1, v2 = requested.register(), requested.register()
    requested.set_approval(v1, "Approved")
    requested.set_approval(v2, "Approved")
    outcome = requested.invoke(request(v1))
    assert (outcome["action"], outcome["model_package_arn"]) == ("created", v1)
    assert outcome["trigger"] == "deploy request"


def test_registry_events_deploy_nothing_and_service_events_reconcile_nothing(requested):
    v1 = requested.register()
    assert requested.approve(v1)["action"] == "ignored"
    assert requested.endpoint() is None
    requested.invoke(request(v1))
    set_endpoint_status(ENDPOINT, "InService")
    outcome = requested.invoke(endpoint_event(ENDPOINT, "IN_SERVICE"))
    assert outcome["action"] == "ignored"
    assert outcome["autoscaling"] == "registered"
    # Asking again is how the state machine learns what is live: serving it, a noop.
    assert requested.invoke(request(v1))["action"] == "noop"


def test_a_version_rejected_since_it_was_requested_is_not_deployed(requested):
    v1 = requested.register()
    requested.set_approval(v1, "Rejected")
    with pytest.raises(PackageNotDeployableError, match="Rejected"):
        requested.invoke(request(v1))


def test_a_request_for_another_groups_version_is_refused(requested):
    other = requested.register(group=OTHER_GROUP, status="Approved")
    with pytest.raises(requested.handler.DeployRequestRefusedError):
        requested.invoke(request(other))


@pytest.mark.parametrize(
    "arn",
    [None, 3, "", "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn", "x" * 3000],
)
def test_a_malformed_request_is_refused(requested, arn):
    with pytest.raises(DeployRequestError):
        requested.invoke({"deployModelPackageArn": arn})


def test_a_deployer_that_follows_the_registry_ignores_requests(model_deployer):
    v1 = model_deployer.register(status="Approved")
    assert model_deployer.invoke(request(v1))["action"] == "ignored"


def test_an_unknown_deploy_target_is_a_settings_error(model_deployer):
    model_deployer.configure(DEPLOY_TARGET="newest")
    v1 = model_deployer.register(status="Approved")
    with pytest.raises(ValueError, match="DEPLOY_TARGET"):
        model_deployer.invoke(request(v1))
