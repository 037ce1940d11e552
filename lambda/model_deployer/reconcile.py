"""Bring the endpoint to the latest approved version of the group: level-triggered, idempotent.

Every event for the group (or the endpoint's return to service) runs the same comparison of
what should be served (the registry's latest approved version) with what is served, so a
duplicate, late or out-of-order event converges on the same state:

==============================================  ===========================================
Endpoint                                        Action
==============================================  ===========================================
``Creating``/``Updating``/``SystemUpdating``/   ``deferred``: nothing now (see ``decide``)
``RollingBack``
``Failed``                                      raise ``EndpointFailedError`` (to the DLQ)
``Deleting``/``OutOfService``/                  raise ``EndpointUnavailableError``
``UpdateRollbackFailed``
no approved version                             ``no_approved_version``: endpoint unchanged
no endpoint                                     ``created``: model, configuration, endpoint
serving the latest approved version             ``noop``
a rollout of it already made and undone         ``held``: not retried (see ``decide``)
serving another version                         ``updated``: model, configuration, blue/green
==============================================  ===========================================

Rejecting the version that is live makes the previous approved version the latest, so the same
rule rolls the endpoint back to it. Nothing is deleted: the old endpoint configuration stays
what the endpoint runs (and rolls back to) until SageMaker has finished the update, and old
models and configurations cost nothing and keep every version one UpdateEndpoint away.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from deployer_settings import Settings
from endpoint_spec import (
    LAST_ROLLOUT_TAG,
    InstanceCompute,
    check_update_compatible,
    create_endpoint_request,
    endpoint_config_request,
    model_request,
    new_suffix,
    update_endpoint_request,
    versioned_name,
)
from endpoint_state import (
    FAILED,
    TRANSITIONAL_STATUSES,
    UNAVAILABLE_STATUSES,
    LiveEndpoint,
    read_live_endpoint,
)
from model_registry import DeployablePackage, PackageVersion, deployable_package
from model_registry import latest_approved_version as read_latest_approved
from rollout import effective_mode

CREATED = "created"
UPDATED = "updated"
NOOP = "noop"
DEFERRED = "deferred"
HELD = "held"
IGNORED = "ignored"
NO_APPROVED_VERSION = "no_approved_version"


class EndpointFailedError(RuntimeError):
    """The endpoint is ``Failed``: it can only be deleted, which is an operator's call."""


class EndpointUnavailableError(RuntimeError):
    """The endpoint is being deleted, out of service, or stuck after a failed rollback."""


@dataclass(frozen=True)
class Outcome:
    """What one invocation did, returned by the handler and logged.

    Attributes:
        action: ``created``, ``updated``, ``noop``, ``deferred``, ``held``, ``ignored`` or
            ``no_approved_version``.
        reason: Why, in a sentence.
        endpoint_name: The endpoint concerned.
        model_package_arn: The version the endpoint should serve (the latest approved).
        model_package_version: Its version number.
        endpoint_config: The configuration created for it, or the one the endpoint runs.
        serving_model_package_arn: What the endpoint served when the invocation started.
        endpoint_status: The endpoint's status when the invocation started.
        autoscaling: What the ``IN_SERVICE`` handling did about autoscaling, if it ran.
    """

    action: str
    reason: str
    endpoint_name: str
    model_package_arn: str | None = None
    model_package_version: int | None = None
    endpoint_config: str | None = None
    serving_model_package_arn: str | None = None
    endpoint_status: str | None = None
    autoscaling: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as the handler's JSON answer (None fields left out)."""
        fields = {
            "action": self.action,
            "reason": self.reason,
            "endpoint_name": self.endpoint_name,
            "model_package_arn": self.model_package_arn,
            "model_package_version": self.model_package_version,
            "endpoint_config": self.endpoint_config,
            "serving_model_package_arn": self.serving_model_package_arn,
            "endpoint_status": self.endpoint_status,
            "autoscaling": self.autoscaling,
        }
        return {key: value for key, value in fields.items() if value is not None}


class Step(enum.Enum):
    """What ``decide`` asks for."""

    DEFER = "defer"
    FAIL = "fail"
    UNAVAILABLE = "unavailable"
    NO_APPROVED_VERSION = "no_approved_version"
    CREATE = "create"
    NOOP = "noop"
    HOLD = "hold"
    UPDATE = "update"


