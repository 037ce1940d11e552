"""Step Functions, played locally: executions of the synthesized definition, under its role.

An execution starts when EventBridge delivers to a state machine target (``sources.events``,
with the rule's role and IAM enforced on ``states:StartExecution``). The definition runs in the
runner's ASL interpreter (``refarch.local.asl``); every Task's service call is made with a
session of the state machine's role (trust policy checked for ``states.amazonaws.com``), so a
missing statement fails the task as ``AccessDenied`` as in AWS:

==============================================  ===========================================
resource                                        call, and its errors as Step Functions names them
==============================================  ===========================================
``arn:aws:states:::lambda:invoke``              ``Invoke`` (the runner's Lambda service); a
                                                function error is the function's
                                                ``errorType`` with its payload as cause; a
                                                refused call ``Lambda.<Code>``
                                                (https://docs.aws.amazon.com/step-functions/
                                                latest/dg/connect-lambda.html)
``arn:aws:states:::sns:publish[.waitFor...]``   ``Publish`` (a JSON ``Message`` object is sent
                                                as its text); ``SNS.<Code>``
``arn:aws:states:::aws-sdk:<service>:<action>`` the SDK call, parameters and response
                                                members in PascalCase; ``<Service>.<Code>``
                                                with the ``Exception`` suffix
                                                (supported-services-awssdk); ``sfn``
                                                ``stopExecution`` also ends the interpreter's
                                                run ABORTED and closes its task token
==============================================  ===========================================

Time is the interpreter's virtual clock; when it moves (a Wait, a back-off) SageMaker finishes
the deployments in flight (``SageMakerService.complete_deployments``), as it would in that time.
Not emulated: Map/Parallel states, activities, execution-level timeouts, heartbeats, redrive,
Express workflows, the service's own payload size limit (256 KiB), and the state machine's log
delivery and X-Ray calls (the role's grants for them are acknowledged as unexercised).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.local.asl.errors import StatesError
from refarch.local.asl.machine import CALLBACK_SUFFIX, Execution, Interpreter
from refarch.local.identities import assume_role_as_service

if TYPE_CHECKING:
    from collections.abc import Callable

    from refarch.local.account import LocalAccount

STATES_PRINCIPAL = "states.amazonaws.com"
_SDK = re.compile(r"^arn:aws[a-z-]*:states:::aws-sdk:(?P<service>[a-z0-9]+):(?P<action>\w+)$")
#: How Step Functions spells a service in an AWS SDK integration's error names.
_SERVICE_NAMES = {
    "sagemaker": "SageMaker",
    "s3": "S3",
    "sns": "Sns",
    "lambda": "Lambda",
    "sfn": "Sfn",
}
#: boto3's name for a service where it differs from the integration's.
_CLIENT_NAMES = {"sfn": "stepfunctions"}


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _plain(value: Any) -> Any:
    """An SDK response as Step Functions returns it: JSON, no response metadata."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class StepFunctionsService:
    """The executions of the emulator's state machines, on one interpreter and clock."""

    def __init__(self, emulator: LocalAccount) -> None:
        self._emulator = emulator
        self._time_listeners: list[Callable[[], None]] = []
        self.interpreter = Interpreter(self)
        self.executions: dict[str, Execution] = {}
        self._sessions: dict[str, Any] = {}

    # -- starting and answering ----------------------------------------------------------

    def start(self, state_machine_arn: str, execution_arn: str, payload: Any) -> Execution:
        """Run an execution moto has recorded (StartExecution) until it ends or waits."""
        described = self._emulator.client("stepfunctions").describe_state_machine(
            stateMachineArn=state_machine_arn
        )
        execution = Execution(
            arn=execution_arn,
            name=execution_arn.rsplit(":", 1)[-1],
            state_machine_arn=state_machine_arn,
            role_arn=described["roleArn"],
            definition=json.loads(described["definition"]),
            input=payload,
            start_time=self.interpreter.now,
        )
        self.executions[execution_arn] = execution
        trace = self._emulator.trace
        trace.line(f"Step Functions: execution {execution.name} of {described['name']}", 3)
        self.interpreter.start(execution)
        self._trace_status(execution)
        self._settle()
        return execution

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's events in GetExecutionHistory's shape (what the CLI reads)."""
        events = []
        for number, event in enumerate(self.executions[execution_arn].history, start=1):
            shaped: dict[str, Any] = {"id": number, "type": event.type}
            if event.type == "TaskScheduled":
                resource = event.detail["resource"]
                shaped["taskScheduledEventDetails"] = {
                    "resourceType": resource.split(":::", 1)[-1].split(":", 1)[0],
                    "resource": resource.split(":::", 1)[-1].split(":", 1)[-1],
                    "parameters": json.dumps(event.detail["parameters"]),
                }
            events.append(shaped)
        return events

    def send_task_success(self, token: str, output: str) -> Execution:
        """``SendTaskSuccess`` (errors: ``InvalidToken``, ``TaskTimedOut``, ``InvalidOutput``)."""
        execution = self.interpreter.send_task_success(token, output)
        self._trace_status(execution)
        self._settle()
        return execution

    def send_task_failure(self, token: str, error: str, cause: str) -> Execution:
        """``SendTaskFailure``: the waiting task fails with ``error``."""
        execution = self.interpreter.send_task_failure(token, error, cause)
        self._trace_status(execution)
        self._settle()
        return execution

    def advance(self, seconds: float) -> None:
        """Let time pass: waits end, callbacks time out."""
        self.interpreter.advance(seconds)
        self._settle()

    def _settle(self) -> None:
        """Give moto's records the interpreter's outcome: ListExecutions filters on status."""
        from moto.core.utils import utcnow
        from moto.stepfunctions.models import stepfunctions_backends

        account, region = self._emulator.account_id, self._emulator.region
        backend = stepfunctions_backends[account][region]
        for arn, execution in self.executions.items():
            if execution.status == "RUNNING":
                continue
            recorded = backend.describe_execution(arn)
            if recorded.status != execution.status:
                recorded.status = execution.status
                recorded.stop_date = recorded.stop_date or utcnow()

    def _trace_status(self, execution: Execution) -> None:
        trace = self._emulator.trace
        if execution.status == "RUNNING":
            waiting = execution.waiting.state if execution.waiting else "?"
            trace.line(f"Step Functions: {execution.name} waits at {waiting} for a task token", 3)
        elif execution.status == "ABORTED":
            trace.line(f"Step Functions: {execution.name} ABORTED: {execution.cause[:300]}", 3)
        elif execution.status == "SUCCEEDED":
            trace.line(f"Step Functions: {execution.name} SUCCEEDED", 3)
        else:
            trace.line(
                f"Step Functions: {execution.name} {execution.status}: {execution.error}: "
                f"{execution.cause[:300]}",
                3,
            )

    # -- Integrations (called by the interpreter) -------------------------------------------

    def when_time_passes(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the virtual clock moves (SageMaker's deployments)."""
        self._time_listeners.append(listener)

    def elapse(self, seconds: float) -> None:
        """What was in flight (SageMaker's deployments) finishes while the machine waited."""
        self._emulator.trace.line(f"Step Functions: {seconds:g} s pass", 4)
        for listener in self._time_listeners:
            listener()

    def call(self, resource: str, parameters: Any, execution: Execution) -> Any:
        """Make a Task's service call as the state machine's role."""
        session = self._session(execution)
        trace = self._emulator.trace
        state = execution.current
        trace.line(f"Step Functions: {state} → {resource.split(':::', 1)[-1]}", 4)
        try:
            return self._call(session, resource.removesuffix(CALLBACK_SUFFIX), parameters)
        except StatesError as error:
            trace.line(f"✗ {state}: {error.error}: {error.cause[:300]}", 5)
            raise

    def _call(self, session: Any, base: str, parameters: Any) -> Any:
        if base.endswith(":states:::lambda:invoke"):
            return self._invoke(session, parameters)
        if base.endswith(":states:::sns:publish"):
            return self._publish(session, parameters)
        match = _SDK.match(base)
        if match is None:
            raise StatesError("States.Runtime", f"{base} is not emulated locally")
        return self._sdk(session, match["service"], match["action"], parameters)

    def _session(self, execution: Execution) -> Any:
        if execution.role_arn not in self._sessions:
            self._sessions[execution.role_arn] = assume_role_as_service(
                self._emulator.deployer,
                execution.role_arn,
                service=STATES_PRINCIPAL,
                session_name=execution.name,
                account_id=self._emulator.account_id,
                context={"aws:SourceArn": execution.state_machine_arn},
            )
        return self._sessions[execution.role_arn]

    def _invoke(self, session: Any, parameters: dict[str, Any]) -> dict[str, Any]:
        try:
            response = session.client("lambda").invoke(
                FunctionName=parameters["FunctionName"],
                Payload=json.dumps(parameters.get("Payload", {})).encode(),
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            name = code if code.endswith("Exception") else "AWSLambdaException"
            raise StatesError(f"Lambda.{name}", str(exc)) from exc
        raw = response["Payload"].read().decode()
        payload = json.loads(raw) if raw else None
        if response.get("FunctionError"):
            error = payload.get("errorType", "Exception") if isinstance(payload, dict) else "Error"
            raise StatesError(error, raw)
        return {
            "ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
            "Payload": payload,
            "StatusCode": response["StatusCode"],
        }

    def _publish(self, session: Any, parameters: dict[str, Any]) -> dict[str, Any]:
        message = parameters["Message"]
        request = {
            "TopicArn": parameters["TopicArn"],
            "Message": message if isinstance(message, str) else json.dumps(message),
        }
        if "Subject" in parameters:
            request["Subject"] = parameters["Subject"]
        try:
            return _plain(session.client("sns").publish(**request))
        except ClientError as exc:
            raise StatesError(_sdk_error("sns", exc), str(exc)) from exc

    def _sdk(self, session: Any, service: str, action: str, parameters: Any) -> Any:
        client = session.client(_CLIENT_NAMES.get(service, service))
        operation = client.meta.service_model.operation_model(action[0].upper() + action[1:])
        try:
            raw = getattr(client, _snake(action))(**_to_api(parameters, operation.input_shape))
        except ClientError as exc:
            raise StatesError(_sdk_error(service, exc), str(exc)) from exc
        response = _to_pascal(_plain(raw), operation.output_shape)
        if service == "sfn" and action == "stopExecution":
            # moto records ABORTED; the interpreter ends the run and closes its task token.
            self._stop(parameters["ExecutionArn"], parameters.get("Error", ""), parameters)
        return response

    def _stop(self, execution_arn: str, error: str, parameters: dict[str, Any]) -> None:
        execution = self.executions.get(execution_arn)
        if execution is None or execution.status != "RUNNING":
            return
        self.interpreter.stop(execution, error, parameters.get("Cause", ""))
        self._trace_status(execution)


def _to_api(value: Any, shape: Any) -> Any:
    """Parameters in PascalCase, as Step Functions takes them, renamed to the API's members.

    "Parameters in Step Functions are expressed in PascalCase, even if the native service API
    is in camelCase" (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
    """
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name[:1].upper() + name[1:]: name for name in shape.members}
        renamed = {}
        for key, item in value.items():
            name = members.get(key, key)
            renamed[name] = _to_api(item, shape.members.get(name))
        return renamed
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_api(item, shape.member) for item in value]
    return value


def _to_pascal(value: Any, shape: Any) -> Any:
    """A response's structure members in PascalCase, as the integration returns them."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {
            key[:1].upper() + key[1:]: _to_pascal(item, shape.members.get(key))
            for key, item in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_pascal(item, shape.member) for item in value]
    return value


def _sdk_error(service: str, exc: ClientError) -> str:
    """``<Service>.<Code>`` with the ``Exception`` suffix AWS SDK integrations always use."""
    code = exc.response["Error"]["Code"]
    suffix = "" if code.endswith("Exception") else "Exception"
    return f"{_SERVICE_NAMES.get(service, service.capitalize())}.{code}{suffix}"
