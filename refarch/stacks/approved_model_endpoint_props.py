"""What a deployer may change in the approved-model endpoint, and the checks AWS would make.

``ApprovedModelEndpointProps`` (typed, validated at synthesis) and the ``-c key=value`` context
switches that set it when the app builds the stack. Each limit is the one the SageMaker API
enforces, so a value AWS would refuse fails ``cdk synth`` instead of the first update.
"""

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from constructs import Construct

from refarch.constructs import EndpointRollbackAlarmsProps
from refarch.constructs.model_package_group import (
    SAGEMAKER_NAME,
    check_sagemaker_name,
    kebab_case,
)

#: Traffic-shifting modes of a blue/green update, as ``ROLLOUT`` spells them (deployment
#: guardrails: all at once, canary, linear; API ``TrafficRoutingConfig``).
ROLLOUTS = ("canary", "linear", "all-at-once")

#: The share of the fleet a step may turn on (AWS API reference, ``TrafficRoutingConfig``,
#: ``TRAFFIC_ROUTING_CONFIG``): a canary "must be less than or equal to 50%", a linear step
#: "must be 10-50%" of the variant's instance count.
STEP_PERCENT_RANGE = {"canary": (1, 50), "linear": (10, 50), "all-at-once": (1, 100)}
TRAFFIC_ROUTING_CONFIG = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html"
)
#: A blue/green deployment's ``MaximumExecutionTimeoutInSeconds`` is at most 28800 (8 hours).
BLUE_GREEN_UPDATE_POLICY = (
    "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html"
)
MAX_DEPLOYMENT_SECONDS = 8 * 3600

#: ``WaitIntervalInSeconds`` between traffic-shifting steps: 0 to 3600 (AWS API reference).
MAX_WAIT_INTERVAL = Duration.hours(1)

#: AWS's policy for the role CreateModel is given: what hosting does with the execution role.
CREATE_MODEL_PERMISSIONS = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html"
    "#sagemaker-roles-createmodel-perms"
)

#: Serverless endpoints take 1024 to 6144 MB in 1 GB steps, and at most 200 concurrent
#: invocations each (API reference, ``ProductionVariantServerlessConfig``).
SERVERLESS_MEMORY_SIZES = tuple(range(1024, 6144 + 1, 1024))
MAX_SERVERLESS_CONCURRENCY = 200

#: The deployer names models and endpoint configs ``<endpoint>-v<version>-<suffix>`` (a version
#: has at most 9 digits, the suffix 8 characters), which must fit SageMaker's 63 characters.
MAX_ENDPOINT_NAME_LENGTH = 63 - len("-v") - 9 - len("-") - 8

#: An ECR repository name (AWS API reference, ``repositoryName``), e.g. ``team/churn-model``.
ECR_REPOSITORY_NAME = re.compile(
    r"^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
)

#: An ML instance type, e.g. ``ml.m5.xlarge``.
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")

#: Context keys a deployer sets with `cdk deploy -c <key>=<value>` (the app builds the stack
#: without props): `-c endpoint_name=<name>`, `-c instance_type=ml.c5.large`,
#: `-c instance_count=1`, `-c serverless_memory_mb=2048`, `-c serverless_max_concurrency=10`,
#: `-c rollout=canary|linear|all-at-once`, `-c traffic_step_percent=20`,
#: `-c capture_sampling_percent=100`, `-c autoscaling_min=1`, `-c autoscaling_max=8`,
#: `-c image_repository=<existing ECR repository>`.
CONTEXT_ENDPOINT_NAME = "endpoint_name"
CONTEXT_INSTANCE_TYPE = "instance_type"
CONTEXT_INSTANCE_COUNT = "instance_count"
CONTEXT_SERVERLESS_MEMORY_MB = "serverless_memory_mb"
CONTEXT_SERVERLESS_MAX_CONCURRENCY = "serverless_max_concurrency"
CONTEXT_ROLLOUT = "rollout"
CONTEXT_TRAFFIC_STEP_PERCENT = "traffic_step_percent"
CONTEXT_CAPTURE_SAMPLING_PERCENT = "capture_sampling_percent"
CONTEXT_AUTOSCALING_MIN = "autoscaling_min"
CONTEXT_AUTOSCALING_MAX = "autoscaling_max"
CONTEXT_IMAGE_REPOSITORY = "image_repository"

