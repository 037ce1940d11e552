"""The SageMaker requests that deploy a model package, built from the settings (pure).

CreateModel, CreateEndpointConfig, CreateEndpoint and UpdateEndpoint requests, built from the
settings and the package; nothing here calls AWS.

The three resources are SageMaker hosting's chain: a Model (the inference container, its model
artifacts and the IAM role SageMaker runs it as), an EndpointConfig naming the model with the
instance type and count of each production variant, and the Endpoint created from that
configuration (CreateEndpointConfig,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html).
Here the model's container is the approved model package itself (``ModelPackageName``), so the
image and artifacts are exactly what the reviewer approved.

Every deployment creates a new model and endpoint configuration, named
``<endpoint>-v<version>-<suffix>`` and tagged with the package ARN: a configuration in use is
never modified, and the tag is how the deployer later reads which version an endpoint serves.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rollout import deployment_config

if TYPE_CHECKING:
    from deployer_settings import Settings

MODEL_PACKAGE_TAG = "refarch:model-package-arn"
"""Tag on each model and endpoint configuration: the package it deploys."""

LAST_ROLLOUT_TAG = "refarch:last-rollout-model-package-arn"
"""Tag on the endpoint: the package of the last CreateEndpoint/UpdateEndpoint the deployer made.
An endpoint back in service serving another package has rolled that rollout back."""

MAX_NAME_LENGTH = 63
"""SageMaker's limit on model, endpoint configuration and endpoint names."""

SUFFIX_LENGTH = 8
"""Characters of the per-deployment suffix: a retry never collides with an earlier attempt."""

MAX_VERSION_DIGITS = 9
"""A model package version has at most 9 digits (the ARN pattern's ``/[0-9]{1,9}``)."""

MAX_ENDPOINT_NAME_LENGTH = MAX_NAME_LENGTH - len("-v") - MAX_VERSION_DIGITS - 1 - SUFFIX_LENGTH
"""Longest endpoint name whose derived names always fit in 63 characters."""

NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
"""SageMaker's pattern for endpoint, endpoint configuration and model names."""

SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
"""The memory sizes a serverless variant may have (API reference, ``MemorySizeInMB``)."""

MAX_SERVERLESS_CONCURRENCY = 200
"""API limit of ``MaxConcurrency``."""

CAPTURE_MODES = ("Input", "Output")
"""Capture requests and responses: Data Capture logs "the inputs to your endpoint and the inference
outputs from your deployed model to Amazon S3", which Model Monitor then compares with a baseline
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html)."""


class IncompatibleUpdateError(RuntimeError):
    """The live endpoint cannot be updated to the configured variant without operator action."""


@dataclass(frozen=True)
class InstanceCompute:
    """An instance-backed variant: ``INSTANCE_TYPE`` and ``INITIAL_INSTANCE_COUNT``."""

    instance_type: str
    initial_instance_count: int = 1

    def __post_init__(self) -> None:
        if not self.instance_type.startswith("ml."):
            raise ValueError(f"INSTANCE_TYPE must be an ml.* instance type: {self.instance_type!r}")
        if self.initial_instance_count < 1:
            raise ValueError(
                f"INITIAL_INSTANCE_COUNT must be at least 1: {self.initial_instance_count}"
            )


@dataclass(frozen=True)
class ServerlessCompute:
    """A serverless variant: ``SERVERLESS_MEMORY_MB`` and ``SERVERLESS_MAX_CONCURRENCY``.

    Serverless suits workloads "that have idle periods between traffic spikes and can tolerate
    cold starts" (https://docs.aws.amazon.com/sagemaker/latest/dg/how-it-works-deployment.html);
    the sizes are the API's (``ProductionVariantServerlessConfig``).
    """

    memory_size_mb: int
    max_concurrency: int

    def __post_init__(self) -> None:
        if self.memory_size_mb not in SERVERLESS_MEMORY_SIZES:
            raise ValueError(
                f"SERVERLESS_MEMORY_MB must be one of {SERVERLESS_MEMORY_SIZES}: "
                f"{self.memory_size_mb}"
            )
        if not 1 <= self.max_concurrency <= MAX_SERVERLESS_CONCURRENCY:
            raise ValueError(
                f"SERVERLESS_MAX_CONCURRENCY must be 1-{MAX_SERVERLESS_CONCURRENCY}: "
                f"{self.max_concurrency}"
            )


