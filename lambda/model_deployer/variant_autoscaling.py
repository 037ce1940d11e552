"""Target tracking on invocations per instance for the endpoint's variant (App Auto Scaling).

Each production variant of a real-time endpoint scales on its own. The policy (scalable target
``endpoint/<name>/variant/<variant>`` on ``sagemaker:variant:DesiredInstanceCount``, predefined
metric ``SageMakerVariantInvocationsPerInstance``, target 70 being AWS's example value) is the
SageMaker guide's target tracking policy
(https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-policy.html).

Registration happens when the endpoint is ``InService`` (a variant can only be registered once it
exists) and is idempotent: what is already registered with the same values is left alone, so
every ``IN_SERVICE`` event may call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SERVICE_NAMESPACE = "sagemaker"
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
PREDEFINED_METRIC = "SageMakerVariantInvocationsPerInstance"
POLICY_TYPE = "TargetTrackingScaling"

SCALE_IN_COOLDOWN_SECONDS = 300
"""Wait after a scale-in before the next one: removing instances too fast under a dip in traffic
would leave the variant short when traffic returns."""

SCALE_OUT_COOLDOWN_SECONDS = 60
"""Wait after a scale-out before the next one: short, so a rising load is followed quickly."""

REGISTERED = "registered"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Autoscaling:
    """Capacity bounds and target of the variant's target tracking.

    Read from ``AUTOSCALING_MIN_CAPACITY``, ``AUTOSCALING_MAX_CAPACITY`` and
    ``AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE``.

    Attributes:
        min_capacity: Fewest instances the variant scales in to (at least 1).
        max_capacity: Most instances it scales out to.
        target_invocations_per_instance: Invocations per instance per minute to hold.
    """

    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float

    def __post_init__(self) -> None:
        if self.min_capacity < 1:
            raise ValueError(f"AUTOSCALING_MIN_CAPACITY must be at least 1: {self.min_capacity}")
        if self.max_capacity < self.min_capacity:
            raise ValueError(
                f"AUTOSCALING_MAX_CAPACITY ({self.max_capacity}) is below "
                f"AUTOSCALING_MIN_CAPACITY ({self.min_capacity})"
            )
        if self.target_invocations_per_instance <= 0:
            raise ValueError(
                "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE must be positive: "
                f"{self.target_invocations_per_instance}"
            )


def resource_id(endpoint_name: str, variant_name: str) -> str:
    """Return the Application Auto Scaling resource id of an endpoint variant.

    Example:
        >>> resource_id("churn", "AllTraffic")
        'endpoint/churn/variant/AllTraffic'
    """
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def policy_name(endpoint_name: str) -> str:
    """Return the scaling policy's name: one policy per endpoint, so a rerun replaces it."""
    return f"{endpoint_name}-invocations-per-instance"


def target_tracking_configuration(autoscaling: Autoscaling) -> dict[str, Any]:
    """Return the ``TargetTrackingScalingPolicyConfiguration`` (pure)."""
    return {
        "TargetValue": float(autoscaling.target_invocations_per_instance),
        "PredefinedMetricSpecification": {"PredefinedMetricType": PREDEFINED_METRIC},
        "ScaleInCooldown": SCALE_IN_COOLDOWN_SECONDS,
        "ScaleOutCooldown": SCALE_OUT_COOLDOWN_SECONDS,
    }


def ensure_autoscaling(
    client: Any, endpoint_name: str, variant_name: str, autoscaling: Autoscaling
) -> str:
    """Register the variant as a scalable target and put its policy, unless already so.

    Args:
        client: An ``application-autoscaling`` boto3 client.
        endpoint_name: The endpoint, ``InService``.
        variant_name: Its production variant.
        autoscaling: The bounds and target.

    Returns:
        ``"registered"`` if anything was written, ``"unchanged"`` if both the target and the
        policy were already registered with these values.
    """
    target = {
        "ServiceNamespace": SERVICE_NAMESPACE,
        "ResourceId": resource_id(endpoint_name, variant_name),
        "ScalableDimension": SCALABLE_DIMENSION,
    }
    wrote = False
    existing = client.describe_scalable_targets(
        ServiceNamespace=SERVICE_NAMESPACE,
        ResourceIds=[target["ResourceId"]],
        ScalableDimension=SCALABLE_DIMENSION,
    )["ScalableTargets"]
    bounds = {"MinCapacity": autoscaling.min_capacity, "MaxCapacity": autoscaling.max_capacity}
    if not any(all(found.get(k) == v for k, v in bounds.items()) for found in existing):
        client.register_scalable_target(**target, **bounds)
        wrote = True
    configuration = target_tracking_configuration(autoscaling)
    name = policy_name(endpoint_name)
    policies = client.describe_scaling_policies(**target, PolicyNames=[name])["ScalingPolicies"]
    if not any(
        policy.get("PolicyType") == POLICY_TYPE
        and _same_configuration(
            policy.get("TargetTrackingScalingPolicyConfiguration"), configuration
        )
        for policy in policies
    ):
        client.put_scaling_policy(
            **target,
            PolicyName=name,
            PolicyType=POLICY_TYPE,
            TargetTrackingScalingPolicyConfiguration=configuration,
        )
        wrote = True
    return REGISTERED if wrote else UNCHANGED


def _same_configuration(found: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    """Compare the keys this module sets (AWS may add others, such as ``DisableScaleIn``)."""
    return found is not None and all(found.get(key) == value for key, value in wanted.items())