#: Context keys whose value is a whole number, and the prop each sets.
_INT_CONTEXT = {
    CONTEXT_INSTANCE_COUNT: "initial_instance_count",
    CONTEXT_SERVERLESS_MEMORY_MB: "serverless_memory_mb",
    CONTEXT_SERVERLESS_MAX_CONCURRENCY: "serverless_max_concurrency",
    CONTEXT_TRAFFIC_STEP_PERCENT: "traffic_step_percent",
    CONTEXT_CAPTURE_SAMPLING_PERCENT: "capture_sampling_percent",
    CONTEXT_AUTOSCALING_MIN: "autoscaling_min_capacity",
    CONTEXT_AUTOSCALING_MAX: "autoscaling_max_capacity",
}
#: Context keys whose value is text, and the prop each sets.
_STR_CONTEXT = {
    CONTEXT_ENDPOINT_NAME: "endpoint_name",
    CONTEXT_INSTANCE_TYPE: "instance_type",
    CONTEXT_ROLLOUT: "rollout",
    CONTEXT_IMAGE_REPOSITORY: "image_repository_name",
}


def default_endpoint_name(stack_name: str) -> str:
    """The endpoint's name when none is given: the stack's, in kebab case.

    ``ApprovedModelEndpoint`` → ``approved-model-endpoint``: deterministic, so the alarms, the
    event rules and the IAM policies can name the endpoint before it exists, and lowercase,
    as SageMaker spells it in ARNs.
    """
    name = kebab_case(stack_name)
    if len(name) > MAX_ENDPOINT_NAME_LENGTH:
        raise ValueError(
            f"the endpoint name derived from the stack name, {name!r}, is longer than "
            f"{MAX_ENDPOINT_NAME_LENGTH} characters: give endpoint_name "
            f"(-c {CONTEXT_ENDPOINT_NAME}=<name>)"
        )
    return name