def decide(live: LiveEndpoint | None, target: PackageVersion | None) -> Step:
    """Choose the step from the endpoint's state and the target version (pure).

    Deferral: while the endpoint is ``Creating``, ``Updating``, ``SystemUpdating`` or
    ``RollingBack`` an UpdateEndpoint would be refused, and the deployment in flight may itself
    be what the registry wants. Nothing is done and nothing is retried: when the endpoint
    returns to ``InService``, SageMaker emits an Endpoint State Change event, the stack routes
    it here, and that invocation reconciles again against whatever the registry says then.

    Hold: a rollout of the target was made (the endpoint's ``refarch:last-rollout-...`` tag)
    and the endpoint is back in service serving something else, so SageMaker rolled it back (an
    alarm tripped during a baking period) or it failed. Retrying would provision a green fleet
    and trip the same alarms again on every return to service; the deployer holds instead and
    says so. Approving a newer version, or rejecting this one, moves on; rejecting and then
    re-approving it retries (a no-op in between records the live version as the last rollout).

    Example:
        >>> decide(None, PackageVersion("arn:...:model-package/churn/1", 1))
        <Step.CREATE: 'create'>
    """
    if live is not None:
        if live.status in TRANSITIONAL_STATUSES:
            return Step.DEFER
        if live.status == FAILED:
            return Step.FAIL
        if live.status in UNAVAILABLE_STATUSES:
            return Step.UNAVAILABLE
    if target is None:
        return Step.NO_APPROVED_VERSION
    if live is None:
        return Step.CREATE
    if live.model_package_arn == target.arn:
        return Step.NOOP
    if live.last_rollout_arn == target.arn:
        return Step.HOLD
    return Step.UPDATE


def reconcile(
    settings: Settings, sagemaker: Any, requested: PackageVersion | None = None
) -> Outcome:
    """Run one reconciliation: read the endpoint and the registry, then act on ``decide``.

    ``requested``: the version a promotion state machine asks for, in place of the registry's
    latest approved (still checked to be approved before anything is created).

    Raises:
        EndpointFailedError: The endpoint is ``Failed``.
        EndpointUnavailableError: It is ``Deleting``, ``OutOfService`` or
            ``UpdateRollbackFailed``.
        model_registry.PackageNotDeployableError: The latest approved version cannot deploy.
        endpoint_spec.IncompatibleUpdateError: The configured variant cannot replace the live
            one by an update.
        botocore.exceptions.ClientError: SageMaker refused a call (AccessDenied,
            ResourceLimitExceeded, ValidationException, throttling after retries). The
            endpoint keeps its current configuration: a new one is only ever added.
    """
    live = read_live_endpoint(sagemaker, settings.endpoint_name, settings.variant_name)
    target = None
    if live is None or live.status not in TRANSITIONAL_STATUSES | UNAVAILABLE_STATUSES | {FAILED}:
        target = requested or read_latest_approved(sagemaker, settings.group_name)
    step = decide(live, target)
    base = {
        "endpoint_name": settings.endpoint_name,
        "serving_model_package_arn": live.model_package_arn if live else None,
        "endpoint_status": live.status if live else None,
        "model_package_arn": target.arn if target else None,
        "model_package_version": target.version if target else None,
    }
    if step is Step.DEFER:
        assert live is not None
        return Outcome(
            DEFERRED,
            f"endpoint is {live.status}: reconciling when it is back InService",
            endpoint_config=live.config_name,
            **base,
        )
    if step is Step.FAIL:
        assert live is not None
        raise EndpointFailedError(
            f"endpoint {live.name} is Failed ({live.failure_reason or 'no reason given'}): "
            "delete it, then redeliver this event from the DLQ to recreate it"
        )
    if step is Step.UNAVAILABLE:
        assert live is not None
        raise EndpointUnavailableError(
            f"endpoint {live.name} is {live.status}: it needs an operator before it can be "
            "reconciled"
        )
    if step is Step.NO_APPROVED_VERSION:
        return Outcome(
            NO_APPROVED_VERSION,
            f"no version of {settings.group_name} is approved: endpoint left as it is",
            endpoint_config=live.config_name if live else None,
            **base,
        )
    assert target is not None
    if step is Step.NOOP:
        assert live is not None
        if live.last_rollout_arn != live.model_package_arn:
            _record_rollout(sagemaker, live.arn, target.arn)
        return Outcome(
            NOOP,
            f"endpoint already serves version {target.version}",
            endpoint_config=live.config_name,
            **base,
        )
    if step is Step.HOLD:
        assert live is not None
        return Outcome(
            HELD,
            f"a rollout of version {target.version} was made and the endpoint is back in "
            "service without it (auto-rollback or failure): not retried; approve a newer "
            "version or reject this one",
            endpoint_config=live.config_name,
            **base,
        )
    if step is Step.UPDATE:
        assert live is not None
        check_update_compatible(settings, live.variant_name, live.instance_type)
    package = _deployable(sagemaker, settings, target)
    config_name = _create_model_and_config(sagemaker, settings, package)
    if step is Step.CREATE:
        return _create_endpoint(sagemaker, settings, package, config_name, base)
    assert live is not None
    return _update_endpoint(sagemaker, settings, live, package, config_name, base)


