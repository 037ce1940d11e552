"""Deploy the latest approved model package of one group to a SageMaker endpoint.

Flow: a reviewer approves (or rejects) a version in the Model Registry -> EventBridge delivers
the ``SageMaker Model Package State Change`` event (the stack's rule matches the group and
``Approved``/``Rejected``) -> this function reconciles the endpoint to the group's latest approved
version read from the registry, never to the package the event names (``reconcile``). When the
endpoint returns to ``InService`` (``SageMaker Endpoint State Change``), this function registers
its autoscaling and reconciles again, which completes a reconcile deferred while the endpoint
was busy.

Each invocation ends in one logged outcome, counted as a metric: ``created``
(``EndpointCreated``), ``updated`` (``EndpointUpdated``), ``noop`` (``ReconcileNoop``),
``deferred`` (``ReconcileDeferred``), ``held`` (``RolloutHeld``), ``ignored`` (``EventsIgnored``:
another group or endpoint, a pending registration, another event type) and
``no_approved_version`` (``NoApprovedVersion``: the endpoint is left serving, the stack alarms).
Everything else raises, after counting ``DeployFailed`` (or ``EventsMalformed``): SageMaker
refusals (AccessDenied, ResourceLimitExceeded, ValidationException), a package that cannot
deploy, a ``Failed`` endpoint, a configuration error. The function is invoked asynchronously, so
Lambda retries twice and then the DLQ keeps the event; a retry is safe, since a reconcile is
idempotent and never removes the configuration the endpoint runs.

Environment: see ``deployer_settings``; plus ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError
from deploy_request import DeployRequest, is_deploy_request, parse_deploy_request
from deployer_settings import Settings
from endpoint_state import IN_SERVICE, is_not_found
from reconcile import (
    CREATED,
    DEFERRED,
    HELD,
    IGNORED,
    NO_APPROVED_VERSION,
    NOOP,
    UPDATED,
    Outcome,
    reconcile,
)
from sagemaker_event import (
    ENDPOINT_STATE_CHANGE,
    MODEL_PACKAGE_STATE_CHANGE,
    EndpointStateChange,
    MalformedEventError,
    ModelPackageStateChange,
    OtherEvent,
    parse_event,
)
from variant_autoscaling import ensure_autoscaling

logger = Logger()
metrics = Metrics()

_METRIC_NAMES = {
    CREATED: "EndpointCreated",
    UPDATED: "EndpointUpdated",
    NOOP: "ReconcileNoop",
    DEFERRED: "ReconcileDeferred",
    HELD: "RolloutHeld",
    IGNORED: "EventsIgnored",
    NO_APPROVED_VERSION: "NoApprovedVersion",
}
#: Outcomes an operator must look at: logged as errors (the stack alarms on their metrics).
_ERROR_OUTCOMES = frozenset({NO_APPROVED_VERSION, HELD})
#: A registration awaiting review changes no approved version: nothing to reconcile.
_PENDING = "PendingManualApproval"

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})
"""Standard retry mode backs off on throttling and 5xx before an error reaches the handler."""


@functools.cache
def sagemaker_client() -> Any:
    """Return the SageMaker client, created on first use so tests can set region and credentials."""
    return boto3.client("sagemaker", config=_RETRIES)


@functools.cache
def autoscaling_client() -> Any:
    """Return the Application Auto Scaling client, created on first use."""
    return boto3.client("application-autoscaling", config=_RETRIES)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Handle one EventBridge event and return the invocation's outcome (also logged).

    Returns:
        The outcome: ``action``, ``reason``, ``endpoint_name``, and where they apply
        ``model_package_arn``/``model_package_version`` (the latest approved),
        ``endpoint_config``, ``serving_model_package_arn``, ``endpoint_status``, ``autoscaling``
        and ``trigger`` (the event's detail-type).

    Raises:
        MalformedEventError: Not an EventBridge event, or a SageMaker event without its fields.
        deployer_settings.SettingsError: The environment is not a valid configuration.
        reconcile.EndpointFailedError: The endpoint is ``Failed`` (not retried into a loop: the
            event ends in the DLQ).
        model_registry.PackageNotDeployableError: The latest approved version cannot deploy.
        botocore.exceptions.ClientError: SageMaker or Application Auto Scaling refused a call.
    """
    try:
        trigger = parse_deploy_request(event) if is_deploy_request(event) else parse_event(event)
    except (MalformedEventError, ValueError) as exc:
        metrics.add_metric(name="EventsMalformed", unit=MetricUnit.Count, value=1)
        logger.error("malformed event", extra={"reason": str(exc)})
        raise
    try:
        settings = Settings.from_env()
        outcome = handle(trigger, settings)
    except Exception as exc:
        metrics.add_metric(name="DeployFailed", unit=MetricUnit.Count, value=1)
        details = {"trigger": _trigger_name(trigger), "error_type": type(exc).__name__}
        if isinstance(exc, ClientError):
            details["error_code"] = exc.response.get("Error", {}).get("Code")
        logger.exception("deploy failed", extra=details)
        raise
    return _finish(outcome, trigger)


