"""The resource (and action) each request is authorized against, where moto 5.2.5 says ``*``.

moto authorizes every request of Kinesis, KMS, Lambda and Glue against resource ``*``, so a
statement scoped to a stream, key, function or table (what every ``grant_*`` produces) never
matches and the caller is denied. ``moto_patches`` installs these as the services'
``_determine_resource`` (or authorization hook); each returns the ARN AWS authorizes against,
built from the Service Authorization Reference's resource types and ARN templates for the
request's action (``reference_arn``). What each resolver holds by hand is only which request
parameter fills which template variable (``StreamName`` <- ``StreamName``, ``LogGroupName`` <-
``logGroupName``...), which the reference does not say:

- Kinesis: the stream's ARN (``StreamARN``, ``StreamName``, or the stream a shard iterator
  belongs to); the consumer's ARN for consumer-level actions.
- KMS: the key's ARN (``KeyId`` given as id, ARN, alias name or alias ARN).
- Lambda: the function's ARN (with its qualifier); ``Invoke`` is authorized as IAM's
  ``lambda:InvokeFunction``, the name policies use.
- Glue: a table action needs the catalog, the database and the table; a database action the
  catalog and the database (each is checked, as AWS does).

- ECR: the repository's ARN (``repository/NAME``) for the actions on a repository;
  ``GetAuthorizationToken`` names none and stays ``*``.
- Denials of the JSON APIs (Lambda, ECR, Application Auto Scaling, SageMaker) are answered as
  ``AccessDeniedException`` in JSON; moto answers the Query APIs' XML, which botocore reads as
  error code ``403``.
- Application Auto Scaling: the scalable target's ARN (``scalable-target/<id>``) for the actions
  on a target; the id is generated at registration, so registering a new target is authorized on
  ``scalable-target/*`` (the tightest name a policy can give a target that does not exist yet).
  The Describe actions have no resource-level permissions and stay ``*``.
- SageMaker (on top of ``moto_sagemaker``'s single resource): ``CreateModel`` is also
  authorized on each model package its containers name, and ``CreateEndpoint`` and
  ``UpdateEndpoint`` on the endpoint configuration they are given, as the Service Authorization
  Reference lists both resources for them; every resource must be allowed.

Kinesis server-side encryption: a producer writing to a stream encrypted with a customer managed
key needs ``kms:GenerateDataKey`` on it, a consumer reading needs ``kms:Decrypt`` (Kinesis
developer guide, "Permissions to use user-generated KMS keys"); Kinesis answers
``KMSAccessDeniedException`` otherwise. moto checks neither; ``kinesis_kms_check`` does, with the
caller's own identity, so a producer or Firehose role without them fails as in AWS.

What SageMaker checks with its caller's permissions, which moto does not (``authorize_sagemaker``):

- ``CreateModel`` passes the execution role to SageMaker: the caller needs ``iam:PassRole`` on it,
  with ``iam:PassedToService`` = ``sagemaker.amazonaws.com`` (IAM user guide, "Grant a user
  permissions to pass a role to an AWS service").
- ``CreateEndpoint`` and ``UpdateEndpoint`` with an endpoint configuration that names a KMS key:
  "The KMS key policy must grant permission to the IAM role that you specify in your
  CreateEndpoint, UpdateEndpoint requests" (API reference, ``CreateEndpointConfig`` KmsKeyId):
  SageMaker describes the key and creates a grant on it for the hosting instances' volumes, as
  the caller, so the caller needs ``kms:DescribeKey`` and ``kms:CreateGrant`` (with
  ``kms:GrantIsForAWSResource`` true: the grant is made by an AWS service).

S3 server-side encryption with a customer managed key (``s3_kms_check``): "To upload an object
encrypted with an AWS KMS key, you need kms:GenerateDataKey permissions on the key" and
downloading one needs ``kms:Decrypt`` (S3 user guide, "Using server-side encryption with AWS KMS
keys"); S3 asks KMS as the caller. moto checks neither. The key is the request's
``x-amz-server-side-encryption-aws-kms-key-id``, or the bucket's default encryption key; the AWS
managed ``aws/s3`` key needs no grant of the caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.utilities.utils import get_partition

from refarch.iam_reference import (
    action_exists,
    request_arns,
    required_arns,
    resource_types,
    type_arn,
)

#: moto's Lambda operation names -> the IAM action names policies use.
LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeAsync"}
#: The AWS managed key of Kinesis needs no grant of the caller.
KINESIS_AWS_MANAGED_KEY = "alias/aws/kinesis"
#: Nor does S3's.
S3_AWS_MANAGED_KEY = "alias/aws/s3"
#: SageMaker's service principal: what ``iam:PassedToService`` names when a role is passed to it.
SAGEMAKER_SERVICE = "sagemaker.amazonaws.com"
#: Resource types whose names SageMaker lowercases in ARNs (see ``moto_sagemaker``).
_LOWERCASED_SAGEMAKER_TYPES = ("endpoint", "endpoint-config", "model")

#: Service-specific condition keys of the request being authorized (``cloudwatch:namespace``,
#: ``iam:PassedToService``...): ``moto_patches`` evaluates statements' conditions with them.
SERVICE_CONTEXT: ContextVar[dict[str, str] | None] = ContextVar("service_context", default=None)


@contextmanager
def service_context(keys: Mapping[str, str]) -> Iterator[None]:
    """Evaluate the checks made inside the block with these condition keys (and the usual ones)."""
    token = SERVICE_CONTEXT.set(dict(keys))
    try:
        yield
    finally:
        SERVICE_CONTEXT.reset(token)


def reference_arn(
    response: BaseResponse,
    service: str,
    values: Mapping[str, str],
    *,
    action: str | None = None,
    account: str | None = None,
    every_required: bool = False,
) -> list[str]:
    """The ARN(s) the request is authorized on, from the reference's templates for its action.

    ``values`` fills the template variables the request names (``LogGroupName`` ...): which
    request parameter fills which variable is the only per-service knowledge callers hold.
    ``every_required``: every required resource the request names (Glue), not the one.
    """
    region = response.region
    build = required_arns if every_required else request_arns
    return build(
        f"{service}:{action or response._get_action()}",
        values,
        partition=get_partition(region),
        region=region,
        account=account or response.current_account,
    )


def _arn(response: BaseResponse, service: str, rest: str) -> str:
    region, account = response.region, response.current_account
    return f"arn:{get_partition(region)}:{service}:{region}:{account}:{rest}"


#: CloudWatch actions the Service Authorization Reference authorizes on the alarms they name
#: (resource type ``alarm``: ``arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:
#: ${AlarmName}``, https://docs.aws.amazon.com/service-authorization/latest/reference/
#: list_amazoncloudwatch.html). The others (``PutMetricData``, ``GetMetricData``...) list no
#: resource type: ``*``.
CLOUDWATCH_ALARM_ACTIONS = frozenset(
    {
        "DeleteAlarms",
        "DescribeAlarmHistory",
        "DescribeAlarms",
        "DisableAlarmActions",
        "EnableAlarmActions",
        "PutCompositeAlarm",
        "PutMetricAlarm",
        "SetAlarmState",
    }
)


def cloudwatch_resources(self: BaseResponse) -> list[str]:
    """The ARNs a CloudWatch request is authorized on: one per alarm it names, as AWS checks each.

    ``AlarmNames`` (``DescribeAlarms``, ``DeleteAlarms``...) or ``AlarmName`` (``PutMetricAlarm``,
    ``SetAlarmState``...) become alarm ARNs. ``*`` for an action with no resource type, and for
    an alarm action that names no alarm (``DescribeAlarms`` of every alarm, or Application Auto
    Scaling's permission probes, which "call the PutMetricAlarm API without any parameters":
    https://docs.aws.amazon.com/autoscaling/application/userguide/
    security_iam_permission_validation.html): there is no alarm to name.
    """
    if self._get_action() not in CLOUDWATCH_ALARM_ACTIONS:
        return ["*"]
    names = list(self._get_param("AlarmNames", []) or [])
    single = self._get_param("AlarmName")
    if single:
        names.append(single)
    return [_arn(self, "cloudwatch", f"alarm:{name}") for name in names] or ["*"]


def events_resource(self: BaseResponse) -> str:
    """The event bus a ``PutEvents`` request puts on: ``event-bus/<name>``, ``default`` unnamed.

    The Service Authorization Reference authorizes ``events:PutEvents`` on the ``event-bus``
    resource (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html);
    each entry names its bus (``EventBusName``, a name or an ARN) or goes to the default bus.
    Other EventBridge actions keep moto's ``*``.
    """
    if self._get_action() != "PutEvents":
        return "*"
    entries = json.loads(self.body or "{}").get("Entries") or [{}]
    bus = str(entries[0].get("EventBusName") or "default")
    if bus.startswith("arn:"):
        return bus
    return reference_arn(self, "events", {"EventBusName": bus})[0]


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
    return reference_arn(self, "kinesis", {"StreamName": name} if name else {})[0]


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
    arn = kms_key_arn(self.current_account, self.region, str(key_id))
    if arn is None:
        return "*"
    return reference_arn(self, "kms", {"KeyId": arn.rsplit("/", 1)[1]})[0]


def lambda_resource(self: BaseResponse) -> str:
    """The function a Lambda request acts on (``…:function:NAME[:QUALIFIER]``)."""
    parts = urlparse(self.uri).path.split("/")
    if len(parts) < 4 or parts[2] != "functions" or not parts[3]:
        return "*"
    name = unquote(parts[3])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    if name.startswith("arn:"):
        # A function ARN (possibly qualified) names the function itself.
        return f"{name}:{qualifier}" if qualifier and name.count(":") == 6 else name
    action = self._get_action()
    values = {"FunctionName": name}
    if qualifier:
        # A version or an alias: both templates name it after the function, the same way.
        values |= {"Version": qualifier, "Alias": qualifier}
    return reference_arn(self, "lambda", values, action=LAMBDA_ACTIONS.get(action, action))[0]


class LambdaIAMRequest(IAMRequest):
    """A Lambda request, named with the IAM action (``Invoke`` is ``lambda:InvokeFunction``)."""

    def __init__(self, *, action: str, **kwargs: Any) -> None:
        super().__init__(action=LAMBDA_ACTIONS.get(action, action), **kwargs)


class JsonAccessDeniedException(JsonRESTError):
    """A denial in the error format of a JSON API (Lambda, ECR, SageMaker...), not moto's XML.

    moto answers every denial with the XML of the Query APIs, which botocore cannot read for a
    JSON service: the caller would see error code ``403`` where AWS says
    ``AccessDeniedException``.
    """

    code = 403

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def authorize_lambda(self: BaseResponse, resource: str = "*") -> None:
    """Lambda's authorization hook: IAM action names, denials as ``AccessDeniedException``."""
    try:
        self._authenticate_and_authorize_action(LambdaIAMRequest, resource)
    except AccessDeniedError as exc:
        raise JsonAccessDeniedException(exc.message) from exc


