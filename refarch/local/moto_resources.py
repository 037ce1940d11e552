"""The resource (and action) each request is authorized against, where moto 5.2.5 says ``*``.

moto authorizes every request of Kinesis, KMS, Lambda and Glue against resource ``*``, so a
statement scoped to a stream, key, function or table (what every ``grant_*`` produces) never
matches and the caller is denied. ``moto_patches`` installs these as the services'
``_determine_resource`` (or authorization hook); each returns the ARN AWS authorizes against:

- Kinesis: the stream's ARN (``StreamARN``, ``StreamName``, or the stream a shard iterator
  belongs to); the consumer's ARN for consumer-level actions.
- KMS: the key's ARN (``KeyId`` given as id, ARN, alias name or alias ARN).
- Lambda: the function's ARN (with its qualifier); ``Invoke`` is authorized as IAM's
  ``lambda:InvokeFunction``, the name policies use.
- Glue: a table action needs the catalog, the database and the table; a database action the
  catalog and the database (each is checked, as AWS does).

Kinesis server-side encryption: a producer writing to a stream encrypted with a customer managed
key needs ``kms:GenerateDataKey`` on it, a consumer reading needs ``kms:Decrypt`` (Kinesis
developer guide, "Permissions to use user-generated KMS keys"); Kinesis answers
``KMSAccessDeniedException`` otherwise. moto checks neither; ``kinesis_kms_check`` does, with the
caller's own identity, so a producer or Firehose role without them fails as in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlparse

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.core.responses import BaseResponse
from moto.iam.access_control import IAMRequest
from moto.kinesis.models import kinesis_backends
from moto.kinesis.responses import KinesisResponse
from moto.kinesis.utils import decompose_shard_iterator
from moto.kms.models import kms_backends
from moto.kms.utils import KEY_ID_LEN
from moto.utilities.utils import get_partition

#: moto's Lambda operation names -> the IAM action names policies use.
LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeAsync"}
#: The AWS managed key of Kinesis needs no grant of the caller.
KINESIS_AWS_MANAGED_KEY = "alias/aws/kinesis"


def _arn(response: BaseResponse, service: str, rest: str) -> str:
    region, account = response.region, response.current_account
    return f"arn:{get_partition(region)}:{service}:{region}:{account}:{rest}"


def kinesis_resource(self: KinesisResponse) -> str:
    """The stream (or consumer) a Kinesis request acts on."""
    consumer = self._get_param("ConsumerARN")
    if consumer:
        return str(consumer)
    stream_arn = self._get_param("StreamARN")
    if stream_arn:
        return str(stream_arn)
    name = self._get_param("StreamName")
    if not name and self._get_param("ShardIterator"):
        name = decompose_shard_iterator(self._get_param("ShardIterator"))[0]
    return _arn(self, "kinesis", f"stream/{name}") if name else "*"


def kms_key_arn(account: str, region: str, key_id: str) -> str | None:
    """Return the ARN of a key given by any of its ids, or None if it does not exist."""
    backend = kms_backends[account][region]
    try:
        return str(backend.describe_key(key_id).arn)
    except Exception:  # an unknown key or alias: the action itself reports NotFound
        return None


def kms_resource(self: BaseResponse) -> str:
    """The key a KMS request acts on (for ``Decrypt`` without ``KeyId``, the ciphertext's)."""
    key_id = self._get_param("KeyId") or self._get_param("TargetKeyId")
    blob = self._get_param("CiphertextBlob")
    if not key_id and isinstance(blob, bytes) and len(blob) >= KEY_ID_LEN:
        key_id = blob[:KEY_ID_LEN].decode("ascii", "replace")
    if not key_id:
        return "*"
    return kms_key_arn(self.current_account, self.region, str(key_id)) or "*"


def lambda_resource(self: BaseResponse) -> str:
    """The function a Lambda request acts on (``…:function:NAME[:QUALIFIER]``)."""
    parts = urlparse(self.uri).path.split("/")
    if len(parts) < 4 or parts[2] != "functions" or not parts[3]:
        return "*"
    name = unquote(parts[3])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    arn = name if name.startswith("arn:") else _arn(self, "lambda", f"function:{name}")
    return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn


class LambdaIAMRequest(IAMRequest):
    """A Lambda request, named with the IAM action (``Invoke`` is ``lambda:InvokeFunction``)."""

    def __init__(self, *, action: str, **kwargs: Any) -> None:
        super().__init__(action=LAMBDA_ACTIONS.get(action, action), **kwargs)


class LambdaAccessDeniedException(JsonRESTError):
    """A denial in Lambda's own error format (its API is REST-JSON, not XML)."""

    code = 403

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def authorize_lambda(self: BaseResponse, resource: str = "*") -> None:
    """Lambda's authorization hook: IAM action names, denials as ``AccessDeniedException``."""
    try:
        self._authenticate_and_authorize_action(LambdaIAMRequest, resource)
    except AccessDeniedError as exc:
        raise LambdaAccessDeniedException(exc.message) from exc


def _glue_resources(self: BaseResponse) -> list[str]:
    params = json.loads(self.body) if self.body else {}
    database = params.get("DatabaseName")
    table = params.get("TableName") or (params.get("Name") if database else None)
    if "TableInput" in params:
        table = params["TableInput"].get("Name")
    if not database and "DatabaseInput" in params:
        database = params["DatabaseInput"].get("Name")
    elif not database and params.get("Name"):
        database = params["Name"]
    if not database:
        return ["*"]
    resources = [_arn(self, "glue", "catalog"), _arn(self, "glue", f"database/{database}")]
    if table:
        resources.append(_arn(self, "glue", f"table/{database}/{table}"))
    return resources


def authorize_glue(self: BaseResponse, resource: str = "*") -> None:
    """Glue's authorization hook: every resource of the request must be allowed."""
    for each in _glue_resources(self):
        self._authenticate_and_authorize_action(IAMRequest, each)


def _enforcing() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def authorize_caller(self: BaseResponse, action: str, resource: str) -> None:
    """Check that the signer of this request may also perform ``action`` on ``resource``.

    What a service does when it acts on the caller's behalf (Kinesis calling KMS with the
    caller's permissions). A denial is recorded like any other (see ``moto_patches``).
    """
    if not _enforcing():
        return
    parsed = urlparse(self.uri)
    path = self.raw_path + (f"?{parsed.query}" if parsed.query else "")
    request = IAMRequest(
        account_id=self.current_account,
        method=self.method,
        path=path,
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action=action.split(":", 1)[1],
    )
    request._action = action
    request.check_action_permitted(resource)


class KMSAccessDeniedException(JsonRESTError):
    """What Kinesis answers when the caller may not use the stream's key."""

    def __init__(self, message: str) -> None:
        super().__init__("KMSAccessDeniedException", message)


def kinesis_kms_check(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a Kinesis record operation: the caller needs ``action`` on the stream's KMS key."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def operation(self: KinesisResponse) -> Any:
            resource = kinesis_resource(self)
            backend = kinesis_backends[self.current_account][self.region]
            stream = next((s for s in backend.streams.values() if s.arn == resource), None)
            if stream is not None and stream.encryption_type == "KMS" and stream.key_id:
                key_id = str(stream.key_id)
                aws_managed = key_id.removeprefix(_arn(self, "kms", "")) == KINESIS_AWS_MANAGED_KEY
                key_arn = kms_key_arn(self.current_account, self.region, key_id)
                if not aws_managed:
                    try:
                        authorize_caller(self, action, key_arn or key_id)
                    except AccessDeniedError as exc:
                        raise KMSAccessDeniedException(
                            f"{exc} (the stream {stream.stream_name} is encrypted with "
                            f"{key_arn or key_id})"
                        ) from exc
            return original(self)

        return operation

    return wrap
