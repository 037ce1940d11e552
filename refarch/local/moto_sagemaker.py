"""Where moto 5.2.5's SageMaker differs from AWS in ways the model deployer depends on, and the fix.

Applied only inside ``sagemaker_gap_fixes()`` (and undone on exit), so other tests that use moto
directly see moto as shipped. Each fix is checked against the SageMaker API reference.

1. ``UpdateEndpoint`` is not implemented (moto raises ``NotImplementedError``). Implemented: the
   endpoint must exist (``ValidationException`` "Could not find endpoint"), be ``InService``
   ("Cannot update in-progress endpoint": AWS refuses an update while one is running) and the
   endpoint configuration must exist; a request with a ``DeploymentConfig`` (blue/green) must
   keep the variant names (deployment guardrails "Exclusions": "your new endpoint configuration
   must have the same variant name as the old endpoint configuration"). The update switches the
   endpoint to the new configuration, its variants and data capture; with
   ``RetainAllVariantProperties`` a variant of the same name keeps its desired instance count
   and weight (what an autoscaled endpoint relies on); ``ExcludeRetainedVariantProperties``
   takes only the supported ``DesiredInstanceCount`` and ``DesiredWeight`` (``DataCaptureConfig``
   is "(Not currently supported.)", API reference ``VariantProperty``), and a canary or linear
   step the green fleet's instance count cannot take (a canary over 50%, a linear step outside
   10-50% of the variant's instances, API reference ``TrafficRoutingConfig``) is refused with
   ``ValidationException``, as are waits over an hour, a timeout outside the 10-minute to
   8-hour window or not longer than the waits, and more than 10 rollback alarms (the limits
   botocore does not check on the client); moto accepted all of them. The request's
   ``DeploymentConfig`` is answered by ``DescribeEndpoint`` as ``LastDeploymentConfig``, as AWS
   does, and every request is kept for tests (``update_requests``).
2. Endpoints are ``InService`` the moment they are created, so nothing ever observes an endpoint
   mid-deployment. With ``instant_transitions=False`` a created endpoint is ``Creating`` and an
   updated one ``Updating`` (still serving its old configuration, as a blue/green deployment
   does) until ``set_endpoint_status(name, "InService")`` completes it, or
   ``roll_back_update(name)`` ends it the way an auto-rollback does (old configuration kept).
   ``set_endpoint_status`` sets any documented status (``Failed``, ``SystemUpdating``, ...).
3. ``CreateModel`` overwrites a model of the same name and accepts a container whose
   ``ModelPackageName`` does not exist; AWS refuses both with ``ValidationException``.
4. ``CreateEndpointConfig`` and ``CreateEndpoint`` overwrite an existing resource of the same
   name (an endpoint silently loses its configuration); AWS answers ``ValidationException``
   "Cannot create already existing ...".
5. ``UpdateModelPackage`` without ``ModelApprovalStatus`` (or without ``ApprovalDescription`` or
   ``CustomerMetadataProperties``) clears it; AWS leaves a field it is not given unchanged.
6. ``AddTags`` appends a second tag with an existing key instead of overwriting its value; and
   ``AddTags``/``ListTags``/``DeleteTags`` on an ARN that does not exist, or on a model package
   ARN (``model-package/<group>/<version>``), fail with a server error instead of
   ``ValidationException`` (model packages' tags work).
7. ``DescribeEndpoint`` answers the data capture configuration as given to the endpoint
   configuration, without the ``CaptureStatus`` and ``CurrentSamplingPercentage`` of AWS's
   ``DataCaptureConfigSummary``; ``DescribeEndpoint`` and ``DescribeEndpointConfig`` answer
   ``{}`` when capture is off, where AWS leaves the field out.
8. Authorization: moto checks every SageMaker action against resource ``*``, so a statement
   scoped to an endpoint, endpoint configuration, model or model package never matches. The
   request's resource ARN is used, with the name of an endpoint, endpoint configuration or model
   lowercased as in SageMaker's ARNs (a policy naming ``endpoint/MyEndpoint`` does not match in
   AWS either: use lowercase names). List actions but ``ListTags`` are authorized on ``*``, a
   ``ListModelPackages`` filtered by group included: SageMaker has no resource-level permissions
   for them (SageMaker API permissions reference). ``UpdateEndpoint``
   and ``CreateEndpoint`` are authorized on the endpoint here; AWS also checks the endpoint
   configuration (the stack must grant both), which moto's single-resource check cannot express:
   the local runner's emulator checks both (``moto_resources.authorize_sagemaker``).
9. ``CreateProcessingJob`` overwrites a job of the same name, where AWS keeps names unique in
   the account and Region and answers ``ResourceInUse`` (API reference, ``CreateProcessingJob``
   errors: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateProcessingJob.html);
   and it drops ``Environment`` and ``ProcessingResources``. Fixed: a repeated name is refused,
   and every accepted request is kept whole (``processing_job_requests``) for the runner, which
   runs the jobs it knows (``sources.model_monitor``).
10. An endpoint configuration's ARN is kept as a one-element tuple, so ``GetResources`` (the
    tagging API) lists it as ``('arn:…',)``. Fixed: the ARN itself. ``DeleteModelPackage`` is
    not implemented (moto raises ``NotImplementedError``); implemented: the version (by name or
    ARN) is deleted, an unknown one is a ``ValidationException``
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteModelPackage.html).

Checked and not gaps (the deployer relies on them): ``ListModelPackages`` filters by group,
approval status and creation time and sorts by ``CreationTime``; ``ModelPackageVersion`` counts
per group; ``CreateModel`` keeps ``Containers=[{"ModelPackageName": arn}]``; models and endpoint
configurations keep their tags; ``DescribeEndpointConfig`` answers ``DataCaptureConfig`` and
``KmsKeyId`` as created. Not covered here: Application Auto Scaling registers a SageMaker
variant that does not exist (AWS validates it); the emulator fixes that (``moto_autoscaling``).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.session
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.models import (
    FakeEndpoint,
    FakeEndpointConfig,
    Model,
    SageMakerModelBackend,
    sagemaker_backends,
)
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter, validate_model_approval_status
from moto.utilities.utils import get_partition

#: ``EndpointStatus`` values of the SageMaker API (``DescribeEndpoint``), from botocore's model.
ENDPOINT_STATUSES = frozenset(
    botocore.session.get_session().get_service_model("sagemaker").shape_for("EndpointStatus").enum
)
#: Variant properties ``RetainAllVariantProperties`` keeps, by ``VariantPropertyType``.
RETAINED_VARIANT_FIELDS = {
    "DesiredInstanceCount": ("DesiredInstanceCount", "CurrentInstanceCount"),
    "DesiredWeight": ("DesiredWeight", "CurrentWeight"),
}
#: The ``VariantPropertyType`` values UpdateEndpoint supports. botocore's enum also lists
#: ``DataCaptureConfig``, which the API reference marks "(Not currently supported.)"
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_VariantProperty.html), fix 1.
SUPPORTED_VARIANT_PROPERTIES = frozenset(RETAINED_VARIANT_FIELDS)
#: A canary is at most half of the variant's instances; a linear step 10 to 50% of them
#: (``TrafficRoutingConfig``: "Value must be less than or equal to 50% of the variant's total
#: instance count", "Value must be 10-50% of the variant's total instance count",
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html).
MAX_CANARY_SHARE = 0.5
LINEAR_SHARE_RANGE = (0.1, 0.5)
#: Resource types whose ARNs SageMaker lowercases (an endpoint ``MyEndpoint`` is
#: ``endpoint/myendpoint`` in its ARN and in the authorization check), fix 8.
LOWERCASED_ARN_TYPES = frozenset({"endpoint", "endpoint-config", "model"})
#: The request parameter naming each SageMaker action's resource (fix 8), by resource type.
_NAMED_RESOURCES = (
    ("EndpointName", "endpoint"),
    ("EndpointConfigName", "endpoint-config"),
    ("ModelName", "model"),
    ("ProcessingJobName", "processing-job"),
)


@dataclass
class _PendingUpdate:
    """An ``UpdateEndpoint`` that has started and not finished (``instant_transitions=False``)."""

    endpoint_config_name: str
    retain_all_variant_properties: bool
    excluded_properties: tuple[str, ...]


@dataclass
class _GapState:
    """What the fixes remember while applied: transitions mode, updates made and in flight."""

    instant_transitions: bool
    update_requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pending: dict[str, _PendingUpdate] = field(default_factory=dict)
    processing_requests: list[dict[str, Any]] = field(default_factory=list)


_state: _GapState | None = None


def _current_state() -> _GapState:
    if _state is None:
        raise RuntimeError("sagemaker_gap_fixes() is not applied")
    return _state


def _backend(account_id: str | None, region_name: str | None) -> SageMakerModelBackend:
    region = region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return sagemaker_backends[account_id or DEFAULT_ACCOUNT_ID][region]


def _endpoint(backend: SageMakerModelBackend, endpoint_name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        arn = FakeEndpoint.arn_formatter(endpoint_name, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    return endpoint


def _endpoint_config(backend: SageMakerModelBackend, name: str) -> FakeEndpointConfig:
    """The endpoint configuration, or SageMaker's ValidationException naming its ARN."""
    config = backend.endpoint_configs.get(name)
    if config is None:
        arn = FakeEndpointConfig.arn_formatter(name, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.")
    return config


def _capture_summary(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """Fix 7: the ``DataCaptureConfigSummary`` AWS answers for a configuration's capture."""
    if not config:
        return None
    enabled = bool(config.get("EnableCapture", True))
    summary = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": config.get("InitialSamplingPercentage"),
        "DestinationS3Uri": config.get("DestinationS3Uri"),
        "KmsKeyId": config.get("KmsKeyId"),
    }
    return {key: value for key, value in summary.items() if value is not None}


def _apply_configuration(
    backend: SageMakerModelBackend,
    endpoint: FakeEndpoint,
    endpoint_config_name: str,
    *,
    retain: bool,
    excluded: tuple[str, ...] = (),
) -> None:
    """Switch an endpoint to a configuration, keeping retained variant properties (fix 1)."""
    config = backend.endpoint_configs[endpoint_config_name]
    variants = endpoint._process_production_variants(copy.deepcopy(config.production_variants))
    if retain:
        old = {variant["VariantName"]: variant for variant in endpoint.production_variants}
        for variant in variants:
            previous = old.get(variant["VariantName"])
            if previous is None:
                continue
            for prop, fields in RETAINED_VARIANT_FIELDS.items():
                if prop in excluded:
                    continue
                for name in fields:
                    if name in previous:
                        variant[name] = previous[name]
    endpoint.endpoint_config_name = endpoint_config_name
    endpoint.production_variants = variants
    endpoint.data_capture_config = _capture_summary(config.data_capture_config)
    endpoint.last_modified_time = utcnow()


def _step_instances(size: dict[str, Any], fleet: int) -> float:
    """How many of ``fleet`` instances a ``CapacitySize`` turns on (a share, not rounded)."""
    if size.get("Type") == "INSTANCE_COUNT":
        return float(size.get("Value", 0))
    return fleet * float(size.get("Value", 0)) / 100


def _check_traffic_routing(deployment_config: dict[str, Any], fleet: int | None) -> None:
    """Fix 1: refuse a canary or linear step the variant's instance count cannot take.

    A step turns on whole instances, at least one: a canary of one instance is more than half of
    a one-instance fleet, and a linear step of one is more than half of it too, so neither
    can shift a single instance (``TrafficRoutingConfig``, URL at ``MAX_CANARY_SHARE``).
    """
    routing = deployment_config.get("BlueGreenUpdatePolicy", {}).get(
        "TrafficRoutingConfiguration", {}
    )
    kind = routing.get("Type")
    if fleet is None or kind not in ("CANARY", "LINEAR"):
        return
    key = "CanarySize" if kind == "CANARY" else "LinearStepSize"
    size = routing.get(key) or {}
    instances = max(1, math.ceil(_step_instances(size, fleet)))
    low, high = (0.0, MAX_CANARY_SHARE) if kind == "CANARY" else LINEAR_SHARE_RANGE
    if not low * fleet <= instances <= high * fleet:
        bounds = "at most 50%" if kind == "CANARY" else "10-50%"
        raise ValidationError(
            message=(
                f"{key} {size.get('Value')} {size.get('Type')} turns on {instances} of the "
                f"variant's {fleet} instances; it must be {bounds} of the variant's total "
                "instance count."
            )
        )


def _check_limits(deployment_config: dict[str, Any]) -> None:
    """Fix 1: the ``DeploymentConfig`` limits botocore leaves to the service.

    botocore checks an integer's and a list's ``min`` on the client, never its ``max``; SageMaker
    refuses the rest (ranges from botocore's model, URLs in the API reference):
    ``WaitIntervalInSeconds`` and ``TerminationWaitInSeconds`` 0-3600,
    ``MaximumExecutionTimeoutInSeconds`` 600-28800 (the 8-hour deployment window) and "larger
    than the total waiting time specified in TerminationWaitInSeconds and
    WaitIntervalInSeconds" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    API_BlueGreenUpdatePolicy.html), ``AutoRollbackConfiguration.Alarms`` 1-10
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoRollbackConfig.html).
    """
    policy = deployment_config.get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {}
    wait = int(routing.get("WaitIntervalInSeconds", 0))
    termination = int(policy.get("TerminationWaitInSeconds", 0))
    problems = []
    if not 0 <= wait <= 3600:
        problems.append(f"WaitIntervalInSeconds {wait} is outside 0-3600")
    if not 0 <= termination <= 3600:
        problems.append(f"TerminationWaitInSeconds {termination} is outside 0-3600")
    timeout = policy.get("MaximumExecutionTimeoutInSeconds")
    if timeout is not None and not 600 <= int(timeout) <= 28800:
        problems.append(f"MaximumExecutionTimeoutInSeconds {timeout} is outside 600-28800")
    elif timeout is not None and int(timeout) <= wait + termination:
        problems.append(
            f"MaximumExecutionTimeoutInSeconds {timeout} is not larger than the waiting time of "
            f"WaitIntervalInSeconds and TerminationWaitInSeconds ({wait + termination})"
        )
    alarms = (deployment_config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if len(alarms) > 10:
        problems.append(f"AutoRollbackConfiguration has {len(alarms)} alarms, more than 10")
    if problems:
        raise ValidationError(message="; ".join(problems) + ".")


def _green_fleet_size(
    endpoint: FakeEndpoint, config: FakeEndpointConfig, retain: bool, excluded: tuple[str, ...]
) -> int | None:
    """The instance count of the new fleet's (single instance-based) variant, else None."""
    variants = [v for v in config.production_variants if "InitialInstanceCount" in v]
    if len(variants) != 1:
        return None
    (variant,) = variants
    count = int(variant["InitialInstanceCount"])
    if retain and "DesiredInstanceCount" not in excluded:
        for live in endpoint.production_variants:
            if live.get("VariantName") == variant["VariantName"]:
                count = int(live.get("DesiredInstanceCount") or count)
    return count


def _update_endpoint(
    self: SageMakerModelBackend,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool,
    exclude_retained_variant_properties: list[dict[str, str]] | None,
    deployment_config: dict[str, Any] | None,
    retain_deployment_config: bool,
) -> str:
    """Fix 1: ``UpdateEndpoint`` as the API reference describes it."""
    state = _current_state()
    endpoint = _endpoint(self, endpoint_name)
    if endpoint.endpoint_status != "InService":
        raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
    config = _endpoint_config(self, endpoint_config_name)
    excluded = tuple(p["VariantPropertyType"] for p in exclude_retained_variant_properties or [])
    unsupported = sorted(set(excluded) - SUPPORTED_VARIANT_PROPERTIES)
    if unsupported:
        raise ValidationError(
            message=(
                f"VariantPropertyType {', '.join(unsupported)} is not supported in "
                "ExcludeRetainedVariantProperties; supported: "
                f"{', '.join(sorted(SUPPORTED_VARIANT_PROPERTIES))}."
            )
        )
    if deployment_config:
        _check_limits(deployment_config)
        _check_traffic_routing(
            deployment_config,
            _green_fleet_size(endpoint, config, retain_all_variant_properties, excluded),
        )
        old_names = sorted(v["VariantName"] for v in endpoint.production_variants)
        new_names = sorted(v["VariantName"] for v in config.production_variants)
        if old_names != new_names:
            raise ValidationError(
                message=(
                    "A blue/green deployment needs the same variant names as the current "
                    f"endpoint configuration: {old_names}, got {new_names}."
                )
            )
        endpoint.last_deployment_config = copy.deepcopy(deployment_config)
    elif not retain_deployment_config:
        endpoint.last_deployment_config = None
    state.update_requests.setdefault(endpoint.arn, []).append(
        {
            "EndpointName": endpoint_name,
            "EndpointConfigName": endpoint_config_name,
            "RetainAllVariantProperties": retain_all_variant_properties,
            "ExcludeRetainedVariantProperties": list(excluded),
            "DeploymentConfig": copy.deepcopy(deployment_config),
            "RetainDeploymentConfig": retain_deployment_config,
        }
    )
    if state.instant_transitions:
        _apply_configuration(
            self,
            endpoint,
            endpoint_config_name,
            retain=retain_all_variant_properties,
            excluded=excluded,
        )
    else:
        state.pending[endpoint.arn] = _PendingUpdate(
            endpoint_config_name, retain_all_variant_properties, excluded
        )
        endpoint.endpoint_status = "Updating"
        endpoint.last_modified_time = utcnow()
    return str(endpoint.arn)


def _update_endpoint_response(self: SageMakerResponse) -> ActionResult:
    arn = self.sagemaker_backend.update_endpoint(  # type: ignore[attr-defined]
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=bool(self._get_param("RetainAllVariantProperties")),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
        deployment_config=self._get_param("DeploymentConfig"),
        retain_deployment_config=bool(self._get_param("RetainDeploymentConfig")),
    )
    return ActionResult({"EndpointArn": arn})


def _model_package_exists(backend: SageMakerModelBackend, name: str) -> bool:
    mapped = backend.model_package_name_mapping.get(name, name)
    return mapped in backend.model_packages


def _checked_create_model(original: Any) -> Any:
    """Fix 3: refuse a duplicate model name and a container naming a missing model package."""

    def create_model(self: SageMakerModelBackend, model_name: str, **kwargs: Any) -> Model:
        if model_name in self._models:
            arn = arn_formatter("model", model_name, self.account_id, self.region_name)
            raise ValidationError(message=f'Cannot create already existing model "{arn}".')
        containers = [kwargs.get("primary_container") or {}, *(kwargs.get("containers") or [])]
        for container in containers:
            package = container.get("ModelPackageName")
            if package and not _model_package_exists(self, package):
                raise ValidationError(message=f"Model package {package} does not exist.")
        return original(self, model_name=model_name, **kwargs)

    return create_model


def _checked_create_endpoint_config(original: Any) -> Any:
    """Fix 4: refuse a duplicate endpoint configuration name."""

    def create_endpoint_config(
        self: SageMakerModelBackend, endpoint_config_name: str, **kwargs: Any
    ) -> FakeEndpointConfig:
        if endpoint_config_name in self.endpoint_configs:
            arn = FakeEndpointConfig.arn_formatter(
                endpoint_config_name, self.account_id, self.region_name
            )
            raise ValidationError(
                message=f'Cannot create already existing endpoint configuration "{arn}".'
            )
        return original(self, endpoint_config_name=endpoint_config_name, **kwargs)

    return create_endpoint_config


def _create_endpoint(
    self: SageMakerModelBackend,
    endpoint_name: str,
    endpoint_config_name: str,
    tags: list[dict[str, str]] | None = None,
    **_: Any,
) -> FakeEndpoint:
    """Fixes 2, 4 and 7: ``CreateEndpoint`` that refuses a duplicate and takes time."""
    if endpoint_name in self.endpoints:
        arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f'Cannot create already existing endpoint "{arn}".')
    config = _endpoint_config(self, endpoint_config_name)
    endpoint = FakeEndpoint(
        account_id=self.account_id,
        region_name=self.region_name,
        endpoint_name=endpoint_name,
        endpoint_config_name=endpoint_config_name,
        production_variants=copy.deepcopy(config.production_variants),
        data_capture_config=_capture_summary(config.data_capture_config),  # type: ignore[arg-type]
        tags=tags or [],
    )
    if not _current_state().instant_transitions:
        endpoint.endpoint_status = "Creating"
    self.endpoints[endpoint_name] = endpoint
    return endpoint


def _describe_endpoint_config_without_empty_capture(original: Any) -> Any:
    """Fix 7: no ``DataCaptureConfig`` in the answer when the configuration has none."""

    def describe_endpoint_config(
        self: SageMakerModelBackend, endpoint_config_name: str
    ) -> dict[str, Any]:
        response = original(self, endpoint_config_name)
        if response.get("DataCaptureConfig"):
            return response
        return {key: value for key, value in response.items() if key != "DataCaptureConfig"}

    return describe_endpoint_config


def _update_model_package(
    self: SageMakerModelBackend,
    model_package_arn: str,
    model_approval_status: str | None,
    approval_description: str | None,
    customer_metadata_properties: dict[str, str] | None,
    customer_metadata_properties_to_remove: list[str],
    additional_inference_specifications_to_add: list[Any] | None,
) -> str:
    """Fix 5: change only the fields the request gives."""
    package = self.model_packages.get(
        self.model_package_name_mapping.get(model_package_arn, model_package_arn)
    )
    if package is None:
        raise ValidationError(message=f"Model package {model_package_arn} not found")
    if model_approval_status is not None:
        validate_model_approval_status(model_approval_status)
        package.model_approval_status = model_approval_status
    if approval_description is not None:
        package.approval_description = approval_description
    if customer_metadata_properties is not None:
        package.customer_metadata_properties = {
            **(package.customer_metadata_properties or {}),
            **customer_metadata_properties,
        }
    if customer_metadata_properties_to_remove and package.customer_metadata_properties:
        package.remove_customer_metadata_property(customer_metadata_properties_to_remove)
    package.add_additional_inference_specifications(additional_inference_specifications_to_add)
    package.modifications_done()
    return str(package.arn)


def _create_processing_job_response(self: SageMakerResponse) -> ActionResult:
    """Fix 9: a name in use is refused; the whole request is kept for the runner."""
    name = self._get_param("ProcessingJobName")
    if name in self.sagemaker_backend.processing_jobs:
        raise ResourceInUseException(message=f"Processing job {name} already exists")
    result = _original_create_processing_job(self)
    request = json.loads(self.body) if self.body else {}
    _current_state().processing_requests.append(request)
    return result


def processing_job_requests() -> list[dict[str, Any]]:
    """Every ``CreateProcessingJob`` request accepted inside ``sagemaker_gap_fixes()``."""
    return _current_state().processing_requests


_original_create_processing_job = SageMakerResponse.create_processing_job
_original_resource_from_arn = SageMakerModelBackend._get_resource_from_arn


def _resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
    """Fix 6: find a taggable resource by ARN (model packages included), or ValidationError."""
    if ":model-package/" in arn:
        package = self.model_packages.get(arn)
        if package is None:
            raise ValidationError(message=f"Could not find model-package with ARN {arn}")
        if package.tags is None:
            package.tags = []
        return package
    kind, _, name = arn.split(":", 5)[-1].partition("/")
    collections = {
        "model": self._models,
        "endpoint": self.endpoints,
        "endpoint-config": self.endpoint_configs,
        "model-package-group": self.model_package_groups,
    }
    if kind not in collections:
        return _original_resource_from_arn(self, arn)
    resource = collections[kind].get(name)
    if resource is None:
        raise ValidationError(message=f"Could not find {kind} with name {name}")
    return resource


def _add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[Any]:
    """Fix 6: a tag whose key exists replaces its value, as AWS's AddTags does."""
    resource = self._get_resource_from_arn(arn)
    keys = {tag["Key"] for tag in tags}
    resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys] + list(tags)
    return list(resource.tags)


