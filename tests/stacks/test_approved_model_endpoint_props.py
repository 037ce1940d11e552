"""The approved-model endpoint's props: validation, context switches and names.

What a deployer can get wrong before anything is synthesized (the props refuse it with a clear
error, or synthesis warns), and how `-c` context switches map to props.
"""

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Annotations, Match

from refarch.cdk_app import repo_context
from refarch.constructs import EndpointRollbackAlarmsProps, ModelPackageGroupProps
from refarch.constructs.model_package_group import kebab_case
from refarch.stacks.approved_model_endpoint import (
    ApprovedModelEndpointProps,
    ApprovedModelEndpointStack,
    default_endpoint_name,
)

STACK_NAME = "ApprovedModelEndpoint"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"endpoint_name": "Churn"}, "must be lowercase"),
        ({"endpoint_name": "churn_model"}, "letters, digits and hyphens"),
        ({"endpoint_name": "x" * 44}, "1 to 43"),
        ({"model_package_group_name": "-models"}, "letters, digits and hyphens"),
        ({"model_package_group_name": "Churn-Models"}, "must be lowercase"),
        ({"image_repository_name": "Churn Images"}, "ECR repository name"),
        ({"variant_name": "all traffic"}, "variant_name"),
        ({"instance_type": "m5.xlarge"}, "ML instance type"),
        ({"initial_instance_count": 0}, "at least 1"),
        ({"serverless_memory_mb": 1000}, "1024 to 6144 in steps of 1024"),
        ({"serverless_memory_mb": 7168}, "1024 to 6144 in steps of 1024"),
        ({"serverless_max_concurrency": 0}, "1 to 200"),
        ({"serverless_max_concurrency": 201}, "1 to 200"),
        ({"capture_sampling_percent": -1}, "0 to 100"),
        ({"capture_sampling_percent": 101}, "0 to 100"),
        ({"rollout": "blue-green"}, "canary, linear, all-at-once"),
        ({"traffic_step_percent": 0}, "1 to 50 for a canary"),
        ({"traffic_step_percent": 51}, "1 to 50 for a canary"),
        ({"rollout": "linear", "traffic_step_percent": 5}, "10 to 50 for a linear"),
        ({"rollout": "linear", "traffic_step_percent": 60}, "10 to 50 for a linear"),
        ({"wait_interval": Duration.hours(2)}, "0 to 3600"),
        (
            {"rollout": "linear", "traffic_step_percent": 10, "wait_interval": Duration.hours(1)},
            "longer than the 8 hours",
        ),
        ({"autoscaling_min_capacity": 0}, "at least 1"),
        ({"autoscaling_max_capacity": 1}, "below autoscaling_min_capacity"),
        ({"initial_instance_count": 5, "autoscaling_min_capacity": 1}, "must lie between"),
        ({"autoscaling_target_invocations_per_instance": 0}, "at least 1"),
        # One instance at most: no canary or linear step fits (TrafficRoutingConfig: at most
        # 50%, 10-50% of the variant's instance count, in whole instances).
        (
            {"initial_instance_count": 1, "autoscaling_max_capacity": 1},
            "cannot shift any fleet this endpoint may have: a canary step of 10% turns on 1 of 1",
        ),
        (
            {"rollout": "linear", "initial_instance_count": 1, "autoscaling_max_capacity": 1},
            "cannot shift any fleet",
        ),
    ],
)
def test_invalid_props_are_refused_with_a_clear_error(changes, message):
    with pytest.raises(ValueError, match=message):
        ApprovedModelEndpointProps(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"errors_threshold": 0}, "errors_threshold"),
        ({"latency_p99_threshold": Duration.seconds(0)}, "latency_p99_threshold"),
        ({"evaluation_periods": 0}, "evaluation_periods"),
    ],
)
def test_invalid_rollback_thresholds_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        EndpointRollbackAlarmsProps(**changes)


def test_invalid_group_name_is_refused():
    with pytest.raises(ValueError, match="must be lowercase"):
        ModelPackageGroupProps(description="models", name="Churn")