@dataclass(frozen=True)
class DataCapture:
    """Where and how much to capture: ``DATA_CAPTURE_S3_URI``, ``DATA_CAPTURE_SAMPLING_PERCENT``."""

    destination_s3_uri: str
    sampling_percent: int = 100

    def __post_init__(self) -> None:
        if not re.fullmatch(r"s3://[^/]+(/.*)?", self.destination_s3_uri):
            raise ValueError(
                f"DATA_CAPTURE_S3_URI must be s3://bucket/prefix: {self.destination_s3_uri!r}"
            )
        if not 0 <= self.sampling_percent <= 100:
            raise ValueError(
                f"DATA_CAPTURE_SAMPLING_PERCENT must be 0-100: {self.sampling_percent}"
            )


def new_suffix() -> str:
    """Return a fresh name suffix (random, so concurrent or retried deployments never clash)."""
    return uuid.uuid4().hex[:SUFFIX_LENGTH]


def versioned_name(endpoint_name: str, version: int, suffix: str) -> str:
    """Return ``<endpoint>-v<version>-<suffix>``, the name of a model and its configuration.

    Example:
        >>> versioned_name("churn", 3, "0a1b2c3d")
        'churn-v3-0a1b2c3d'
    """
    name = f"{endpoint_name}-v{version}-{suffix}"
    if len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"not a valid SageMaker resource name (max {MAX_NAME_LENGTH}): {name!r}")
    return name


def _tags(package_arn: str) -> list[dict[str, str]]:
    return [{"Key": MODEL_PACKAGE_TAG, "Value": package_arn}]


def model_request(settings: Settings, package_arn: str, model_name: str) -> dict[str, Any]:
    """Return the CreateModel request: the approved package as the container, the stack's role.

    ``ModelPackageName`` is how the registry's deploy guide creates a model from a model version;
    the execution role is the only one the deployer may pass.
    """
    return {
        "ModelName": model_name,
        "ExecutionRoleArn": settings.execution_role_arn,
        "Containers": [{"ModelPackageName": package_arn}],
        "Tags": _tags(package_arn),
    }


def production_variant(settings: Settings, model_name: str) -> dict[str, Any]:
    """Return the single production variant: instances or serverless, same name every time.

    The variant name never changes: a blue/green update needs "the same variant name as the old
    endpoint configuration" (deployment guardrails "Exclusions").
    """
    variant: dict[str, Any] = {"VariantName": settings.variant_name, "ModelName": model_name}
    compute = settings.compute
    if isinstance(compute, ServerlessCompute):
        variant["ServerlessConfig"] = {
            "MemorySizeInMB": compute.memory_size_mb,
            "MaxConcurrency": compute.max_concurrency,
        }
    else:
        # Instance type and count are props: each production variant of the EndpointConfig
        # names them (API reference, CreateEndpointConfig / ProductionVariant).
        variant["InstanceType"] = compute.instance_type
        variant["InitialInstanceCount"] = compute.initial_instance_count
        variant["InitialVariantWeight"] = 1.0
    return variant


def data_capture_config(settings: Settings) -> dict[str, Any] | None:
    """Return the endpoint configuration's ``DataCaptureConfig``, or None when there is none.

    None for a serverless variant: data capture is among the features SageMaker Serverless
    Inference does not support (serverless guide, "Feature exclusions"), so asking for it would
    fail the CreateEndpointConfig.
    """
    capture = settings.data_capture
    if capture is None or settings.serverless:
        return None
    config: dict[str, Any] = {
        "EnableCapture": True,
        # Sampling, bucket prefix and key are props (API reference, DataCaptureConfig).
        "InitialSamplingPercentage": capture.sampling_percent,
        "DestinationS3Uri": capture.destination_s3_uri,
        "CaptureOptions": [{"CaptureMode": mode} for mode in CAPTURE_MODES],
    }
    if settings.kms_key_arn:
        config["KmsKeyId"] = settings.kms_key_arn
    return config