class _EndpointConfigArn:
    """``FakeEndpointConfig.arn``: stored as given, read as the ARN (fix 10)."""

    def __get__(self, config: Any, owner: type) -> Any:
        value = config.__dict__.get("_refarch_arn") if config is not None else self
        return value[0] if isinstance(value, tuple) else value

    def __set__(self, config: Any, value: Any) -> None:
        config.__dict__["_refarch_arn"] = value


def _delete_model_package_response(self: SageMakerResponse) -> ActionResult:
    """``DeleteModelPackage`` (fix 10): by name or ARN; unknown: ``ValidationException``."""
    name = self._get_param("ModelPackageName")
    backend = self.sagemaker_backend
    arn = backend.model_package_name_mapping.get(name, name)
    if backend.model_packages.pop(arn, None) is None:
        raise ValidationError(message=f"Model package {name} not found")
    return ActionResult({})


def _sagemaker_resource(self: SageMakerResponse) -> str:
    """Fix 8: the ARN a SageMaker request is authorized against (``*`` for most List actions)."""
    region, account = self.region, self.current_account

    def arn(kind: str, name: str) -> str:
        if kind in LOWERCASED_ARN_TYPES:
            name = name.lower()
        return f"arn:{get_partition(region)}:sagemaker:{region}:{account}:{kind}/{name}"

    given = self._get_param("ResourceArn") or self._get_param("ModelPackageArn")
    package = self._get_param("ModelPackageName")
    if not given and isinstance(package, str) and package.startswith("arn:"):
        given = package
    if isinstance(given, str) and given.count(":") >= 5:
        kind, _, name = given.split(":", 5)[-1].partition("/")
        return arn(kind, name)
    action = self._get_action()
    group = self._get_param("ModelPackageGroupName")
    if action.startswith("List"):
        # "Except for the ListTags API, resource-level restrictions are not available on List-
        # calls" (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html):
        # ListModelPackages too, filtered by group or not (its model-package resource type is
        # optional in the Service Authorization Reference). ListTags names its ARN (above).
        return "*"
    for param, kind in _NAMED_RESOURCES:
        name = self._get_param(param)
        if name:
            return arn(kind, str(name))
    return arn("model-package-group", str(group)) if group else "*"