@dataclass(frozen=True)
class ApprovedModelEndpointProps:
    """What a deployer may change; the defaults are production-sane."""

    endpoint_name: str | None = None
    """The endpoint the deployer creates and updates: lowercase letters, digits and hyphens,
    at most 43 characters (so ``<endpoint>-v<version>-<suffix>`` model and config names fit
    SageMaker's 63). Set with ``-c endpoint_name=<name>``.

    @default - the stack name in kebab case: ``approved-model-endpoint``
    """

    model_package_group_name: str | None = None
    """The Model Registry group whose approved versions are deployed.

    @default - ``<stack-in-kebab-case>-models-<8 hex digits>``, new for every creation of the
    stack (the group is kept on deletion; a fixed name would block the next deploy)
    """

    image_repository_name: str | None = None
    """An existing ECR repository (same account and region) holding the inference images,
    instead of the one this stack creates. The execution role pulls from this one repository
    only, so a version whose image lives elsewhere (another repository, or an image SageMaker
    publishes in its own accounts) fails to deploy: copy the image here. Set with
    ``-c image_repository=<name>``.

    @default - a repository created here: scan on push, immutable tags, kept on deletion
    """

    variant_name: str = "AllTraffic"
    """The production variant's name. Blue/green updates require the new config to keep it
    (AWS docs: deployment guardrails exclusions); the rollback alarms are per variant.

    @default - ``AllTraffic`` (the SageMaker SDK's name for a single variant)
    """

    instance_type: str = "ml.m5.xlarge"
    """The ML instance type of the real-time variant: a general-purpose CPU type, 4 vCPU and
    16 GiB, this project's default for a small tabular model. Types with local
    NVMe storage (``ml.*d.*``, ``ml.g4dn``, ``ml.g5`` ...) refuse a storage-volume key (AWS API
    reference, ``CreateEndpointConfig``), which this pattern always sets. Set with
    ``-c instance_type=<type>``.

    @default - ``ml.m5.xlarge``
    """

    initial_instance_count: int = 2
    """Instances of the real-time variant when created. Two, because SageMaker spreads an
    endpoint's instances across Availability Zones (AWS docs: best practices for hosting):
    one instance is one zone's outage from no endpoint. Set with ``-c instance_count=1``
    for a demo at half the cost.

    @default - 2
    """

    serverless_memory_mb: int | None = None
    """Deploy a serverless variant with this much memory instead of instances: 1024 to 6144
    in 1024 steps. For workloads "that have idle periods between traffic spikes and can
    tolerate cold starts" (SageMaker guide, "Model deployment options"); billed per use.
    SageMaker captures no data for serverless endpoints and scales them itself (AWS docs:
    serverless feature exclusions), so the deployer skips data capture and autoscaling for
    it. Set with ``-c serverless_memory_mb=<MB>``.

    @default - None: real-time instances, for "persistent, real-time endpoints that make one
    prediction at a time" (SageMaker guide, "Model deployment options")
    """

    serverless_max_concurrency: int = 20
    """Concurrent invocations a serverless variant serves before throttling (1 to 200).

    @default - 20
    """

    capture_sampling_percent: int = 20
    """The share of requests whose input and output SageMaker captures (0 to 100), the first
    step of data-quality monitoring: Data Capture logs an endpoint's inputs and inference
    outputs to S3 (SageMaker guide, "Data capture"). A fifth keeps a busy endpoint's capture
    cheap while still sampling every hour (this project's choice); raise it to 100 for an
    endpoint with little traffic, so Model Monitor has enough rows. Set with
    ``-c capture_sampling_percent=<n>``.

    @default - 20
    """

    capture_expiration: Duration = Duration.days(365)
    """Captured requests and responses are deleted this long after capture.

    @default - 365 days
    """

    rollout: str = "canary"
    """How a blue/green update shifts traffic to the new fleet (deployment guardrails; the
    trade-offs are this project's summary): ``all-at-once`` is the shortest update, but a
    regression reaches all of the traffic; ``canary`` exposes only the canary, "any issues with
    the updated model only impact the canary" (SageMaker guide, canary traffic shifting), at
    the price of both fleets running for the whole deployment; ``linear`` shifts in equal
    steps, so the update's duration and cost grow with the number of steps. Set with
    ``-c rollout=<mode>``.

    @default - canary: a regression reaches only the canary's share of the traffic, then
    rolls back (the canary is whole instances: on the default two, at least one of them)
    """

    traffic_step_percent: int = 10
    """The canary's share of the fleet, or each linear step's: a canary at most 50%, a linear
    step 10 to 50% of the variant's instance count (https://docs.aws.amazon.com/sagemaker/
    latest/APIReference/API_TrafficRoutingConfig.html). A step is whole instances, at least
    one, so a one-instance fleet takes neither: the deployer shifts such a fleet all at once
    (and ``cdk synth`` warns when autoscaling may shrink the variant that far); a step no fleet
    between the autoscaling bounds can take is refused. Ignored for all-at-once. Set with
    ``-c traffic_step_percent=<n>``.

    @default - 10
    """

    wait_interval: Duration = Duration.minutes(5)
    """How long each step bakes before the next shift: if a rollback alarm trips meanwhile,
    "all endpoint traffic rolls back to the blue fleet" (SageMaker guide, blue/green).
    0 to 3600 seconds (AWS API reference). Five minutes give the two-minute alarms time to
    see a regression.

    @default - 5 minutes
    """

    rollback_alarms: EndpointRollbackAlarmsProps = field(
        default_factory=EndpointRollbackAlarmsProps
    )
    """The thresholds of the 5xx and p99-latency alarms the rollout watches.

    @default - any 5xx, or p99 model latency above 1 s, two minutes in a row
    """

    autoscaling_min_capacity: int | None = None
    """The fewest instances target tracking scales the variant in to (at least 1). Set with
    ``-c autoscaling_min=<n>``.

    @default - ``initial_instance_count``
    """

    autoscaling_max_capacity: int = 4
    """The most instances target tracking scales the variant out to: what a traffic spike can
    cost (SageMaker guide, "Auto scaling policy overview").
    Set with ``-c autoscaling_max=<n>``.

    @default - 4
    """

    autoscaling_target_invocations_per_instance: int = 70
    """Target tracking keeps ``SageMakerVariantInvocationsPerInstance`` (requests per minute
    per instance) near this value (AWS's example value, SageMaker guide). Load-test the
    model and set it below the rate one instance sustains at acceptable latency.

    @default - 70 per minute
    """

    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    """How long the endpoint's container logs are kept.

    @default - one month
    """

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""

    def __post_init__(self) -> None:
        if self.endpoint_name is not None:
            check_sagemaker_name(
                self.endpoint_name, "endpoint_name", max_length=MAX_ENDPOINT_NAME_LENGTH
            )
        if self.model_package_group_name is not None:
            check_sagemaker_name(self.model_package_group_name, "model_package_group_name")
        if self.image_repository_name is not None and not ECR_REPOSITORY_NAME.match(
            self.image_repository_name
        ):
            raise ValueError(
                "image_repository_name must be an ECR repository name (lowercase letters, "
                f"digits, . _ - and / separators), got {self.image_repository_name!r}"
            )
        if not SAGEMAKER_NAME.match(self.variant_name):
            raise ValueError(
                "variant_name must be letters, digits and hyphens (SageMaker naming rules), "
                f"got {self.variant_name!r}"
            )
        if not INSTANCE_TYPE.match(self.instance_type):
            raise ValueError(
                f"instance_type must be an ML instance type such as ml.m5.xlarge, "
                f"got {self.instance_type!r}"
            )
        if self.initial_instance_count < 1:
            raise ValueError(
                f"initial_instance_count must be at least 1, got {self.initial_instance_count}"
            )
        if (
            self.serverless_memory_mb is not None
            and self.serverless_memory_mb not in SERVERLESS_MEMORY_SIZES
        ):
            raise ValueError(
                "serverless_memory_mb must be 1024 to 6144 in steps of 1024, got "
                f"{self.serverless_memory_mb}"
            )
        if not 1 <= self.serverless_max_concurrency <= MAX_SERVERLESS_CONCURRENCY:
            raise ValueError(
                f"serverless_max_concurrency must be 1 to {MAX_SERVERLESS_CONCURRENCY}, "
                f"got {self.serverless_max_concurrency}"
            )
        if not 0 <= self.capture_sampling_percent <= 100:
            raise ValueError(
                f"capture_sampling_percent must be 0 to 100, got {self.capture_sampling_percent}"
            )
        if self.rollout not in ROLLOUTS:
            raise ValueError(f"rollout must be one of {', '.join(ROLLOUTS)}, got {self.rollout!r}")
        low, high = STEP_PERCENT_RANGE[self.rollout]
        if not low <= self.traffic_step_percent <= high:
            raise ValueError(
                f"traffic_step_percent must be {low} to {high} for a {self.rollout} rollout "
                f"({TRAFFIC_ROUTING_CONFIG}), got {self.traffic_step_percent}"
            )
        wait = self.wait_interval.to_seconds()
        if not 0 <= wait <= MAX_WAIT_INTERVAL.to_seconds() or wait != int(wait):
            raise ValueError(f"wait_interval must be 0 to 3600 whole seconds, got {wait}")
        # One baking period per traffic step plus the final one, and half an hour to provision
        # the green fleet, must fit in a deployment's 8-hour limit (UpdateEndpoint's
        # MaximumExecutionTimeoutInSeconds); the deployer refuses the same settings at runtime.
        # All at once and canary are one step each; linear, one per step (as the deployer).
        steps = math.ceil(100 / self.traffic_step_percent) if self.rollout == "linear" else 1
        if (steps + 1) * wait + 1800 > MAX_DEPLOYMENT_SECONDS:
            raise ValueError(
                f"a {self.rollout} rollout of {self.traffic_step_percent}% steps with "
                f"{int(wait)}s baking periods lasts longer than the 8 hours a deployment may "
                f"({BLUE_GREEN_UPDATE_POLICY}): shorten wait_interval or take larger steps"
            )
        if self.autoscaling_min < 1:
            raise ValueError(
                f"autoscaling_min_capacity must be at least 1, got {self.autoscaling_min}"
            )
        if self.autoscaling_max_capacity < self.autoscaling_min:
            raise ValueError(
                f"autoscaling_max_capacity ({self.autoscaling_max_capacity}) is below "
                f"autoscaling_min_capacity ({self.autoscaling_min})"
            )
        scaling_range = range(self.autoscaling_min, self.autoscaling_max_capacity + 1)
        if self.initial_instance_count not in scaling_range:
            raise ValueError(
                f"initial_instance_count ({self.initial_instance_count}) must lie between "
                f"autoscaling_min_capacity ({self.autoscaling_min}) and "
                f"autoscaling_max_capacity ({self.autoscaling_max_capacity})"
            )
        if self.serverless_memory_mb is None and self.step_refusal(self.autoscaling_max_capacity):
            raise ValueError(
                f"rollout {self.rollout} cannot shift any fleet this endpoint may have: "
                f"{self.step_refusal(self.autoscaling_max_capacity)}; choose all-at-once "
                "(-c rollout=all-at-once) or more instances"
            )
        if self.autoscaling_target_invocations_per_instance < 1:
            raise ValueError(
                "autoscaling_target_invocations_per_instance must be at least 1, got "
                f"{self.autoscaling_target_invocations_per_instance}"
            )

    def step_refusal(self, instances: int) -> str:
        """Why SageMaker would refuse this rollout's step on ``instances``; '' if it fits.

        The green fleet of an update keeps the live variant's instance count, and a step turns
        on whole instances, at least one: a canary must stay at or under 50% of them, a linear
        step within 10-50% (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
        API_TrafficRoutingConfig.html). The deployer applies the same rule at runtime
        (``lambda/model_deployer/rollout.py``).
        """
        if self.rollout == "all-at-once":
            return ""
        turned_on = max(1, math.ceil(instances * self.traffic_step_percent / 100))
        low, high = STEP_PERCENT_RANGE[self.rollout]
        if low * instances <= turned_on * 100 <= high * instances:
            return ""
        return (
            f"a {self.rollout} step of {self.traffic_step_percent}% turns on {turned_on} of "
            f"{instances} instances, outside the {low}-{high}% of the variant's instance count "
            f"SageMaker allows ({TRAFFIC_ROUTING_CONFIG})"
        )

    @property
    def small_fleet_fallback(self) -> str:
        """Why updates of the smallest fleet shift all at once, '' if every fleet takes the step."""
        if self.serverless_memory_mb is not None:
            return ""
        refusal = self.step_refusal(self.autoscaling_min)
        if not refusal:
            return ""
        return (
            f"while the variant has {self.autoscaling_min} instance(s), {refusal}: the deployer "
            "updates it all at once instead (no canary: a regression reaches all traffic until "
            "the rollback alarms trip); raise instance_count and autoscaling_min to 2 to keep "
            f"the {self.rollout} rollout"
        )

    @property
    def autoscaling_min(self) -> int:
        """``autoscaling_min_capacity``, or the initial instance count when not given."""
        if self.autoscaling_min_capacity is None:
            return self.initial_instance_count
        return self.autoscaling_min_capacity

    @classmethod
    def from_context(cls, scope: Construct) -> "ApprovedModelEndpointProps":
        """The defaults, with the switches a deployer set as CDK context (``-c key=value``)."""
        changes: dict[str, Any] = {}
        for key, prop in _INT_CONTEXT.items():
            raw = scope.node.try_get_context(key)
            if raw is None:
                continue
            try:
                changes[prop] = int(raw)
            except ValueError:
                raise ValueError(f"-c {key} must be a whole number, got {raw!r}") from None
        for key, prop in _STR_CONTEXT.items():
            raw = scope.node.try_get_context(key)
            if raw:
                changes[prop] = str(raw)
        return replace(cls(), **changes)
