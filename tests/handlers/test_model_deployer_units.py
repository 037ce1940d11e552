"""The deployer's pure parts, without AWS: settings, rollout, names, events, the decision."""

from __future__ import annotations

import pytest
from deployer_settings import Settings, SettingsError
from endpoint_spec import InstanceCompute, ServerlessCompute, versioned_name
from endpoint_state import LiveEndpoint
from model_deployer_harness import ENVIRONMENT, SERVERLESS, endpoint_event
from model_registry import PackageNotDeployableError, PackageVersion, deployable_package
from reconcile import Step, decide
from rollout import Rollout, baking_seconds, deployment_config, step_refusal
from sagemaker_event import EndpointStateChange, OtherEvent, parse_event

V1 = PackageVersion("arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/1", 1)
V2 = PackageVersion("arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-model/2", 2)


def live(status: str = "InService", serving: str | None = V1.arn, last: str | None = None):
    return LiveEndpoint(
        name="churn-endpoint",
        arn="arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-endpoint",
        status=status,
        config_name="churn-endpoint-v1-0a1b2c3d",
        model_package_arn=serving,
        variant_name="AllTraffic",
        instance_type="ml.m5.large",
        last_rollout_arn=last or serving,
    )


@pytest.mark.parametrize(
    ("endpoint", "target", "step"),
    [
        (None, V1, Step.CREATE),
        (None, None, Step.NO_APPROVED_VERSION),
        (live(), V1, Step.NOOP),
        (live(), V2, Step.UPDATE),
        (live(), None, Step.NO_APPROVED_VERSION),
        (live(last=V2.arn), V2, Step.HOLD),
        (live("Updating"), V2, Step.DEFER),
        (live("Updating"), None, Step.DEFER),
        (live("Failed"), V2, Step.FAIL),
        (live("UpdateRollbackFailed"), V2, Step.UNAVAILABLE),
        (live(serving=None), V1, Step.UPDATE),
    ],
)
def test_decision_table(endpoint, target, step):
    assert decide(endpoint, target) is step


def test_settings_from_the_stack_environment():
    settings = Settings.from_env(ENVIRONMENT)
    assert settings.compute == InstanceCompute("ml.m5.large", 1)
    assert settings.rollout == Rollout(
        "canary", 10, 300, ("churn-endpoint-5xx", "churn-endpoint-model-latency")
    )
    assert settings.data_capture is not None and settings.data_capture.sampling_percent == 20
    assert settings.autoscaling is not None and settings.autoscaling.max_capacity == 4
    assert not settings.serverless


def test_both_serverless_variables_make_the_variant_serverless():
    settings = Settings.from_env({**ENVIRONMENT, **SERVERLESS})
    assert settings.compute == ServerlessCompute(2048, 5)
    assert settings.serverless


def test_minimal_environment_has_production_defaults():
    settings = Settings.from_env(
        {
            "MODEL_PACKAGE_GROUP_NAME": "g",
            "ENDPOINT_NAME": "e",
            "EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
            "INSTANCE_TYPE": "ml.m5.large",
        }
    )
    assert (settings.variant_name, settings.rollout.mode) == ("AllTraffic", "canary")
    assert (settings.data_capture, settings.autoscaling, settings.kms_key_arn) == (None,) * 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ENDPOINT_NAME": "x" * 44}, "at most 43 characters"),
        ({"ENDPOINT_NAME": "bad_name"}, "ENDPOINT_NAME must match"),
        ({"INSTANCE_TYPE": None}, "INSTANCE_TYPE is not set"),
        ({"INITIAL_INSTANCE_COUNT": "two"}, "INITIAL_INSTANCE_COUNT must be a number"),
        ({"ROLLOUT": "linear", "TRAFFIC_STEP_PERCENT": "5"}, "linear steps must be 10-50"),
        ({"WAIT_INTERVAL_SECONDS": "4000"}, "WAIT_INTERVAL_SECONDS must be 0-3600"),
        (
            {"ROLLOUT": "linear", "TRAFFIC_STEP_PERCENT": "10", "WAIT_INTERVAL_SECONDS": "3600"},
            "more than the 28800s",
        ),
        ({"ROLLBACK_ALARM_NAMES": ",".join(f"a{i}" for i in range(11))}, "at most 10 alarms"),
        ({"DATA_CAPTURE_S3_URI": "bucket/prefix"}, "s3://bucket/prefix"),
        ({"DATA_CAPTURE_SAMPLING_PERCENT": "101"}, "0-100"),
        ({"SERVERLESS_MEMORY_MB": "1000", "SERVERLESS_MAX_CONCURRENCY": "5"}, "one of"),
        ({"AUTOSCALING_MIN_CAPACITY": "3", "AUTOSCALING_MAX_CAPACITY": "2"}, "is below"),
    ],
)
def test_invalid_environment_is_a_settings_error(changes, message):
    environment = {**ENVIRONMENT, **changes}
    environment = {k: v for k, v in environment.items() if v is not None}
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environment)


