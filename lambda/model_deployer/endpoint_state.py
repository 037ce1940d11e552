"""What the endpoint is doing and which model package it serves, read from SageMaker.

The served package is followed the way SageMaker wires it: DescribeEndpoint -> its endpoint
configuration -> the variant's model -> the model's ``refarch:model-package-arn`` tag (or, for a
model the deployer did not create, the model package its container names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from endpoint_spec import LAST_ROLLOUT_TAG, MODEL_PACKAGE_TAG

IN_SERVICE = "InService"
FAILED = "Failed"

TRANSITIONAL_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
"""Statuses an endpoint leaves by itself, to ``InService`` (or ``Failed``), emitting an Endpoint
State Change event: an update now would be refused ("Cannot update in-progress endpoint"), so the
deployer waits for that event instead."""

UNAVAILABLE_STATUSES = frozenset({"Deleting", "OutOfService", "UpdateRollbackFailed"})
"""Statuses no ``IN_SERVICE`` event is sure to follow and no update can fix: being deleted,
out of service, or a rolling deployment whose rollback failed (it needs an operator)."""


@dataclass(frozen=True)
class LiveEndpoint:
    """The endpoint as SageMaker describes it now.

    Attributes:
        name: Endpoint name.
        arn: Endpoint ARN.
        status: ``EndpointStatus`` (``InService``, ``Updating``, ...).
        config_name: The endpoint configuration it runs (the old one while an update is in
            flight).
        model_package_arn: The package its variant's model serves, None if it cannot be told.
        variant_name: The configured variant's name (the first one if there are several).
        instance_type: The variant's instance type, None for serverless.
        last_rollout_arn: The package of the last rollout the deployer made on it.
        failure_reason: SageMaker's ``FailureReason``, if any.
        instance_count: The variant's desired instance count now (what autoscaling set; the
            green fleet of an update that retains variant properties), None for serverless.
    """

    name: str
    arn: str
    status: str
    config_name: str
    model_package_arn: str | None
    variant_name: str | None
    instance_type: str | None
    last_rollout_arn: str | None
    failure_reason: str | None = None
    instance_count: int | None = None


def is_not_found(error: ClientError) -> bool:
    """Return True for SageMaker's answer about a resource that does not exist.

    SageMaker has no dedicated error code for it: Describe* answers ``ValidationException``
    "Could not find ..." (checked on the message, which moto mirrors).
    """
    details = error.response.get("Error", {})
    return details.get("Code") == "ValidationException" and "Could not find" in str(
        details.get("Message", "")
    )


def read_live_endpoint(
    sagemaker: Any, endpoint_name: str, variant_name: str
) -> LiveEndpoint | None:
    """Return the endpoint's state and served package, or None if there is no such endpoint.

    Args:
        sagemaker: A SageMaker boto3 client.
        endpoint_name: The endpoint.
        variant_name: The variant whose model is followed (else the configuration's first).
    """
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    config_name = endpoint["EndpointConfigName"]
    variant = _config_variant(sagemaker, config_name, variant_name)
    return LiveEndpoint(
        name=endpoint_name,
        arn=endpoint["EndpointArn"],
        status=endpoint["EndpointStatus"],
        config_name=config_name,
        model_package_arn=_served_package(sagemaker, variant),
        variant_name=variant.get("VariantName") if variant else None,
        instance_type=variant.get("InstanceType") if variant else None,
        last_rollout_arn=_tag(sagemaker, endpoint["EndpointArn"], LAST_ROLLOUT_TAG),
        failure_reason=endpoint.get("FailureReason"),
        instance_count=_desired_instances(endpoint, variant_name),
    )


def _desired_instances(endpoint: dict[str, Any], variant_name: str) -> int | None:
    """The named (else first) live variant's ``DesiredInstanceCount``, None if it has none."""
    variants = endpoint.get("ProductionVariants") or []
    chosen = [v for v in variants if v.get("VariantName") == variant_name] or variants[:1]
    count = chosen[0].get("DesiredInstanceCount") if chosen else None
    return int(count) if count is not None else None


def _config_variant(sagemaker: Any, config_name: str, variant_name: str) -> dict[str, Any] | None:
    try:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    except ClientError as exc:
        if is_not_found(exc):
            return None  # deleted from under the endpoint: what it serves cannot be told
        raise
    variants = config.get("ProductionVariants") or []
    chosen = [v for v in variants if v.get("VariantName") == variant_name] or variants[:1]
    return chosen[0] if chosen else None


def _served_package(sagemaker: Any, variant: dict[str, Any] | None) -> str | None:
    if not variant or not variant.get("ModelName"):
        return None
    try:
        model = sagemaker.describe_model(ModelName=variant["ModelName"])
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise
    tagged = _tag(sagemaker, model["ModelArn"], MODEL_PACKAGE_TAG)
    if tagged:
        return tagged
    containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
    return next((c["ModelPackageName"] for c in containers if c.get("ModelPackageName")), None)


def _tag(sagemaker: Any, arn: str, key: str) -> str | None:
    request: dict[str, Any] = {"ResourceArn": arn}
    while True:
        page = sagemaker.list_tags(**request)
        for tag in page.get("Tags", []):
            if tag.get("Key") == key:
                return tag.get("Value")
        if not page.get("NextToken"):
            return None
        request["NextToken"] = page["NextToken"]
