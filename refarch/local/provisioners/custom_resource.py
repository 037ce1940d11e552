"""Custom resources backed by a Lambda function, run through the CloudFormation protocol.

CloudFormation invokes the ``ServiceToken`` function asynchronously with a ``Create`` request
and waits for the function to PUT its response to a pre-signed ``ResponseURL``. The runner does
the same: the handler (e.g. aws-cdk-lib's ``BucketNotificationsHandler``, inline Python) runs in
the emulator's Lambda service under its own role, so its ``s3:PutBucketNotification`` call is
authorized like in AWS, and the response is captured in-process instead of going to S3.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock
from urllib import request as urllib_request

import urllib3

from refarch.local.errors import DeployError, NetworkBlockedError
from refarch.local.provisioners.registry import (
    CUSTOM_RESOURCE,
    Provisioned,
    ProvisionRequest,
    provisioner,
)


def as_cloudformation_strings(value: Any) -> Any:
    """Return ``value`` with every scalar turned into a string, as CloudFormation sends them.

    Handlers rely on it: CDK's notification handler calls ``props["Managed"].lower()``.
    """
    if isinstance(value, dict):
        return {key: as_cloudformation_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Response:
    """The minimal HTTP response the handlers read after their PUT."""

    status = 200
    reason = "OK"

    def read(self) -> bytes:
        return b""

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@contextmanager
def capture_responses(response_url: str) -> Iterator[list[dict[str, Any]]]:
    """Catch the PUT to ``response_url`` (via urllib or urllib3); refuse any other URL."""
    responses: list[dict[str, Any]] = []

    def record(url: str, body: Any) -> _Response:
        if url != response_url:
            raise NetworkBlockedError(f"the local runner never reaches the network ({url})")
        responses.append(json.loads(body.decode() if isinstance(body, bytes) else body))
        return _Response()

    def urlopen(url: Any, data: Any = None, *args: Any, **kwargs: Any) -> _Response:
        if isinstance(url, urllib_request.Request):
            return record(url.full_url, url.data)
        return record(url, data)

    def pool_request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> _Response:
        return record(url, kwargs.get("body", args[0] if args else b""))

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(urllib_request, "urlopen", urlopen))
        stack.enter_context(mock.patch.object(urllib3.PoolManager, "request", pool_request))
        yield responses


@provisioner(CUSTOM_RESOURCE)
def custom_resource(request: ProvisionRequest) -> Provisioned:
    """Send the ``Create`` request to the handler and use its response.

    Raises:
        DeployError: The token is not a Lambda function, the handler answered ``FAILED``, or it
            never answered (CloudFormation would wait an hour, then fail the stack).
    """
    token = request.properties.get("ServiceToken", "")
    if ":lambda:" not in token:
        raise DeployError(
            f"{request.logical_id}: only Lambda-backed custom resources are supported ({token})"
        )
    emu = request.emulator
    response_url = (
        f"https://cloudformation-custom-resource-response-{emu.region.replace('-', '')}"
        f".s3.amazonaws.com/{uuid.uuid4()}"
    )
    event = {
        "RequestType": "Create",
        "ServiceToken": token,
        "ResponseURL": response_url,
        "StackId": request.stack.stack_id,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": request.logical_id,
        "ResourceType": request.resource_type,
        "ResourceProperties": as_cloudformation_strings(request.properties),
    }
    emu.trace.line(f"CloudFormation sends Create for {request.logical_id} to its handler", 2)
    with capture_responses(response_url) as responses:
        outcome = emu.lambda_service.invoke_async(
            token, event, source=f"CloudFormation ({request.logical_id})"
        )
    if not responses:
        last = outcome.attempts[-1] if outcome.attempts else None
        detail = f"it failed: {last.error}" if last and last.error else "it returned without one"
        raise DeployError(f"{request.logical_id}: the custom resource sent no response ({detail})")
    response = responses[-1]
    if response.get("Status") != "SUCCESS":
        raise DeployError(f"{request.logical_id}: custom resource FAILED: {response.get('Reason')}")
    physical_id = response.get("PhysicalResourceId") or request.logical_id
    return Provisioned(
        physical_id=physical_id,
        attributes=response.get("Data") or {},
        note=f"custom resource answered SUCCESS (physical id {physical_id})",
    )
