"""What the deployer asks SageMaker for: models, configurations, capture, blue/green updates."""

from __future__ import annotations

import re

import pytest
from model_deployer_harness import (
    ALARMS,
    CAPTURE_URI,
    ENDPOINT,
    KMS_KEY_ARN,
    ROLE_ARN,
    VARIANT,
    ModelDeployer,
)

from refarch.local.moto_sagemaker import update_requests

NAME = re.compile(rf"{ENDPOINT}-v(\d+)-[0-9a-f]{{8}}")


def test_model_runs_the_approved_package_under_the_execution_role(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    outcome = model_deployer.approve(v1)
    model = model_deployer.sagemaker.describe_model(ModelName=outcome["endpoint_config"])
    assert model["Containers"] == [{"ModelPackageName": v1}]
    assert model["ExecutionRoleArn"] == ROLE_ARN


def test_models_and_configs_are_named_per_version_and_tagged_with_the_package(
    model_deployer: ModelDeployer,
):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.deploy(v2)
    sagemaker = model_deployer.sagemaker
    configs = sagemaker.list_endpoint_configs()["EndpointConfigs"]
    models = sagemaker.list_models()["Models"]
    by_version = {}
    for resource, arn_key in [(c, "EndpointConfigArn") for c in configs] + [
        (m, "ModelArn") for m in models
    ]:
        name = resource.get("EndpointConfigName") or resource["ModelName"]
        match = NAME.fullmatch(name)
        assert match and len(name) <= 63, name
        (tag,) = sagemaker.list_tags(ResourceArn=resource[arn_key])["Tags"]
        assert tag["Key"] == "refarch:model-package-arn"
        by_version.setdefault(int(match.group(1)), set()).add(tag["Value"])
    assert by_version == {1: {v1}, 2: {v2}}


def test_endpoint_config_captures_requests_and_responses_encrypted(
    model_deployer: ModelDeployer,
):
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    config = model_deployer.endpoint_config()
    assert config["KmsKeyId"] == KMS_KEY_ARN
    assert config["DataCaptureConfig"] == {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": CAPTURE_URI,
        "KmsKeyId": KMS_KEY_ARN,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    (variant,) = config["ProductionVariants"]
    assert variant["VariantName"] == VARIANT
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.m5.large", 1)
    capture = model_deployer.endpoint()["DataCaptureConfig"]
    assert (capture["CaptureStatus"], capture["CurrentSamplingPercentage"]) == ("Started", 20)


def test_capture_is_off_when_no_destination_is_configured(model_deployer: ModelDeployer):
    model_deployer.configure(DATA_CAPTURE_S3_URI=None)
    v1 = model_deployer.register()
    model_deployer.deploy(v1)
    assert "DataCaptureConfig" not in model_deployer.endpoint_config()


@pytest.mark.parametrize(
    ("rollout", "step", "routing"),
    [
        (
            "canary",
            "10",
            {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                "WaitIntervalInSeconds": 300,
            },
        ),
        (
            "linear",
            "25",
            {
                "Type": "LINEAR",
                "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                "WaitIntervalInSeconds": 300,
            },
        ),
        ("all-at-once", "10", {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}),
    ],
)
def test_update_is_blue_green_with_the_rollout_and_alarm_rollback(
    model_deployer: ModelDeployer, rollout, step, routing
):
    # Two instances: the fewest a canary (one of two, 50%) or a 25% linear step can shift.
    model_deployer.configure(ROLLOUT=rollout, TRAFFIC_STEP_PERCENT=step, INITIAL_INSTANCE_COUNT="2")
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.approve(v2)
    config = model_deployer.endpoint()["LastDeploymentConfig"]
    policy = config["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"] == routing
    assert policy["TerminationWaitInSeconds"] == 300
    # Long enough for every baking period, within the API's 600-28800 s.
    waits = {"canary": 2, "linear": 5, "all-at-once": 1}[rollout] * 300
    assert waits < policy["MaximumExecutionTimeoutInSeconds"] <= 28800
    assert config["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": name} for name in ALARMS]
    }


