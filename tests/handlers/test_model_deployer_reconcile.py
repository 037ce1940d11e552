"""The model deployer on moto: what the endpoint serves after each registry change and event."""

from __future__ import annotations

import pytest
from lambda_harness import emf_documents
from model_deployer_harness import (
    ENDPOINT,
    OTHER_GROUP,
    ModelDeployer,
    endpoint_event,
    eventbridge_event,
)
from sagemaker_event import MalformedEventError

from refarch.local.moto_sagemaker import roll_back_update, set_endpoint_status, update_requests


def metric_names(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The Powertools metrics the invocations since the last call emitted, by name."""
    names = []
    for document in emf_documents(capsys.readouterr().out):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        names += [metric["Name"] for metric in directive["Metrics"]]
    return names


def test_first_approval_creates_the_endpoint_serving_that_version(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    outcome = model_deployer.approve(v1)
    assert outcome["action"] == "created"
    assert outcome["model_package_arn"] == v1
    assert model_deployer.endpoint()["EndpointStatus"] == "Creating"
    assert model_deployer.serving() == v1
    assert model_deployer.finish_deployment()["action"] == "noop"
    assert model_deployer.endpoint()["EndpointStatus"] == "InService"


def test_newer_approval_updates_blue_green_and_keeps_serving_the_old_until_done(
    model_deployer: ModelDeployer,
):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    outcome = model_deployer.approve(v2)
    assert outcome["action"] == "updated"
    assert outcome["serving_model_package_arn"] == v1
    # The green fleet is being built: the endpoint still runs v1's configuration.
    assert model_deployer.endpoint()["EndpointStatus"] == "Updating"
    assert model_deployer.serving() == v1
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v2
    assert model_deployer.endpoint_config()["EndpointConfigName"] == outcome["endpoint_config"]


def test_duplicate_approval_event_changes_nothing(model_deployer: ModelDeployer, capsys):
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    config = model_deployer.endpoint()["EndpointConfigName"]
    capsys.readouterr()
    outcome = model_deployer.invoke(model_deployer.notification(v1))
    assert outcome["action"] == "noop"
    assert model_deployer.endpoint()["EndpointConfigName"] == config
    assert update_requests(ENDPOINT) == []
    assert metric_names(capsys) == ["ReconcileNoop"]


def test_same_event_delivered_twice_during_creation_creates_once(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    model_deployer.set_approval(v1, "Approved")
    event = model_deployer.notification(v1)
    assert model_deployer.invoke(event)["action"] == "created"
    assert model_deployer.invoke(event)["action"] == "deferred"  # Creating: nothing to redo
    assert len(model_deployer.sagemaker.list_endpoint_configs()["EndpointConfigs"]) == 1


def test_older_version_approved_after_a_newer_one_does_not_displace_it(
    model_deployer: ModelDeployer,
):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v2)
    outcome = model_deployer.approve(v1)
    assert outcome["action"] == "noop"
    assert outcome["model_package_arn"] == v2
    assert model_deployer.serving() == v2


def test_event_package_is_not_trusted_the_registry_is(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.set_approval(v2, "Approved")
    # An old event for v1, delivered late: the latest approved version is v2.
    model_deployer.set_approval(v1, "Approved")
    outcome = model_deployer.invoke(model_deployer.notification(v1))
    assert outcome["action"] == "created"
    assert model_deployer.serving() == v2


def test_rejecting_the_live_version_rolls_back_to_the_previous_approved(
    model_deployer: ModelDeployer,
):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.deploy(v2)
    outcome = model_deployer.reject(v2)
    assert outcome["action"] == "updated"
    assert outcome["model_package_arn"] == v1
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v1


def test_rejecting_a_version_that_is_not_live_changes_nothing(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v2)
    outcome = model_deployer.reject(v1)
    assert outcome["action"] == "noop"
    assert model_deployer.serving() == v2
    assert update_requests(ENDPOINT) == []


def test_no_approved_version_left_keeps_the_endpoint_and_alarms(
    model_deployer: ModelDeployer, capsys
):
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    capsys.readouterr()
    outcome = model_deployer.reject(v1)
    assert outcome["action"] == "no_approved_version"
    assert model_deployer.endpoint()["EndpointStatus"] == "InService"
    assert model_deployer.serving() == v1  # not deleted: clients keep being served
    assert metric_names(capsys) == ["NoApprovedVersion"]
    (logged,) = [line for line in model_deployer.logs() if line["message"] == "no_approved_version"]
    assert logged["level"] == "ERROR"


def test_pending_registration_event_is_ignored(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    outcome = model_deployer.invoke(model_deployer.notification(v1))
    assert outcome["action"] == "ignored"
    assert model_deployer.endpoint() is None


def test_event_without_approval_status_reconciles_from_the_registry(
    model_deployer: ModelDeployer,
):
    v1 = model_deployer.register(status="Approved")
    event = model_deployer.notification(v1)
    del event["detail"]["ModelApprovalStatus"]
    assert model_deployer.invoke(event)["action"] == "created"
    assert model_deployer.serving() == v1


def test_approval_in_another_group_changes_nothing(model_deployer: ModelDeployer, capsys):
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    other = model_deployer.register(group=OTHER_GROUP)
    capsys.readouterr()
    outcome = model_deployer.approve(other)
    assert outcome["action"] == "ignored"
    assert OTHER_GROUP in outcome["reason"]
    assert model_deployer.serving() == v1
    assert metric_names(capsys) == ["EventsIgnored"]


def test_unknown_detail_type_is_ignored_with_a_log_line(model_deployer: ModelDeployer):
    event = eventbridge_event(
        "SageMaker Training Job State Change", {"TrainingJobName": "churn-train-1"}, []
    )
    outcome = model_deployer.invoke(event)
    assert outcome["action"] == "ignored"
    (logged,) = [line for line in model_deployer.logs() if line["message"] == "ignored"]
    assert logged["trigger"] == "SageMaker Training Job State Change"
    assert model_deployer.endpoint() is None


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(
            {k: v for k, v in endpoint_event(ENDPOINT, "IN_SERVICE").items() if k != "detail"},
            id="endpoint-event-without-detail",
        ),
        pytest.param(
            {
                **eventbridge_event("SageMaker Model Package State Change", {}, []),
                "detail": {"ModelApprovalStatus": "Approved"},
            },
            id="package-event-without-group",
        ),
        pytest.param({"Records": []}, id="not-eventbridge"),
    ],
)
def test_malformed_event_raises_and_counts(model_deployer: ModelDeployer, capsys, event):
    capsys.readouterr()
    with pytest.raises(MalformedEventError):
        model_deployer.invoke(event)
    assert metric_names(capsys) == ["EventsMalformed"]
    assert model_deployer.endpoint() is None


@pytest.mark.parametrize("status", ["Creating", "Updating", "SystemUpdating", "RollingBack"])
def test_busy_endpoint_defers_and_its_return_to_service_completes_the_update(
    model_deployer: ModelDeployer, capsys, status
):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    set_endpoint_status(ENDPOINT, status)
    capsys.readouterr()
    outcome = model_deployer.approve(v2)
    assert outcome["action"] == "deferred"
    assert outcome["endpoint_status"] == status
    assert metric_names(capsys) == ["ReconcileDeferred"]
    assert model_deployer.serving() == v1
    # SageMaker finishes what it was doing; its IN_SERVICE event reconciles again.
    assert model_deployer.finish_deployment()["action"] == "updated"
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v2


def test_failed_endpoint_raises_so_the_event_reaches_the_dlq(model_deployer: ModelDeployer, capsys):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    set_endpoint_status(ENDPOINT, "Failed", failure_reason="instance capacity")
    capsys.readouterr()
    with pytest.raises(Exception, match="is Failed \\(instance capacity\\)"):
        model_deployer.approve(v2)
    assert metric_names(capsys) == ["DeployFailed"]
    assert update_requests(ENDPOINT) == []
    assert model_deployer.serving() == v1


@pytest.mark.parametrize("status", ["Deleting", "OutOfService", "UpdateRollbackFailed"])
def test_endpoint_needing_an_operator_raises(model_deployer: ModelDeployer, status):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    set_endpoint_status(ENDPOINT, status)
    with pytest.raises(Exception, match=f"is {status}"):
        model_deployer.approve(v2)
    assert model_deployer.serving() == v1


def test_in_service_events_register_autoscaling_once(model_deployer: ModelDeployer, capsys):
    v1 = model_deployer.register()
    model_deployer.approve(v1)
    capsys.readouterr()
    first = model_deployer.finish_deployment()
    second = model_deployer.invoke(endpoint_event(ENDPOINT, "IN_SERVICE"))
    assert (first["autoscaling"], second["autoscaling"]) == ("registered", "unchanged")
    assert metric_names(capsys) == ["ReconcileNoop", "AutoscalingRegistered", "ReconcileNoop"]
    targets = model_deployer.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    (target,) = targets["ScalableTargets"]
    assert target["ResourceId"] == f"endpoint/{ENDPOINT}/variant/AllTraffic"
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    policies = model_deployer.autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")
    (policy,) = policies["ScalingPolicies"]
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 70.0
    assert configuration["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }


def test_serverless_endpoint_skips_autoscaling(model_deployer: ModelDeployer):
    model_deployer.configure(SERVERLESS_MEMORY_MB="2048", SERVERLESS_MAX_CONCURRENCY="5")
    v1 = model_deployer.register()
    model_deployer.approve(v1)
    outcome = model_deployer.finish_deployment()
    assert outcome["autoscaling"] == "skipped_serverless"
    targets = model_deployer.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"] == []


@pytest.mark.parametrize(
    ("name", "status"),
    [("another-endpoint", "IN_SERVICE"), (ENDPOINT, "FAILED"), (ENDPOINT, "UPDATING")],
)
def test_endpoint_events_with_nothing_to_do_are_ignored(
    model_deployer: ModelDeployer, name, status
):
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    outcome = model_deployer.invoke(endpoint_event(name, status))
    assert outcome["action"] == "ignored"
    assert model_deployer.serving() == v1


def test_auto_rolled_back_rollout_is_held_not_retried(model_deployer: ModelDeployer, capsys):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    assert model_deployer.approve(v2)["action"] == "updated"
    roll_back_update(ENDPOINT)  # an alarm tripped during the canary's baking period
    capsys.readouterr()
    outcome = model_deployer.invoke(endpoint_event(ENDPOINT, "IN_SERVICE"))
    assert outcome["action"] == "held"
    assert "RolloutHeld" in metric_names(capsys)
    assert model_deployer.serving() == v1
    assert len(update_requests(ENDPOINT)) == 1  # no second green fleet
    # Rejecting v2 settles on v1; approving v2 again is the operator's retry.
    assert model_deployer.reject(v2)["action"] == "noop"
    assert model_deployer.approve(v2)["action"] == "updated"
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v2


def test_in_service_event_for_a_deleted_endpoint_recreates_it(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.sagemaker.delete_endpoint(EndpointName=ENDPOINT)  # by hand, outside the stack
    outcome = model_deployer.invoke(endpoint_event(ENDPOINT, "IN_SERVICE"))
    assert (outcome["action"], outcome["autoscaling"]) == ("created", "skipped_no_endpoint")
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v1