@contextmanager
def sagemaker_gap_fixes(*, instant_transitions: bool = True) -> Iterator[None]:
    """Apply the fixes above inside the block (within ``mock_aws()``), undo them on exit.

    Args:
        instant_transitions: True (moto's behaviour): created and updated endpoints are
            ``InService`` at once. False: they stay ``Creating``/``Updating`` until
            ``set_endpoint_status`` or ``roll_back_update`` ends the deployment, so the
            deployer's deferral and the ``IN_SERVICE`` events that complete it can be
            exercised.

    Example:
        >>> with mock_aws(), sagemaker_gap_fixes(instant_transitions=False):  # doctest: +SKIP
        ...     ...
    """
    global _state
    previous = _state
    _state = _GapState(instant_transitions=instant_transitions)
    try:
        with ExitStack() as stack:
            for target, name, replacement, create in (
                (SageMakerModelBackend, "update_endpoint", _update_endpoint, True),
                (SageMakerResponse, "update_endpoint", _update_endpoint_response, True),
                (
                    SageMakerModelBackend,
                    "create_model",
                    _checked_create_model(SageMakerModelBackend.create_model),
                    False,
                ),
                (
                    SageMakerModelBackend,
                    "create_endpoint_config",
                    _checked_create_endpoint_config(SageMakerModelBackend.create_endpoint_config),
                    False,
                ),
                (SageMakerModelBackend, "create_endpoint", _create_endpoint, False),
                (
                    SageMakerModelBackend,
                    "describe_endpoint_config",
                    _describe_endpoint_config_without_empty_capture(
                        SageMakerModelBackend.describe_endpoint_config
                    ),
                    False,
                ),
                (SageMakerModelBackend, "update_model_package", _update_model_package, False),
                (SageMakerModelBackend, "_get_resource_from_arn", _resource_from_arn, False),
                (SageMakerModelBackend, "add_tags", _add_tags, False),
                (SageMakerResponse, "_determine_resource", _sagemaker_resource, True),
                (FakeEndpointConfig, "arn", _EndpointConfigArn(), True),
                (SageMakerResponse, "delete_model_package", _delete_model_package_response, True),
                (
                    SageMakerResponse,
                    "create_processing_job",
                    _create_processing_job_response,
                    False,
                ),
            ):
                stack.enter_context(mock.patch.object(target, name, replacement, create=create))
            yield
    finally:
        _state = previous


