"""Where moto 5.2.5 differs from AWS in ways the local runner depends on, and the fix for each.

Applied only inside ``refarch.local.emulator()`` (and undone on exit), so other tests that use
moto directly see moto as shipped.

1. S3 → Lambda notifications: moto invokes the function itself, in Docker. The runner's S3
   source delivers them in-process instead, so moto's Lambda branch is switched off (its SQS, SNS
   and EventBridge branches are left alone).
2. CloudWatch Logs authorization: moto checks every Logs action against resource ``*``, so a
   statement scoped to a log group (``logs:PutLogEvents`` on ``…:log-group:NAME:*``, what
   ``grant_write`` produces) never matches. The ARN of the resource type the Service
   Authorization Reference lists for the action is used (``refarch.iam_reference``): a stream
   action's ``…:log-group:NAME:log-stream:STREAM``, a group action's ``…:log-group:NAME``, which
   a grant on ``…:log-group:NAME:*`` does not cover, as in AWS.
3. X-Ray authorization: moto names X-Ray actions after the URL path (``xray:TraceSegments``), so
   ``xray:PutTraceSegments`` in a policy never matches. The documented action names are used.
4. Policy statements: moto evaluates only ``StringEquals`` conditions, treats every other
   operator as met, and answers "denied" when a condition fails even on an ``Allow`` or
   ``Deny`` it should simply skip; together these turn the TLS-only ``Deny`` of every bucket
   policy into a deny-all. It also ignores ``NotResource`` and matches ARNs as regular
   expressions. Statements are evaluated per the IAM reference instead: conditions by
   ``policy_conditions`` with the context of an in-process SDK call (HTTPS), a statement whose
   condition fails does not apply, wildcards are IAM wildcards, actions are case-insensitive,
   and a Resource pattern that names none of the action's resource types (Service Authorization
   Reference) never applies to it.
5. Lambda layers: moto only accepts layer versions published in its own backend; the
   AWS-published layers the runner knows (``lambda_runtime.layers``) are accepted by ARN.
6. S3 destination validation: on ``PutBucketNotificationConfiguration`` (unless
   ``SkipDestinationValidation``) S3 checks that each Lambda destination's resource policy lets
   ``s3.amazonaws.com`` invoke it for this bucket, and fails with "Unable to validate the
   following destination configurations"; moto checks nothing. The check is made.
7. Signatures of body-less requests: to recompute a signature moto uses the request's parsed
   parameters as the body when the body is empty; for Lambda's GET requests those are the
   headers, so every signed GET (GetFunctionConfiguration, GetPolicy…) fails with
   SignatureDoesNotMatch once enforcement is on. A GET/HEAD/DELETE is signed with its empty body.
   Trust policies: moto accepts only the caller's own ARN as principal, so a role that trusts
   its account (``arn:aws:iam::<account>:root``, what ``AccountRootPrincipal`` gives a producer
   role) cannot be assumed; the account principal is honoured as IAM defines it.
8. Resources of Kinesis, KMS, Lambda and Glue requests: moto authorizes them against ``*``, so
   statements scoped to a stream, key, function or table never match; Lambda's ``Invoke`` is
   checked as ``lambda:Invoke`` instead of ``lambda:InvokeFunction``; and reading or writing a
   KMS-encrypted stream needs no key permission. See ``moto_resources``.
9. ``Invoke`` through the Lambda API (what Firehose does with its role, or a handler calling
   another function): moto runs the function in Docker; here it runs in the emulator's Lambda
   service, in-process, and answers with the handler's result or its error
   (``X-Amz-Function-Error: Unhandled``). The emulator passes its service in
   (``lambda_invoke_routed_to``), once the service exists.
10. CloudWatch authorization: moto names CloudWatch actions after the signing name
    (``monitoring:PutMetricData``), so ``cloudwatch:PutMetricData`` in a policy never matches,
    and it sends no ``cloudwatch:namespace`` condition key. The IAM action names are used, with
    the request's namespace as the key; alarm actions are authorized on each alarm they name
    (``moto_resources.cloudwatch_resources``), not on ``*``.
11. Glue partition indexes: moto has no ``CreatePartitionIndex`` and lists no index; and a
    trigger predicate of one condition without ``Logical`` crashes it. See ``moto_glue``.
12. SageMaker: endpoints that take time to deploy, ``UpdateEndpoint``, and the rest of
    ``moto_sagemaker``'s fixes, applied with ``instant_transitions=False``: a created or updated
    endpoint stays ``Creating``/``Updating`` until the runner's SageMaker source
    (``sources.sagemaker``) has brought its fleet up, as in AWS.
13. Resources of ECR, Application Auto Scaling and SageMaker requests (moto says ``*``), their
    denials in their own JSON format, and what SageMaker and S3 check with their caller's
    permissions (``iam:PassRole`` on ``CreateModel``, the endpoint key's grant on
    ``CreateEndpoint``/``UpdateEndpoint``, ``kms:GenerateDataKey`` on an SSE-KMS
    ``PutObject``): see ``moto_resources``.
14. ECR ``GetDownloadUrlForLayer`` is not implemented; see ``moto_ecr``.
15. Application Auto Scaling registers a SageMaker variant that does not exist, validates none
    of the caller's permissions on the endpoint and CloudWatch, and creates no service-linked
    role; see ``moto_autoscaling``.
16. CloudWatch Logs ``AssociateKmsKey`` is not implemented; see ``moto_logs``.
17. DynamoDB authorization: moto checks every DynamoDB action against ``*``, so a grant on a
    table never matches; the table's ARN is used (``moto_resources.dynamodb_resource``), and
    for DynamoDB Streams the stream's (``dynamodb_streams_resource``); a transaction is
    authorized as its item actions (``authorize_dynamodb``). And
    sending to an SSE-KMS queue needs no key permission in moto; the caller's
    ``kms:GenerateDataKey`` and ``kms:Decrypt`` are checked (``moto_resources.sqs_kms_check``).
18. SageMaker Runtime ``InvokeEndpoint`` answers canned results on ``*`` (answered here by the
    emulator's SageMaker, passed in with ``endpoint_invocations_routed_to``); Step Functions and
    SNS requests are authorized on ``*`` and an encrypted topic's key is not checked; see
    ``moto_runtime_and_states``.
19. S3 answers a ``GetObject``/``HeadObject`` of a missing key with 404 to everyone; AWS answers
    403 AccessDenied to a caller not allowed ``s3:ListBucket`` on the bucket. See ``moto_s3``.
20. ``GetFunction``/``GetFunctionConfiguration`` answer without ``LoggingConfig`` (moto drops it),
    so a reader cannot find the function's log group; AWS returns it
    (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html). It is
    added from the emulator's Lambda service, which keeps it (``lambda_invoke_routed_to``).

Every denial moto's IAM check raises is also recorded (principal, action, resource), so the trace
can say which call was denied instead of S3's bare "Access Denied"; and every request it allows a
role, with the statements that allowed it (``access_record``), so a run can say which grants it
never used.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.awslambda.exceptions import UnknownLayerVersionException
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.awslambda.responses import LambdaResponse
from moto.awslambda.utils import get_backend as lambda_backend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.ecr.responses import ECRResponse
from moto.events.responses import EventsHandler
from moto.glue.models import FakeCrawler
from moto.glue.responses import GlueResponse
from moto.glue.utils import Predicate
from moto.iam.access_control import (
    IAMPolicyStatement,
    IAMRequest,
    IAMRequestBase,
    PermissionResult,
)
from moto.kinesis.responses import KinesisResponse
from moto.kms.responses import KmsResponse
from moto.logs.responses import LogsResponse
from moto.s3 import notifications as s3_notifications
from moto.s3.exceptions import S3ClientError
from moto.s3.responses import S3Response
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.responses import StepFunctionResponse
from moto.utilities.utils import get_partition
from moto.xray.responses import XRayResponse

from refarch.iam_reference import pattern_applies
from refarch.local import (
    moto_autoscaling,
    moto_ecr,
    moto_events,
    moto_glue,
    moto_logs,
    moto_resources,
    moto_runtime_and_states,
    moto_s3,
)
from refarch.local.access_record import AccessRecorder
from refarch.local.errors import LocalRunnerError, RunHalted
from refarch.local.lambda_runtime.layers import identify_layer
from refarch.local.lambda_runtime.permissions import allows_invoke
from refarch.local.moto_resources import SERVICE_CONTEXT
from refarch.local.moto_sagemaker import sagemaker_gap_fixes
from refarch.local.policy_conditions import as_list, conditions_hold, glob_match

if TYPE_CHECKING:
    from refarch.local.lambda_runtime.service import LambdaService

#: The request context of an in-process SDK call: boto3's endpoints are HTTPS.
REQUEST_CONTEXT: dict[str, str] = {"aws:SecureTransport": "true"}

#: moto's X-Ray action names (the URL path) -> the names IAM policies use.
XRAY_ACTIONS = {
    "TraceSegments": "PutTraceSegments",
    "TelemetryRecords": "PutTelemetryRecords",
    "TraceSummaries": "GetTraceSummaries",
    "Traces": "BatchGetTraces",
    "ServiceGraph": "GetServiceGraph",
    "TraceGraph": "GetTraceGraph",
}


@dataclass(frozen=True)
class Denial:
    """One request IAM denied."""

    principal: str
    """Who asked: a user or ``assumed-role/<role>/<session>`` ARN."""

    action: str
    """E.g. ``s3:PutObject``."""

    resource: str
    """The ARN the action was checked against (``*`` where moto does not resolve one)."""

    def __str__(self) -> str:
        return f"{self.action} on {self.resource} denied to {self.principal}"


def _lambda_notification_handled_by_runner(*args: Any, **kwargs: Any) -> None:
    """Replace moto's Docker invocation: ``refarch.local.sources.s3`` delivers these."""


