"""The two SageMaker events the deployer reacts to, parsed from their EventBridge envelope.

Shapes as the SageMaker developer guide documents them ("Events that Amazon SageMaker AI sends
to Amazon EventBridge",
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
The same page warns that SageMaker "may send multiple events to EventBridge for each state
change", which is one more reason the deployer trusts the registry, not the event:

- ``SageMaker Model Package State Change``: ``detail`` has ``ModelPackageGroupName``,
  ``ModelPackageVersion``, ``ModelPackageArn``, ``ModelApprovalStatus`` and the rest of the
  package's description.
- ``SageMaker Endpoint State Change``: ``detail`` has ``EndpointName``, ``EndpointConfigName`` and
  ``EndpointStatus``, written ``IN_SERVICE`` (upper snake case, where the API says ``InService``).

Anything else from EventBridge is an ``OtherEvent`` (ignored by the handler). An event that is
not an EventBridge event, or one of the two types without the fields that identify it, raises
``MalformedEventError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

SOURCE = "aws.sagemaker"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"

ENDPOINT_STATUSES = (
    "OutOfService",
    "Creating",
    "Updating",
    "SystemUpdating",
    "RollingBack",
    "InService",
    "Deleting",
    "Failed",
    "UpdateRollbackFailed",
)
"""The API's ``EndpointStatus`` values; events spell them ``IN_SERVICE``, ``ROLLING_BACK``, ..."""

_STATUS_BY_KEY = {status.lower(): status for status in ENDPOINT_STATUSES}


class MalformedEventError(ValueError):
    """The event is not the EventBridge event it claims to be."""


@dataclass(frozen=True)
class ModelPackageStateChange:
    """A model package of some group changed: registered, approved, rejected, ...

    Only the group and the status are used: the package to deploy is read from the registry.
    """

    group_name: str
    package_arn: str | None
    version: int | None
    approval_status: str | None


@dataclass(frozen=True)
class EndpointStateChange:
    """An endpoint's status changed; ``status`` is in the API's spelling (``InService``)."""

    endpoint_name: str
    status: str
    event_status: str


@dataclass(frozen=True)
class OtherEvent:
    """An event of another type or source: nothing to do."""

    detail_type: str
    source: str


def endpoint_status(event_status: str) -> str:
    """Return an event's endpoint status in the API's spelling (unknown values unchanged).

    Example:
        >>> endpoint_status("IN_SERVICE"), endpoint_status("ROLLING_BACK")
        ('InService', 'RollingBack')
    """
    return _STATUS_BY_KEY.get(event_status.replace("_", "").lower(), event_status)


def parse_event(event: Any) -> ModelPackageStateChange | EndpointStateChange | OtherEvent:
    """Parse an EventBridge event delivered to the function.

    Raises:
        MalformedEventError: Not an EventBridge event (no ``detail-type`` or ``source``), or a
            model package / endpoint event without its ``detail`` or identifying fields.
    """
    if not isinstance(event, dict):
        raise MalformedEventError(
            f"expected an EventBridge event object, got {type(event).__name__}"
        )
    if not isinstance(event.get("detail-type"), str) or not isinstance(event.get("source"), str):
        raise MalformedEventError("not an EventBridge event: no detail-type or source")
    envelope = EventBridgeEvent(event)
    if envelope.source != SOURCE or envelope.detail_type not in (
        MODEL_PACKAGE_STATE_CHANGE,
        ENDPOINT_STATE_CHANGE,
    ):
        return OtherEvent(detail_type=envelope.detail_type, source=envelope.source)
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise MalformedEventError(f"{envelope.detail_type} event without a detail object")
    if envelope.detail_type == MODEL_PACKAGE_STATE_CHANGE:
        group = detail.get("ModelPackageGroupName")
        if not isinstance(group, str) or not group:
            raise MalformedEventError("model package event without ModelPackageGroupName")
        version = detail.get("ModelPackageVersion")
        status = detail.get("ModelApprovalStatus")
        arn = detail.get("ModelPackageArn")
        return ModelPackageStateChange(
            group_name=group,
            package_arn=arn if isinstance(arn, str) else None,
            version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            approval_status=status if isinstance(status, str) else None,
        )
    name, status = detail.get("EndpointName"), detail.get("EndpointStatus")
    if not isinstance(name, str) or not name or not isinstance(status, str) or not status:
        raise MalformedEventError("endpoint event without EndpointName or EndpointStatus")
    return EndpointStateChange(
        endpoint_name=name, status=endpoint_status(status), event_status=status
    )