Trigger = ModelPackageStateChange | EndpointStateChange | OtherEvent | DeployRequest


def handle(trigger: Trigger, settings: Settings) -> Outcome:
    """Route a parsed event: reconcile for this group's packages and this endpoint's service.

    With ``DEPLOY_TARGET=requested`` only a state machine's request deploys; registry events
    are ignored and a return to service only registers autoscaling.
    """
    requested_only = settings.deploy_target == "requested"
    if isinstance(trigger, DeployRequest):
        if not requested_only:
            return _ignored(settings, "this deployer follows the registry, not requests")
        if trigger.group_name != settings.group_name:
            raise DeployRequestRefusedError(
                f"model package group {trigger.group_name!r} is not {settings.group_name!r}"
            )
        return reconcile(settings, sagemaker_client(), requested=trigger.target)
    if isinstance(trigger, OtherEvent):
        return _ignored(settings, f"not a model package or endpoint event: {trigger.detail_type!r}")
    if isinstance(trigger, ModelPackageStateChange):
        if trigger.group_name != settings.group_name:
            # The stack's rule already matches the group; checked again so that a broader rule
            # (or a replayed event) can never deploy another team's model.
            return _ignored(settings, f"model package group {trigger.group_name!r} is not ours")
        if requested_only:
            return _ignored(settings, "this deployer deploys only requested versions")
        if trigger.approval_status == _PENDING:
            return _ignored(settings, "a version awaiting approval changes no approved version")
        # Approved, Rejected, or a status the event does not carry: the registry decides.
        return reconcile(settings, sagemaker_client())
    if trigger.endpoint_name != settings.endpoint_name:
        return _ignored(settings, f"endpoint {trigger.endpoint_name!r} is not ours")
    if trigger.status != IN_SERVICE:
        # Failures reach the alarm topic through the stack's own rule; only a return to
        # service has something for the deployer to do.
        return _ignored(settings, f"endpoint status {trigger.event_status} needs nothing")
    autoscaling = _ensure_autoscaling(settings)
    if requested_only:
        # The state machine that requested the deployment waits for it and asks again.
        return Outcome(
            IGNORED,
            "back in service",
            endpoint_name=settings.endpoint_name,
            autoscaling=autoscaling,
        )
    outcome = reconcile(settings, sagemaker_client())
    return dataclasses.replace(outcome, autoscaling=autoscaling)


def _ensure_autoscaling(settings: Settings) -> str:
    """Register the variant's target tracking once the endpoint is in service.

    Skipped for a serverless variant: it scales itself, on demand, and Application Auto Scaling
    only applies to a serverless endpoint's provisioned concurrency, which is not configured
    here (serverless guide, "Automatically scale Provisioned Concurrency").
    """
    if settings.serverless:
        return "skipped_serverless"
    if settings.autoscaling is None:
        return "disabled"
    try:
        endpoint = sagemaker_client().describe_endpoint(EndpointName=settings.endpoint_name)
    except ClientError as exc:
        if is_not_found(exc):
            return "skipped_no_endpoint"  # deleted since the event: the reconcile recreates it
        raise
    status = endpoint["EndpointStatus"]
    if status != IN_SERVICE:
        return f"deferred_{status}"  # a stale event: the next IN_SERVICE one registers it
    return ensure_autoscaling(
        autoscaling_client(), settings.endpoint_name, settings.variant_name, settings.autoscaling
    )


class DeployRequestRefusedError(ValueError):
    """A request for another group's version: never deployed."""


def _ignored(settings: Settings, reason: str) -> Outcome:
    return Outcome(IGNORED, reason, endpoint_name=settings.endpoint_name)


def _trigger_name(trigger: Trigger) -> str:
    """The detail-type of the event that triggered the invocation, for the logs."""
    if isinstance(trigger, DeployRequest):
        return "deploy request"
    if isinstance(trigger, ModelPackageStateChange):
        return MODEL_PACKAGE_STATE_CHANGE
    if isinstance(trigger, EndpointStateChange):
        return ENDPOINT_STATE_CHANGE
    return trigger.detail_type


def _finish(outcome: Outcome, trigger: Trigger) -> dict[str, Any]:
    """Log the outcome, count it, and return it as the invocation's answer."""
    result = {**outcome.as_dict(), "trigger": _trigger_name(trigger)}
    if outcome.action in _ERROR_OUTCOMES:
        logger.error(outcome.action, extra=result)
    else:
        logger.info(outcome.action, extra=result)
    metrics.add_metric(name=_METRIC_NAMES[outcome.action], unit=MetricUnit.Count, value=1)
    if outcome.autoscaling == "registered":
        metrics.add_metric(name="AutoscalingRegistered", unit=MetricUnit.Count, value=1)
    return result