def test_linear_timeout_covers_every_step():
    config = deployment_config(Rollout("linear", 20, 600, ()), serverless=False)
    policy = config["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"]["LinearStepSize"]["Value"] == 20
    # Five steps and the final bake, plus time to provision the green fleet.
    assert policy["MaximumExecutionTimeoutInSeconds"] == 6 * 600 + 1800
    assert "AutoRollbackConfiguration" not in config


def test_short_rollouts_get_the_api_minimum_timeout():
    config = deployment_config(Rollout("all-at-once", 10, 0, ("a",)), serverless=False)
    assert config["BlueGreenUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] == 1800
    config = deployment_config(Rollout("canary", 10, 0, ("a",)), serverless=True)
    assert config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"


@pytest.mark.parametrize(
    ("endpoint", "version", "fits"),
    [("e", 1, True), ("x" * 43, 999_999_999, True), ("x" * 44, 999_999_999, False)],
)
def test_versioned_names_fit_sagemaker_limits(endpoint, version, fits):
    if fits:
        assert len(versioned_name(endpoint, version, "0a1b2c3d")) <= 63
    else:
        with pytest.raises(ValueError, match="max 63"):
            versioned_name(endpoint, version, "0a1b2c3d")


@pytest.mark.parametrize(
    ("event_status", "status"),
    [("IN_SERVICE", "InService"), ("ROLLING_BACK", "RollingBack"), ("FAILED", "Failed")],
)
def test_endpoint_event_status_is_read_in_the_api_spelling(event_status, status):
    parsed = parse_event(endpoint_event("churn-endpoint", event_status))
    assert parsed == EndpointStateChange("churn-endpoint", status, event_status)


def test_events_from_other_sources_are_other_events():
    event = {**endpoint_event("churn-endpoint", "IN_SERVICE"), "source": "custom.app"}
    assert parse_event(event) == OtherEvent("SageMaker Endpoint State Change", "custom.app")


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ({"ModelApprovalStatus": "Rejected"}, "is Rejected now"),
        ({"ModelPackageStatus": "InProgress"}, "ModelPackageStatus InProgress"),
        ({"InferenceSpecification": {"Containers": [{"ModelDataUrl": "s3://b/m"}]}}, "image"),
    ],
)
def test_package_checks_name_the_problem(description, message):
    deployable = {
        "ModelPackageArn": V1.arn,
        "ModelPackageVersion": 1,
        "ModelApprovalStatus": "Approved",
        "ModelPackageStatus": "Completed",
        "InferenceSpecification": {"Containers": [{"Image": "img"}]},
    }
    assert deployable_package(deployable, instance_type="ml.m5.large").version == 1
    with pytest.raises(PackageNotDeployableError, match=message):
        deployable_package({**deployable, **description}, instance_type="ml.m5.large")


@pytest.mark.parametrize(
    ("mode", "step", "expected"),
    [
        # The shift's baking period, then TerminationWaitInSeconds: two periods.
        ("all-at-once", 10, 2 * 600),
        ("canary", 10, 2 * 600),
        # Four steps of 25 %, each baked, then the termination wait.
        ("linear", 25, 5 * 600),
    ],
)
def test_the_deployment_timeout_covers_every_baking_period(mode, step, expected):
    assert baking_seconds(mode, step, 600) == expected
    config = deployment_config(Rollout(mode, step, 600, ()), serverless=False)
    policy = config["BlueGreenUpdatePolicy"]
    # BlueGreenUpdatePolicy: the timeout must exceed the waits it contains.
    assert policy["MaximumExecutionTimeoutInSeconds"] > expected


@pytest.mark.parametrize(
    ("mode", "step", "instances", "fits"),
    [
        # TrafficRoutingConfig: a canary at most 50%, a linear step 10-50% of the variant's
        # instance count; a step is whole instances, at least one.
        ("canary", 10, 1, False),
        ("canary", 10, 2, True),
        ("canary", 50, 3, False),  # two of three
        ("linear", 10, 1, False),
        ("linear", 50, 2, True),
        ("linear", 25, 4, True),
        ("all-at-once", 10, 1, True),
    ],
)
def test_a_step_must_fit_the_fleet_it_shifts(mode, step, instances, fits):
    assert (step_refusal(mode, step, instances) == "") is fits
    config = deployment_config(Rollout(mode, step, 600, ()), serverless=False, instances=instances)
    kind = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"]
    assert kind == (mode.upper().replace("-", "_") if fits else "ALL_AT_ONCE")