@pytest.mark.parametrize("rollout", ["canary", "linear"])
def test_a_fleet_too_small_for_the_step_is_updated_all_at_once_saying_why(
    model_deployer: ModelDeployer, rollout
):
    # TrafficRoutingConfig: a canary at most 50%, a linear step 10-50% of the variant's instance
    # count. One instance takes neither: SageMaker would refuse the update (the local SageMaker
    # does, test_model_deployer_moto_gaps), so the deployer shifts it all at once.
    model_deployer.configure(ROLLOUT=rollout, TRAFFIC_STEP_PERCENT="10", INITIAL_INSTANCE_COUNT="2")
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    # Autoscaling scaled the variant in to one instance, which the update retains.
    model_deployer.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[{"VariantName": VARIANT, "DesiredInstanceCount": 1}],
    )
    outcome = model_deployer.approve(v2)
    routing = model_deployer.endpoint()["LastDeploymentConfig"]["BlueGreenUpdatePolicy"][
        "TrafficRoutingConfiguration"
    ]
    assert routing == {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}
    assert "(all-at-once: a " in outcome["reason"]
    assert "turns on 1 of 1 instances" in outcome["reason"]
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v2


def test_update_without_alarms_has_no_rollback_configuration(model_deployer: ModelDeployer):
    model_deployer.configure(ROLLBACK_ALARM_NAMES=None)
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    model_deployer.approve(v2)
    assert "AutoRollbackConfiguration" not in model_deployer.endpoint()["LastDeploymentConfig"]


def test_update_keeps_the_instance_count_autoscaling_set(model_deployer: ModelDeployer):
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    # Autoscaling scaled the variant out to 3 instances; the configuration says 1.
    model_deployer.sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT,
        DesiredWeightsAndCapacities=[{"VariantName": VARIANT, "DesiredInstanceCount": 3}],
    )
    model_deployer.approve(v2)
    model_deployer.finish_deployment()
    (request,) = update_requests(ENDPOINT)
    assert request["RetainAllVariantProperties"] is True
    # Only what AWS documents: DataCaptureConfig is "(Not currently supported.)" as a retained
    # variant property, and the new configuration's capture applies anyway.
    assert request["ExcludeRetainedVariantProperties"] == []
    (variant,) = model_deployer.endpoint()["ProductionVariants"]
    assert variant["DesiredInstanceCount"] == 3
    assert model_deployer.serving() == v2


def test_serverless_variant_has_no_capture_and_shifts_all_at_once(model_deployer: ModelDeployer):
    model_deployer.configure(SERVERLESS_MEMORY_MB="2048", SERVERLESS_MAX_CONCURRENCY="5")
    v1, v2 = model_deployer.register(), model_deployer.register()
    model_deployer.deploy(v1)
    config = model_deployer.endpoint_config()
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert "InstanceType" not in variant
    assert "DataCaptureConfig" not in config
    outcome = model_deployer.approve(v2)
    assert "(all-at-once: a serverless variant" in outcome["reason"]
    policy = model_deployer.endpoint()["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"
    model_deployer.finish_deployment()
    assert model_deployer.serving() == v2


def test_outcome_names_the_endpoint_config_it_created(model_deployer: ModelDeployer):
    v1 = model_deployer.register()
    outcome = model_deployer.approve(v1)
    assert set(outcome) >= {"action", "model_package_arn", "endpoint_config", "trigger"}
    assert outcome["model_package_version"] == 1
    assert model_deployer.endpoint()["EndpointConfigName"] == outcome["endpoint_config"]
    (logged,) = [line for line in model_deployer.logs() if line["message"] == "created"]
    assert logged["endpoint_config"] == outcome["endpoint_config"]
    assert logged["service"] == "model-deployer"