def authorize_json(self: BaseResponse, resource: str = "*") -> None:
    """The authorization hook of a JSON API: denials as ``AccessDeniedException``."""
    try:
        self._authenticate_and_authorize_action(IAMRequest, resource)
    except AccessDeniedError as exc:
        raise JsonAccessDeniedException(exc.message) from exc


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
    values = {"DatabaseName": database, **({"TableName": table} if table else {})}
    return reference_arn(self, "glue", values, every_required=True)


def authorize_glue(self: BaseResponse, resource: str = "*") -> None:
    """Glue's authorization hook: every resource of the request must be allowed."""
    for each in _glue_resources(self):
        self._authenticate_and_authorize_action(IAMRequest, each)


def _enforcing() -> bool:
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


def authorize_caller(
    self: BaseResponse,
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> None:
    """Check that the signer of this request may also perform ``action`` on ``resource``.

    What a service does when it acts on the caller's behalf (Kinesis calling KMS with the
    caller's permissions). ``context`` holds the condition keys the service sends with that
    request (``iam:PassedToService``). A denial is recorded like any other (see
    ``moto_patches``).
    """
    if not _enforcing():
        return
    if context:
        with service_context(context):
            authorize_caller(self, action, resource)
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


def ecr_resource(self: BaseResponse) -> str:
    """The repository an ECR request acts on, or ``*`` (``GetAuthorizationToken``)."""
    name = self._get_param("repositoryName")
    if not name:
        return "*"
    registry = self._get_param("registryId") or self.current_account
    return reference_arn(self, "ecr", {"RepositoryName": name}, account=registry)[0]


def autoscaling_resource(self: BaseResponse) -> str:
    """The scalable target an Application Auto Scaling request acts on.

    Its ARN when it is registered; ``scalable-target/*`` for a target not registered yet (its id
    is generated by the registration).
    """
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    if reference_arn(self, "application-autoscaling", {"ResourceId": "*"}) == ["*"]:
        return "*"  # an action without resource types (the Describe actions)
    backend = applicationautoscaling_backends[self.current_account][self.region]
    namespace = self._get_param("ServiceNamespace")
    resource_id = self._get_param("ResourceId")
    dimension = self._get_param("ScalableDimension")
    for target in backend.targets.get(dimension, {}).values():
        if target.service_namespace == namespace and target.resource_id == resource_id:
            return str(target.arn)
    return reference_arn(self, "application-autoscaling", {"ResourceId": "*"})[0]


def _sagemaker_arn(response: BaseResponse, kind: str, name: str) -> str:
    if kind in _LOWERCASED_SAGEMAKER_TYPES:
        name = name.lower()
    region = response.region
    return type_arn(
        "sagemaker",
        kind,
        name,
        partition=get_partition(region),
        region=region,
        account=response.current_account,
    )


def _sagemaker_extra_resources(self: BaseResponse, action: str) -> list[str]:
    """The resources besides the primary one a SageMaker action is authorized on.

    Every required resource type of the action (Service Authorization Reference) the request
    names: SageMaker's request parameters carry the templates' variable names
    (``EndpointConfigName`` for ``endpoint-config/${EndpointConfigName}``), so ``CreateEndpoint``
    and ``UpdateEndpoint`` are also checked on their endpoint configuration. ``CreateModel`` on
    the model packages its containers name (``iam_reference.ACTION_ALSO_AUTHORIZED_ON``).
    """
    if action == "CreateModel":
        containers = [self._get_param("PrimaryContainer") or {}]
        containers += self._get_param("Containers") or []
        return [str(c["ModelPackageName"]) for c in containers if c.get("ModelPackageName")]
    qualified = f"sagemaker:{action}"
    if not action_exists(qualified):
        return []
    extras = []
    for kind in resource_types(qualified):
        names = [v for v in kind.variables if v not in ("Partition", "Region", "Account")]
        value = self._get_param(names[0]) if kind.required and len(names) == 1 else None
        if isinstance(value, str) and value.startswith("arn:"):
            extras.append(value)  # given by ARN (a model package version)
        elif isinstance(value, str) and value:
            extras.append(_sagemaker_arn(self, kind.name, value))
    return extras


def _endpoint_config_key(self: BaseResponse) -> str | None:
    """The KMS key (ARN) of the endpoint configuration a Create/UpdateEndpoint request names."""
    backend = sagemaker_backends[self.current_account][self.region]
    config = backend.endpoint_configs.get(self._get_param("EndpointConfigName") or "")
    if config is None or not config.kms_key_id:
        return None
    return kms_key_arn(self.current_account, self.region, str(config.kms_key_id)) or str(
        config.kms_key_id
    )


def _sagemaker_request_keys(self: BaseResponse, action: str) -> dict[str, str]:
    """The ``sagemaker:`` condition keys a request sets (only those it gives a value for).

    ``CreateProcessingJob``: ``sagemaker:NetworkIsolation``, ``sagemaker:VolumeKmsKeyArn``,
    ``sagemaker:OutputKmsKeyArn`` (Service Authorization Reference, SageMaker:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerai.html).
    A key the request does not set is absent, so a condition on it does not hold (as in IAM).
    """
    if action != "CreateProcessingJob":
        return {}
    keys: dict[str, str] = {}
    network = self._get_param("NetworkConfig") or {}
    if "EnableNetworkIsolation" in network:
        keys["sagemaker:NetworkIsolation"] = str(bool(network["EnableNetworkIsolation"])).lower()
    cluster = (self._get_param("ProcessingResources") or {}).get("ClusterConfig") or {}
    if cluster.get("VolumeKmsKeyId"):
        keys["sagemaker:VolumeKmsKeyArn"] = str(cluster["VolumeKmsKeyId"])
    output = (self._get_param("ProcessingOutputConfig") or {}).get("KmsKeyId")
    if output:
        keys["sagemaker:OutputKmsKeyArn"] = str(output)
    return keys


def authorize_sagemaker(self: BaseResponse, resource: str = "*") -> None:
    """SageMaker's authorization hook: every resource of the action, then its caller checks.

    ``resource`` is the primary resource (``moto_sagemaker``'s ``_determine_resource``).
    """
    action = self._get_action()
    extras = [each for each in _sagemaker_extra_resources(self, action) if each != resource]
    with service_context(_sagemaker_request_keys(self, action)):
        for each in [resource, *extras]:
            authorize_json(self, each)
    try:
        role_param = {"CreateModel": "ExecutionRoleArn", "CreateProcessingJob": "RoleArn"}
        if action in role_param and self._get_param(role_param[action]):
            authorize_caller(
                self,
                "iam:PassRole",
                str(self._get_param(role_param[action])),
                {"iam:PassedToService": SAGEMAKER_SERVICE},
            )
        if action in ("CreateEndpoint", "UpdateEndpoint"):
            key = _endpoint_config_key(self)
            if key is not None:
                authorize_caller(self, "kms:DescribeKey", key)
                authorize_caller(
                    self, "kms:CreateGrant", key, {"kms:GrantIsForAWSResource": "true"}
                )
    except AccessDeniedError as exc:
        raise JsonAccessDeniedException(exc.message) from exc


def _s3_object_key(self: BaseResponse, bucket_name: str) -> str | None:
    """The customer managed key S3 encrypts (or encrypted) this object with, if any."""
    header = self.headers.get("x-amz-server-side-encryption")
    key_id = self.headers.get("x-amz-server-side-encryption-aws-kms-key-id")
    if header is None:
        bucket = s3_backends[self.current_account][get_partition(self.region)].buckets.get(
            bucket_name
        )
        rules = ((bucket.encryption or {}) if bucket is not None else {}).get("Rule") or {}
        rule = rules[0] if isinstance(rules, list) else rules
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm") != "aws:kms":
            return None
        key_id = default.get("KMSMasterKeyID")
    elif header != "aws:kms":
        return None
    if not key_id or key_id.removeprefix(_arn(self, "kms", "")) == S3_AWS_MANAGED_KEY:
        return None
    return kms_key_arn(self.current_account, self.region, key_id) or key_id


def _stored_object_key(self: BaseResponse, bucket_name: str, key_name: str) -> str | None:
    """The customer managed key a stored object was encrypted with (SSE-KMS), if any."""
    bucket = s3_backends[self.current_account][get_partition(self.region)].buckets.get(bucket_name)
    stored = bucket.keys.get(key_name) if bucket is not None else None
    if stored is None or getattr(stored, "encryption", None) != "aws:kms":
        return None
    key_id = getattr(stored, "kms_key_id", None)
    if not key_id or key_id.removeprefix(_arn(self, "kms", "")) == S3_AWS_MANAGED_KEY:
        return None
    return kms_key_arn(self.current_account, self.region, key_id) or key_id


def s3_kms_check(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap S3's object authorization: SSE-KMS needs the key's permissions as the caller.

    Writing (``PutObject``, not a copy) needs ``kms:GenerateDataKey``; reading an SSE-KMS
    object (``GetObject``) needs ``kms:Decrypt`` on the key it was encrypted with
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
    """

    def authorize(
        self: BaseResponse, bucket_name: str | None = None, key_name: str | None = None
    ) -> None:
        original(self, bucket_name=bucket_name, key_name=key_name)
        if self.data.get("Action") == "GetObject" and bucket_name and key_name:
            stored = _stored_object_key(self, bucket_name, key_name)
            if stored is not None:
                authorize_caller(self, "kms:Decrypt", stored)
            return
        # The action moto's S3 named the request after (``PutObjectTagging`` for ?tagging...):
        # only a PutObject that is not a copy writes data the key encrypts.
        if self.data.get("Action") != "PutObject" or not bucket_name or not key_name:
            return
        if "x-amz-copy-source" in self.headers:
            return
        key = _s3_object_key(self, bucket_name)
        if key is not None:
            authorize_caller(self, "kms:GenerateDataKey", key)

    return authorize


#: SQS's AWS managed key needs no grant of the caller.
SQS_AWS_MANAGED_KEY = "alias/aws/sqs"


def sqs_kms_check(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an SQS send: an SSE-KMS queue needs ``kms:GenerateDataKey`` and ``kms:Decrypt``.

    "To send messages to an encrypted queue, the producer must have the kms:GenerateDataKey and
    kms:Decrypt permissions for the KMS key"
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html);
    SQS asks KMS as the caller. moto checks neither. The AWS managed ``aws/sqs`` key and
    SQS-managed SSE need no grant of the caller.
    """

    def operation(self: BaseResponse) -> Any:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[self.current_account][self.region]
        try:
            queue = backend.get_queue(self._get_queue_name())  # type: ignore[attr-defined]
        except Exception:  # an unknown queue: the action itself reports it
            return original(self)
        key_id = getattr(queue, "kms_master_key_id", None)
        if key_id and str(key_id).removeprefix(_arn(self, "kms", "")) != SQS_AWS_MANAGED_KEY:
            key_arn = kms_key_arn(self.current_account, self.region, str(key_id)) or str(key_id)
            authorize_caller(self, "kms:GenerateDataKey", key_arn)
            authorize_caller(self, "kms:Decrypt", key_arn)
        return original(self)

    return operation


def dynamodb_resource(self: BaseResponse) -> str:
    """The table a DynamoDB request names (``TableName``); ``*`` for a request that names none."""
    body = self.body if isinstance(self.body, dict) else {}
    name = body.get("TableName")
    if not name:
        return "*"
    if str(name).startswith("arn:"):
        return str(name)
    return reference_arn(self, "dynamodb", {"TableName": str(name)})[0]


def dynamodb_streams_resource(self: BaseResponse) -> str:
    """The stream a DynamoDB Streams request acts on: ``StreamArn``, or the iterator's stream.

    moto's shard iterators start with the stream's ARN (``<stream arn>|1|<id>``). ``ListStreams``
    names no stream: ``*``.
    """
    arn = self._get_param("StreamArn")
    if arn:
        return str(arn)
    iterator = self._get_param("ShardIterator")
    if iterator:
        return str(iterator).split("|", 1)[0]
    return "*"


#: The item action each part of a ``TransactWriteItems`` request is authorized as.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def authorize_dynamodb(self: BaseResponse, resource: str = "*") -> None:
    """DynamoDB's authorization hook: a transaction needs each of its item actions.

    ``TransactWriteItems`` is no IAM action (the Service Authorization Reference lists none); the
    caller needs ``PutItem``, ``UpdateItem``, ``DeleteItem`` or ``ConditionCheckItem`` on the
    table of each part
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
    moto checks ``dynamodb:TransactWriteItems`` on ``*`` instead.
    """
    if self._get_action() != "TransactWriteItems":
        self._authenticate_and_authorize_action(IAMRequest, resource)
        return
    body = self.body if isinstance(self.body, dict) else {}
    for item in body.get("TransactItems", []):
        for part, action in _TRANSACT_ACTIONS.items():
            if part in item:
                table = reference_arn(
                    self, "dynamodb", {"TableName": item[part]["TableName"]}, action=action
                )[0]
                authorize_caller(self, f"dynamodb:{action}", table)