def endpoint_config_request(
    settings: Settings, package_arn: str, config_name: str, model_name: str
) -> dict[str, Any]:
    """Return the CreateEndpointConfig request for one package."""
    request: dict[str, Any] = {
        "EndpointConfigName": config_name,
        "ProductionVariants": [production_variant(settings, model_name)],
        "Tags": _tags(package_arn),
    }
    if settings.kms_key_arn:
        # Encrypts the storage volume of the hosting instances (API reference, KmsKeyId).
        request["KmsKeyId"] = settings.kms_key_arn
    capture = data_capture_config(settings)
    if capture is not None:
        request["DataCaptureConfig"] = capture
    return request


def create_endpoint_request(
    settings: Settings, config_name: str, package_arn: str
) -> dict[str, Any]:
    """Return the CreateEndpoint request; the endpoint records the rollout it was created for."""
    return {
        "EndpointName": settings.endpoint_name,
        "EndpointConfigName": config_name,
        "Tags": [{"Key": LAST_ROLLOUT_TAG, "Value": package_arn}],
    }


def update_endpoint_request(
    settings: Settings, config_name: str, instances: int | None = None
) -> dict[str, Any]:
    """Return the UpdateEndpoint request: blue/green with the configured traffic shifting.

    ``RetainAllVariantProperties`` keeps the variant's current instance count (what autoscaling
    set) and weight instead of resetting them to the new configuration's (UpdateEndpoint API
    reference: "variant properties, such as the instance count or the variant weight",
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html). Nothing
    is excluded from it: the one other ``VariantPropertyType``, ``DataCaptureConfig``, is "(Not
    currently supported.)" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    API_VariantProperty.html). Data capture is no variant property but the endpoint
    configuration's own: UpdateEndpoint "Deploys the EndpointConfig specified in the request",
    so a changed sampling percentage or destination takes effect with the new configuration.
    ``instances`` is the live variant's instance count, which the green fleet keeps: a canary
    or linear step it cannot take becomes all at once (``rollout.effective_mode``).
    """
    return {
        "EndpointName": settings.endpoint_name,
        "EndpointConfigName": config_name,
        "RetainAllVariantProperties": True,
        "DeploymentConfig": deployment_config(
            settings.rollout, serverless=settings.serverless, instances=instances
        ),
    }


def check_update_compatible(
    settings: Settings, live_variant_name: str | None, live_instance_type: str | None
) -> None:
    """Refuse an update the live endpoint cannot take, before anything is created.

    Raises:
        IncompatibleUpdateError: The variant was renamed (a blue/green update needs the same
            name), or the instance type changed while autoscaling is configured ("If the update
            would change the instance type for any model that is a target for auto scaling,
            the update fails": the variant must be deregistered first, SageMaker guide "Update
            endpoints that use auto scaling").
    """
    if live_variant_name is not None and live_variant_name != settings.variant_name:
        raise IncompatibleUpdateError(
            f"the endpoint serves variant {live_variant_name!r} and VARIANT_NAME is "
            f"{settings.variant_name!r}: a blue/green update keeps the variant name"
        )
    compute = settings.compute
    if (
        settings.autoscaling is not None
        and isinstance(compute, InstanceCompute)
        and live_instance_type is not None
        and live_instance_type != compute.instance_type
    ):
        raise IncompatibleUpdateError(
            f"INSTANCE_TYPE changed from {live_instance_type} to {compute.instance_type} on an "
            "autoscaled variant: deregister its scalable target first, then redeliver the event"
        )