def _log_resource(self: LogsResponse) -> str:
    """The log group or log stream a Logs request acts on, per the reference's resource types.

    A group action (``CreateLogGroup``, ``DescribeLogStreams``) is authorized on
    ``…:log-group:NAME``, a stream action (``PutLogEvents``) on
    ``…:log-group:NAME:log-stream:STREAM``: a grant on ``…:log-group:NAME:*`` covers the
    streams, not the group.
    """
    group = self._get_param("logGroupName") or self._get_param("logGroupIdentifier")
    values = {}
    if group:
        if group.startswith("arn:"):
            group = group.split(":log-group:", 1)[1].removesuffix(":*")
        values["LogGroupName"] = group
    stream = self._get_param("logStreamName")
    if stream:
        values["LogStreamName"] = stream
    return moto_resources.reference_arn(self, "logs", values)[0]


class _XRayRequest(IAMRequest):
    def __init__(self, *, action: str, **kwargs: Any) -> None:
        super().__init__(action=XRAY_ACTIONS.get(action, action), **kwargs)


def _authorize_xray(self: XRayResponse, resource: str = "*") -> None:
    self._authenticate_and_authorize_action(_XRayRequest, resource)


class _CloudWatchRequest(IAMRequest):
    """A CloudWatch request, named ``cloudwatch:…`` as policies name it (not by its endpoint)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._action = "cloudwatch:" + self._action.split(":", 1)[1]


def _authorize_cloudwatch(self: CloudWatchResponse, resource: str = "*") -> None:
    # PutMetricData's condition key: policies scope it to a namespace (no resource-level
    # permissions exist for it).
    namespace = self._get_param("Namespace")
    token = SERVICE_CONTEXT.set({"cloudwatch:namespace": namespace} if namespace else {})
    try:
        # Alarm actions on each alarm's ARN (moto says "*"): see moto_resources.
        for each in moto_resources.cloudwatch_resources(self):
            self._authenticate_and_authorize_action(_CloudWatchRequest, each)
    finally:
        SERVICE_CONTEXT.reset(token)


def _trusts(named: Any, caller_arn: str) -> bool:
    """Return True if a trust policy's ``Principal`` names the caller, or the caller's account.

    ``{"AWS": "arn:aws:iam::<account>:root"}`` (or the bare account id) trusts every identity of
    that account its own policies allow to assume the role, as IAM defines it.
    """
    if named is None or named == "*":
        return True
    aws = as_list(named.get("AWS", [])) if isinstance(named, dict) else []
    account = caller_arn.split(":")[4] if caller_arn.count(":") >= 5 else ""
    partition = caller_arn.split(":")[1] if account else ""
    return any(p in ("*", caller_arn, account, f"arn:{partition}:iam::{account}:root") for p in aws)


def _statement_result(
    self: IAMPolicyStatement,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, str] | None = None,
) -> PermissionResult:
    statement = self._statement
    if "NotAction" in statement:
        concerned = not any(
            glob_match(p, action, ignore_case=True) for p in as_list(statement["NotAction"])
        )
    else:
        concerned = any(
            glob_match(p, action, ignore_case=True) for p in as_list(statement.get("Action", []))
        )
    if not concerned or self.is_unknown_principal(statement.get("Principal")):
        return PermissionResult.NEUTRAL
    if principal and not _trusts(statement.get("Principal"), principal):
        # moto's trust-policy semantics, kept: the caller is not the trusted principal.
        return PermissionResult.DENIED
    conditions = statement.get("Condition")
    context = {
        **REQUEST_CONTEXT,
        **(SERVICE_CONTEXT.get() or {}),
        **(incoming_condition_values or {}),
    }
    if conditions and not conditions_hold(conditions, context):
        return PermissionResult.NEUTRAL
    if "NotResource" in statement:
        applies = not any(glob_match(p, resource) for p in as_list(statement["NotResource"]))
    elif statement.get("Resource"):
        # A pattern that names none of the action's resource types (Service Authorization
        # Reference) never applies to it, whatever ARN moto computed for the request.
        applies = any(
            glob_match(p, resource) and pattern_applies(action, p)
            for p in as_list(statement["Resource"])
        )
    else:
        applies = True  # trust policies name no resource
    if not applies:
        return PermissionResult.NEUTRAL
    return PermissionResult.PERMITTED if statement["Effect"] == "Allow" else PermissionResult.DENIED


def _allows(statement: dict[str, Any], action: str, resource: str) -> bool:
    """Return True if ``statement`` allows ``action`` on ``resource``, as the check above says."""
    result = _statement_result(IAMPolicyStatement(statement), action, resource)
    return result == PermissionResult.PERMITTED  # only an Allow permits


def _bodyless_aware_request(original: Any) -> Any:
    def create_aws_request(self: IAMRequestBase) -> Any:
        request = original(self)
        if self._method in ("GET", "HEAD", "DELETE") and not self._body:
            request.data = b""
        return request

    return create_aws_request


def _validated_notifications(original: Any) -> Any:
    def parse(self: S3Response) -> dict[str, Any]:
        config = original(self)
        if str(self.headers.get("x-amz-skip-destination-validation", "")).lower() == "true":
            return config
        bucket_arn = f"arn:{get_partition(self.region)}:s3:::{self.bucket_name}"
        for notification in config.get("CloudFunctionConfiguration") or []:
            arn = notification["CloudFunction"]
            region, account = arn.split(":")[3:5]
            try:
                # The backend returns the API's wire format: {"Policy": "<json>", …}.
                policy = json.loads(lambda_backend(account, region).get_policy(arn))["Policy"]
            except Exception:  # a missing function or policy is a failed validation
                policy = "{}"
            if not allows_invoke(
                policy,
                principal="s3.amazonaws.com",
                source_arn=bucket_arn,
                source_account=self.current_account,
            ):
                raise S3ClientError(
                    "InvalidArgument",
                    "Unable to validate the following destination configurations",
                )
        return config

    return parse


def _layers_data(self: LambdaFunction, layer_arns: list[str]) -> list[dict[str, Any]]:
    backend = lambda_backend(self.account_id, self.region)
    data = []
    for arn in layer_arns:
        version = backend.layers_versions_by_arn(arn)
        if version is not None:
            data.append({"Arn": version.arn, "CodeSize": version.code_size})
        elif identify_layer(arn) is not None:
            data.append({"Arn": arn, "CodeSize": 0})
        else:
            raise UnknownLayerVersionException(layer_arns)
    return data


def _invoke_in(service: LambdaService) -> Any:
    """Return moto's ``LambdaBackend.invoke``, answered by the runner's Lambda service instead."""

    def invoke(
        self: LambdaBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        arn = self.get_function(function_name, qualifier).function_arn
        event = json.loads(body) if body else {}
        invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            service.invoke_async(arn, event, source="lambda:Invoke")
            return b""
        invocation = service.invoke(arn, event)
        response_headers["x-amz-executed-version"] = "$LATEST"
        if invocation.error is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            error = invocation.error
            payload: Any = {
                "errorMessage": error.message,
                "errorType": error.error_type,
                "stackTrace": error.stack_trace,
            }
        else:
            payload = invocation.result
        return json.dumps(payload).encode()

    return invoke


@contextmanager
def lambda_invoke_routed_to(service: LambdaService) -> Iterator[None]:
    """Inside the block, the ``Invoke`` API (after moto's IAM check) runs in ``service``.

    And a function's configuration carries the ``LoggingConfig`` the service keeps (fix 20).

    Separate from ``moto_gap_fixes`` because the service is built after IAM is enforced: the
    emulator passes its own Lambda service in, so this module never looks one up.
    """
    original = LambdaFunction.get_configuration

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        try:
            record = service.function(self.function_arn)
        except LocalRunnerError:  # being created: the provisioner registers it next
            return config
        config["LoggingConfig"] = {"LogFormat": record.log_format, "LogGroup": record.log_group}
        return config

    with (
        mock.patch.object(LambdaBackend, "invoke", _invoke_in(service)),
        mock.patch.object(LambdaFunction, "get_configuration", get_configuration),
    ):
        yield


def _moto_service_fixes() -> list[tuple[Any, str, Any, bool]]:
    """Fixes 8, 9, 11, 13 to 15, 17 and 18: (target, attribute, replacement, create)."""
    kms_check = moto_resources.kinesis_kms_check
    runtime = moto_runtime_and_states
    return [
        (SageMakerRuntimeResponse, "_determine_resource", runtime.runtime_endpoint, True),
        (StepFunctionResponse, "_determine_resource", runtime.states_resource, True),
        (SNSResponse, "_determine_resource", runtime.sns_resource, True),
        (SNSResponse, "publish", runtime.sns_publish_kms_check(SNSResponse.publish), False),
        *(
            (
                response,
                "_authenticate_and_authorize_normal_action",
                moto_resources.authorize_json,
                False,
            )
            for response in (SageMakerRuntimeResponse, StepFunctionResponse)
        ),
        (KinesisResponse, "_determine_resource", moto_resources.kinesis_resource, True),
        (
            KinesisResponse,
            "put_record",
            kms_check("kms:GenerateDataKey")(KinesisResponse.put_record),
            False,
        ),
        (
            KinesisResponse,
            "put_records",
            kms_check("kms:GenerateDataKey")(KinesisResponse.put_records),
            False,
        ),
        (
            KinesisResponse,
            "get_records",
            kms_check("kms:Decrypt")(KinesisResponse.get_records),
            False,
        ),
        (KmsResponse, "_determine_resource", moto_resources.kms_resource, True),
        (LambdaResponse, "_determine_resource", moto_resources.lambda_resource, True),
        (
            LambdaResponse,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_lambda,
            False,
        ),
        (
            GlueResponse,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_glue,
            False,
        ),
        (GlueResponse, "create_partition_index", moto_glue.create_partition_index, True),
        (GlueResponse, "get_partition_indexes", moto_glue.get_partition_indexes, False),
        (Predicate, "__init__", moto_glue.predicate_init, False),
        (FakeCrawler, "status", property(moto_glue.crawler_status), False),
        (ECRResponse, "_determine_resource", moto_resources.ecr_resource, True),
        (EventsHandler, "_determine_resource", moto_resources.events_resource, True),
        (EventsHandler, "test_event_pattern", moto_events.test_event_pattern, False),
        (
            EventsHandler,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_json,
            False,
        ),
        (
            ECRResponse,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_json,
            False,
        ),
        (
            ApplicationAutoScalingResponse,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_json,
            False,
        ),
        (ECRResponse, "get_download_url_for_layer", moto_ecr.get_download_url_for_layer, False),
        (
            ApplicationAutoScalingResponse,
            "_determine_resource",
            moto_resources.autoscaling_resource,
            True,
        ),
        (
            ApplicationAutoScalingResponse,
            "register_scalable_target",
            moto_autoscaling.register_scalable_target(
                ApplicationAutoScalingResponse.register_scalable_target
            ),
            False,
        ),
        (
            ApplicationAutoScalingResponse,
            "put_scaling_policy",
            moto_autoscaling.put_scaling_policy(ApplicationAutoScalingResponse.put_scaling_policy),
            False,
        ),
        (
            SageMakerResponse,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_sagemaker,
            False,
        ),
        (
            S3Response,
            "_authenticate_and_authorize_s3_action",
            moto_resources.s3_kms_check(S3Response._authenticate_and_authorize_s3_action),
            False,
        ),
        (DynamoHandler, "_determine_resource", moto_resources.dynamodb_resource, True),
        (
            DynamoHandler,
            "_authenticate_and_authorize_normal_action",
            moto_resources.authorize_dynamodb,
            False,
        ),
        (
            DynamoDBStreamsHandler,
            "_determine_resource",
            moto_resources.dynamodb_streams_resource,
            True,
        ),
        (
            SQSResponse,
            "send_message",
            moto_resources.sqs_kms_check(SQSResponse.send_message),
            False,
        ),
        (
            SQSResponse,
            "send_message_batch",
            moto_resources.sqs_kms_check(SQSResponse.send_message_batch),
            False,
        ),
        (S3Response, "get_object", moto_s3.get_object(S3Response.get_object), False),
        (S3Response, "head_object", moto_s3.head_object(S3Response.head_object), False),
    ]


@contextmanager
def moto_gap_fixes(
    denials: list[Denial],
    recorder: AccessRecorder | None = None,
    *,
    halt_on_denial: bool = False,
) -> Iterator[None]:
    """Apply the fixes above inside the block; append every IAM denial to ``denials``.

    ``recorder`` (if given) records every request allowed to an assumed role. With
    ``halt_on_denial``, the first denial raises ``RunHalted`` instead of the AccessDenied error.
    """
    check_action_permitted = IAMRequestBase.check_action_permitted

    def check_and_record(self: IAMRequestBase, resource: str) -> None:
        try:
            check_action_permitted(self, resource)
        except Exception:
            denial = Denial(self._access_key.arn, self._action, resource)
            denials.append(denial)
            if halt_on_denial:
                raise RunHalted(denial) from None
            raise
        if recorder is not None:
            key = self._access_key
            recorder.record(
                principal=key.arn,
                action=self._action,
                resource=resource,
                account_id=key.account_id,
                partition=key.partition,
                allows=_allows,
            )

    with ExitStack() as stack:
        for target, name, replacement, create in (
            (s3_notifications, "_invoke_awslambda", _lambda_notification_handled_by_runner, False),
            (LogsResponse, "_determine_resource", _log_resource, True),
            (LogsResponse, "associate_kms_key", moto_logs.associate_kms_key, True),
            (XRayResponse, "_authenticate_and_authorize_normal_action", _authorize_xray, False),
            (
                CloudWatchResponse,
                "_authenticate_and_authorize_normal_action",
                _authorize_cloudwatch,
                False,
            ),
            (IAMPolicyStatement, "is_action_permitted", _statement_result, False),
            (IAMRequestBase, "check_action_permitted", check_and_record, False),
            (LambdaFunction, "_get_layers_data", _layers_data, False),
            (
                S3Response,
                "_notification_config_from_body",
                _validated_notifications(S3Response._notification_config_from_body),
                False,
            ),
            (
                IAMRequestBase,
                "_create_aws_request",
                _bodyless_aware_request(IAMRequestBase._create_aws_request),
                False,
            ),
            *_moto_service_fixes(),
        ):
            stack.enter_context(mock.patch.object(target, name, replacement, create=create))
        stack.enter_context(sagemaker_gap_fixes(instant_transitions=False))
        yield


def close_xray_sdk_socket() -> None:
    """Close the UDP socket aws_xray_sdk opens when moto imports it.

    The SDK's global recorder creates a UDP emitter at import and never closes it, so the
    interpreter would end every local run with a ResourceWarning about it.
    """
    core = sys.modules.get("aws_xray_sdk.core")
    emitter = getattr(getattr(core, "xray_recorder", None), "_emitter", None)
    udp_socket = getattr(emitter, "_socket", None)
    if udp_socket is not None:
        udp_socket.close()