def set_endpoint_status(
    endpoint_name: str,
    status: str,
    *,
    failure_reason: str | None = None,
    account_id: str | None = None,
    region_name: str | None = None,
) -> None:
    """Set an endpoint's status in moto; ``InService`` completes a pending create or update.

    Args:
        endpoint_name: The endpoint, as created.
        status: A documented ``EndpointStatus`` (``InService``, ``Updating``, ``Failed``, ...).
        failure_reason: What ``DescribeEndpoint`` answers as ``FailureReason`` (``Failed``).
        account_id: moto's default account unless given.
        region_name: ``AWS_DEFAULT_REGION`` (else us-east-1) unless given.

    Example:
        >>> set_endpoint_status("churn", "InService")  # doctest: +SKIP
    """
    if status not in ENDPOINT_STATUSES:
        raise ValueError(f"not an EndpointStatus: {status!r} (one of {sorted(ENDPOINT_STATUSES)})")
    backend = _backend(account_id, region_name)
    endpoint = _endpoint(backend, endpoint_name)
    pending = _current_state().pending.pop(endpoint.arn, None)
    if status == "InService" and pending is not None:
        _apply_configuration(
            backend,
            endpoint,
            pending.endpoint_config_name,
            retain=pending.retain_all_variant_properties,
            excluded=pending.excluded_properties,
        )
    elif pending is not None and status in ("Updating", "RollingBack", "SystemUpdating"):
        _current_state().pending[endpoint.arn] = pending  # still in flight
    endpoint.endpoint_status = status
    endpoint.failure_reason = failure_reason if status == "Failed" else None
    endpoint.last_modified_time = utcnow()


def roll_back_update(
    endpoint_name: str, *, account_id: str | None = None, region_name: str | None = None
) -> None:
    """End an update in flight as a blue/green auto-rollback does: old configuration, InService."""
    backend = _backend(account_id, region_name)
    endpoint = _endpoint(backend, endpoint_name)
    if _current_state().pending.pop(endpoint.arn, None) is None:
        raise ValueError(f"endpoint {endpoint_name!r} has no update in flight")
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = utcnow()


def update_requests(
    endpoint_name: str, *, account_id: str | None = None, region_name: str | None = None
) -> list[dict[str, Any]]:
    """Return every ``UpdateEndpoint`` request accepted for an endpoint, oldest first."""
    backend = _backend(account_id, region_name)
    arn = FakeEndpoint.arn_formatter(endpoint_name, backend.account_id, backend.region_name)
    return copy.deepcopy(_current_state().update_requests.get(arn, []))