def _deployable(sagemaker: Any, settings: Settings, target: PackageVersion) -> DeployablePackage:
    compute = settings.compute
    instance_type = compute.instance_type if isinstance(compute, InstanceCompute) else None
    description = sagemaker.describe_model_package(ModelPackageName=target.arn)
    return deployable_package(description, instance_type=instance_type)


def _create_model_and_config(sagemaker: Any, settings: Settings, package: DeployablePackage) -> str:
    """Create the package's model and endpoint configuration; return the configuration name."""
    name = versioned_name(settings.endpoint_name, package.version, new_suffix())
    sagemaker.create_model(**model_request(settings, package.arn, name))
    sagemaker.create_endpoint_config(**endpoint_config_request(settings, package.arn, name, name))
    return name


def _create_endpoint(
    sagemaker: Any,
    settings: Settings,
    package: DeployablePackage,
    config_name: str,
    base: dict[str, Any],
) -> Outcome:
    try:
        sagemaker.create_endpoint(**create_endpoint_request(settings, config_name, package.arn))
    except ClientError:
        # Another invocation may have created it since it was read: then its IN_SERVICE event
        # reconciles again. Otherwise the refusal stands and is raised.
        if read_live_endpoint(sagemaker, settings.endpoint_name, settings.variant_name):
            return Outcome(
                DEFERRED,
                "endpoint was created concurrently: reconciling when it is InService",
                endpoint_config=config_name,
                **base,
            )
        raise
    return Outcome(
        CREATED,
        f"endpoint created for version {package.version}",
        endpoint_config=config_name,
        **base,
    )


def _update_endpoint(
    sagemaker: Any,
    settings: Settings,
    live: LiveEndpoint,
    package: DeployablePackage,
    config_name: str,
    base: dict[str, Any],
) -> Outcome:
    try:
        sagemaker.update_endpoint(
            **update_endpoint_request(settings, config_name, live.instance_count)
        )
    except ClientError:
        now = read_live_endpoint(sagemaker, settings.endpoint_name, settings.variant_name)
        if now is not None and now.status in TRANSITIONAL_STATUSES:
            return Outcome(
                DEFERRED,
                f"endpoint became {now.status} concurrently: reconciling when it is InService",
                endpoint_config=config_name,
                **base,
            )
        raise
    # Recorded after the update was accepted, never before: a refused update is not a rollout.
    _record_rollout(sagemaker, live.arn, package.arn)
    mode, why = effective_mode(
        settings.rollout, serverless=settings.serverless, instances=live.instance_count
    )
    return Outcome(
        UPDATED,
        f"blue/green update from {live.model_package_arn or 'an unknown version'} to version "
        f"{package.version} started ({mode}{': ' + why if why else ''})",
        endpoint_config=config_name,
        **base,
    )


def _record_rollout(sagemaker: Any, endpoint_arn: str, package_arn: str) -> None:
    sagemaker.add_tags(
        ResourceArn=endpoint_arn, Tags=[{"Key": LAST_ROLLOUT_TAG, "Value": package_arn}]
    )