def test_valid_edges_are_accepted():
    ApprovedModelEndpointProps(rollout="all-at-once", traffic_step_percent=100)
    ApprovedModelEndpointProps(serverless_memory_mb=6144, serverless_max_concurrency=200)
    ApprovedModelEndpointProps(capture_sampling_percent=0, wait_interval=Duration.hours(1))
    # 10 steps + the final bake of 2,430 s, and 1,800 s to provision: exactly 8 hours.
    ApprovedModelEndpointProps(
        rollout="linear", traffic_step_percent=10, wait_interval=Duration.seconds(2430)
    )
    ApprovedModelEndpointProps(endpoint_name="x" * 43, image_repository_name="team/churn-model")


def test_a_one_instance_fleet_is_updated_all_at_once_and_synthesis_says_why(tmp_path):
    # `-c instance_count=1` (the README's cheaper demo) keeps the default canary rollout, which
    # SageMaker refuses on one instance: the deployer shifts such a fleet all at once, and the
    # synthesis warns, naming the rule.
    props = ApprovedModelEndpointProps(initial_instance_count=1)
    assert "turns on 1 of 1 instances" in props.small_fleet_fallback
    assert ApprovedModelEndpointProps().small_fleet_fallback == ""
    assert ApprovedModelEndpointProps(rollout="all-at-once").step_refusal(1) == ""
    assert ApprovedModelEndpointProps(serverless_memory_mb=2048).small_fleet_fallback == ""
    app = cdk.App(context=repo_context(), outdir=str(tmp_path))
    stack = ApprovedModelEndpointStack(app, STACK_NAME, props=props)
    Annotations.from_stack(stack).has_warning(
        "*", Match.string_like_regexp("updates it all at once instead")
    )


def test_autoscaling_minimum_defaults_to_the_initial_instance_count():
    assert ApprovedModelEndpointProps().autoscaling_min == 2
    assert ApprovedModelEndpointProps(initial_instance_count=1).autoscaling_min == 1
    assert ApprovedModelEndpointProps(autoscaling_min_capacity=1).autoscaling_min == 1


def test_context_switches_set_the_props():
    app = cdk.App(
        context={
            "endpoint_name": "fraud",
            "instance_type": "ml.c5.large",
            "instance_count": "1",
            "serverless_memory_mb": "3072",
            "serverless_max_concurrency": "50",
            "rollout": "linear",
            "traffic_step_percent": "25",
            "capture_sampling_percent": "100",
            "autoscaling_min": "1",
            "autoscaling_max": "8",
            "image_repository": "fraud-images",
        }
    )
    props = ApprovedModelEndpointProps.from_context(app)
    assert props == ApprovedModelEndpointProps(
        endpoint_name="fraud",
        instance_type="ml.c5.large",
        initial_instance_count=1,
        serverless_memory_mb=3072,
        serverless_max_concurrency=50,
        rollout="linear",
        traffic_step_percent=25,
        capture_sampling_percent=100,
        autoscaling_min_capacity=1,
        autoscaling_max_capacity=8,
        image_repository_name="fraud-images",
    )


def test_no_context_means_the_defaults():
    assert ApprovedModelEndpointProps.from_context(cdk.App()) == ApprovedModelEndpointProps()


def test_context_numbers_must_be_whole():
    app = cdk.App(context={"instance_count": "two"})
    with pytest.raises(ValueError, match="-c instance_count must be a whole number"):
        ApprovedModelEndpointProps.from_context(app)


def test_context_values_are_validated_like_props():
    app = cdk.App(context={"rollout": "canary", "traffic_step_percent": "75"})
    with pytest.raises(ValueError, match="1 to 50 for a canary"):
        ApprovedModelEndpointProps.from_context(app)


@pytest.mark.parametrize(
    ("stack_name", "endpoint"),
    [
        ("ApprovedModelEndpoint", "approved-model-endpoint"),
        ("MLOps2Endpoint", "mlops2-endpoint"),
        ("fraud-scoring", "fraud-scoring"),
    ],
)
def test_default_endpoint_name_is_the_stack_name_in_kebab_case(stack_name, endpoint):
    assert kebab_case(stack_name) == endpoint
    assert default_endpoint_name(stack_name) == endpoint


def test_a_stack_name_too_long_for_an_endpoint_name_asks_for_one():
    with pytest.raises(ValueError, match="give endpoint_name"):
        default_endpoint_name("A" * 30 + "VeryLongStackNameForAnEndpoint")
