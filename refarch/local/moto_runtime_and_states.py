"""SageMaker Runtime, Step Functions and SNS requests in the emulator, where moto 5.2.5 differs.

1. ``InvokeEndpoint`` (``sagemaker-runtime``): moto authorizes it on ``*`` and answers canned
   results, not the model. Here it is authorized as ``sagemaker:InvokeEndpoint`` on the endpoint
   (Service Authorization Reference: resource type ``endpoint``,
   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html)
   and answered by the endpoint's live fleet (``SageMakerService.invoke``, the model's own
   handlers): an endpoint that does not exist or is not in service is a ``ValidationError``
   (400), a request the model's handlers raise on a ``ModelError`` (424: the container answered
   500), as the API reference lists them
   (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
2. ``StartExecution``, ``DescribeExecution`` ... (``states``): moto authorizes them on ``*``;
   here on the state machine or execution the request names. Denials of both are JSON
   ``AccessDeniedException``, as AWS answers them.
3. SNS: requests are authorized on the topic they name, not ``*``; a publish to a topic
   encrypted with a KMS key also needs the key, as the publisher (``sns_publish_kms_check``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import unquote

from botocore.exceptions import ClientError
from moto.core.responses import TYPE_RESPONSE, BaseResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.sources.sagemaker import SageMakerService


def runtime_endpoint(self: BaseResponse) -> str:
    """The endpoint an ``InvokeEndpoint`` names (``/endpoints/<name>/invocations``), as an ARN.

    SageMaker spells names in lowercase in ARNs.
    """
    parts = self.path.split("/")
    if len(parts) < 3 or parts[1] != "endpoints":
        return "*"
    name = unquote(parts[2]).lower()
    return f"arn:aws:sagemaker:{self.region}:{self.current_account}:endpoint/{name}"


def _error(status: int, code: str, message: str) -> TYPE_RESPONSE:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"__type": code, "message": message})


def _answered_by(account: LocalAccount, sagemaker: SageMakerService) -> Any:
    """Return ``InvokeEndpoint`` answered by the emulator's SageMaker fleets."""

    def invoke_endpoint(self: BaseResponse) -> TYPE_RESPONSE:
        return _invoke_endpoint(self, account, sagemaker)

    return invoke_endpoint


@contextmanager
def endpoint_invocations_routed_to(
    account: LocalAccount, sagemaker: SageMakerService
) -> Iterator[None]:
    """Inside the block, ``InvokeEndpoint`` (after moto's IAM check) runs on ``sagemaker``.

    Entered by the emulator once its SageMaker service exists, so this module never looks one up
    (as ``moto_patches.lambda_invoke_routed_to`` does for Lambda).
    """
    with mock.patch.object(
        SageMakerRuntimeResponse, "invoke_endpoint", _answered_by(account, sagemaker)
    ):
        yield


def _invoke_endpoint(
    self: BaseResponse, account: LocalAccount, sagemaker: SageMakerService
) -> TYPE_RESPONSE:
    """Answer with the endpoint's model (authorization has run before this)."""
    name = unquote(self.path.split("/")[2])
    try:
        status = account.client("sagemaker").describe_endpoint(EndpointName=name)["EndpointStatus"]
    except ClientError:
        return _error(400, "ValidationError", f"Endpoint {name} of account not found.")
    if status not in ("InService", "Updating"):
        return _error(400, "ValidationError", f"Endpoint {name} is {status}: not in service")
    raw = self.body or ""
    body = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
    content_type = self.headers.get("Content-Type", "text/csv")
    try:
        prediction = sagemaker.invoke(name, body, content_type, self.headers.get("Accept"))
    except ValueError as exc:
        return _error(
            424,
            "ModelError",
            f"Received server error (500) from primary with message {str(exc)[:200]!r}",
        )
    headers: dict[str, Any] = {
        "Content-Type": prediction.content_type,
        "x-Amzn-Invoked-Production-Variant": prediction.variant,
    }
    return 200, headers, prediction.body


def states_resource(self: BaseResponse) -> str:
    """The state machine or execution a Step Functions request names, else ``*``."""
    params = json.loads(self.body) if self.body else {}
    for key in ("stateMachineArn", "executionArn"):
        if isinstance(params.get(key), str):
            return params[key]
    return "*"


def sns_resource(self: BaseResponse) -> str:
    """The topic an SNS request names (``TopicArn``, or ``TargetArn`` of a publish), else ``*``.

    moto authorizes SNS requests on ``*``; AWS on the topic (Service Authorization Reference,
    resource type ``topic``:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html).
    """
    for key in ("TopicArn", "TargetArn"):
        value = self._get_param(key)
        if isinstance(value, str) and value:
            return value
    return "*"


def sns_publish_kms_check(original: Callable[..., Any]) -> Callable[..., Any]:
    """Publishing to an encrypted topic needs the topic key, as the publisher.

    "The publisher must have the kms:GenerateDataKey* and kms:Decrypt permissions for the AWS
    KMS key" (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); moto checks
    neither.
    """

    def publish(self: BaseResponse) -> Any:
        from moto.sns.models import sns_backends

        from refarch.local.moto_resources import authorize_caller, kms_key_arn

        topic_arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        topic = sns_backends[self.current_account][self.region].topics.get(topic_arn)
        key_id = topic.kms_master_key_id if topic is not None else None
        if key_id:
            key = kms_key_arn(self.current_account, self.region, key_id) or key_id
            authorize_caller(self, "kms:GenerateDataKey", key)
            authorize_caller(self, "kms:Decrypt", key)
        return original(self)

    return publish
