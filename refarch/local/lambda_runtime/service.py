"""The Lambda service, emulated: invocations in-process, with what AWS does around them.

For each invocation the service:

1. Reuses the function's execution environment or creates one (cold start): it assumes the
   function's own execution role as ``lambda.amazonaws.com`` (the trust policy is checked),
   unpacks the code published to the bootstrap bucket and imports the handler with the
   function's environment variables as configured in moto.
2. Calls the handler with a Lambda context, timing it against the configured timeout.
3. Does with the role what Lambda and its agents do: ships the log lines to the function's log
   group, sends the X-Ray segment when tracing is ``Active``, and writes the Lambda Insights
   record when the Insights layer is attached.
4. Synchronous invocations (``RequestResponse``, e.g. Firehose calling ``Invoke`` with its role:
   ``moto_patches`` routes the API call here) are one attempt: the caller retries, if anyone.
5. For asynchronous invocations (S3, EventBridge, ``InvocationType=Event``), applies the
   function's event invoke config: up to ``MaximumRetryAttempts`` retries (Lambda waits about
   1 and then 2 minutes between attempts; the runner does not sleep, it counts that time
   against ``MaximumEventAgeInSeconds``), then sends the event to the on-failure destination
   and the dead-letter queue, with the role (``sqs:SendMessage``), the way AWS documents it. An
   event that reaches neither is recorded as lost.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.local.errors import LocalRunnerError
from refarch.local.identities import assume_role_as_service
from refarch.local.lambda_runtime.context import LambdaContext
from refarch.local.lambda_runtime.destinations import (
    dead_letter_attributes,
    invocation_record,
    send,
)
from refarch.local.lambda_runtime.execution_environment import ExecutionEnvironment, InitError
from refarch.local.lambda_runtime.invocation import (
    AsyncOutcome,
    ErrorInfo,
    Invocation,
    LostEvent,
    PlatformFailure,
)
from refarch.local.lambda_runtime.layers import LayerMatch
from refarch.local.lambda_runtime.permissions import allows_invoke
from refarch.local.lambda_runtime.platform_log import platform_lines
from refarch.local.lambda_runtime.telemetry import Telemetry, new_trace_id
from refarch.local.trace import brief

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount

#: Lambda's defaults for asynchronous invocation when no event invoke config is set.
DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 6 * 60 * 60
#: How long Lambda waits before the 2nd and 3rd attempt of a failed asynchronous event.
RETRY_DELAYS_SECONDS = (60, 120)
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"


@dataclass
class FunctionRecord:
    """What the service keeps about a function beyond moto's configuration.

    moto 5.2.5 stores neither ``LoggingConfig`` nor ``DeadLetterConfig`` (it accepts and drops
    them), so the provisioner records them here and the service reads them from here; everything
    else (handler, role, environment, memory, timeout, tracing, layers) is read back from moto.
    """

    function_name: str
    function_arn: str
    logical_id: str
    code: bytes
    log_group: str
    log_format: str
    dead_letter_target: str | None
    layers: list[LayerMatch] = field(default_factory=list)


class LambdaService:
    """Invoke the functions deployed in one emulator, as the Lambda service would."""

    def __init__(self, emulator: LocalAccount) -> None:
        self._emulator = emulator
        self._functions: dict[str, FunctionRecord] = {}
        self._environments: dict[str, ExecutionEnvironment] = {}
        self._telemetry: dict[str, Telemetry] = {}
        self.invocations: list[Invocation] = []
        self.outcomes: list[AsyncOutcome] = []
        self.lost: list[LostEvent] = []
        self.describe_result: Callable[[Any], str] = brief
        """How the trace shows a handler's return value (a scenario may set a shorter form)."""

    # -- registry -------------------------------------------------------------------------------

    def register(self, record: FunctionRecord) -> None:
        """Add a function created by the provisioner."""
        self._functions[record.function_arn] = record

    def function(self, name_or_arn: str) -> FunctionRecord:
        """Return a registered function by name or ARN."""
        for record in self._functions.values():
            if name_or_arn in (record.function_arn, record.function_name):
                return record
        raise LocalRunnerError(f"no function {name_or_arn} was deployed in this emulator")

    def shutdown(self) -> None:
        """Forget every execution environment (their code directories go with the emulator)."""
        self._environments.clear()
        self._telemetry.clear()

    # -- permissions ----------------------------------------------------------------------------

    def allows_invoke(
        self, function_arn: str, *, principal: str, source_arn: str, source_account: str
    ) -> bool:
        """Return True if the function's resource policy lets ``principal`` invoke it.

        This is the check AWS makes when a service (S3, EventBridge) invokes a function: an
        ``AWS::Lambda::Permission`` for the service principal, whose ``SourceArn`` and
        ``SourceAccount`` conditions match the resource that emits the event.
        """
        # By name: moto 5.2.5 miscomputes the signature of a request whose path holds an ARN.
        function_name = self.function(function_arn).function_name
        try:
            policy = self._emulator.client("lambda").get_policy(FunctionName=function_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise
        return allows_invoke(
            policy["Policy"],
            principal=principal,
            source_arn=source_arn,
            source_account=source_account,
        )

    # -- invocation -----------------------------------------------------------------------------

    def invoke(
        self, function: str, event: Any, *, attempt: int = 1, request_id: str = ""
    ) -> Invocation:
        """Invoke synchronously (``RequestResponse``): one attempt, no retries.

        Parameters
        ----------
        function:
            Function name or ARN.
        event:
            The payload (JSON-serializable).
        attempt:
            Which attempt of an asynchronous event this is (1 for a synchronous call).
        request_id:
            Kept across the retries of an asynchronous event; a new one by default.
        """
        record = self.function(function)
        request_id = request_id or str(uuid.uuid4())
        invocation = Invocation(
            function_name=record.function_name, request_id=request_id, attempt=attempt, event=event
        )
        config = self._emulator.client("lambda").get_function_configuration(
            FunctionName=record.function_name
        )
        environment = self._environments.get(record.function_arn)
        if environment is None:
            try:
                environment = self._cold_start(record, config)
            except InitError as exc:
                invocation.error = exc.error
                self._finish(record, config, invocation, None, time.time(), time.time(), None)
                return invocation
            invocation.init_duration_ms = environment.init_duration_ms
        # With active tracing, Lambda starts the trace and passes it in _X_AMZN_TRACE_ID.
        segment = None
        extra = {}
        if config.get("TracingConfig", {}).get("Mode") == "Active":
            segment = (new_trace_id(), secrets.token_hex(8), secrets.token_hex(8))
            extra["_X_AMZN_TRACE_ID"] = f"Root={segment[0]};Parent={segment[2]};Sampled=1"
        timeout_s = int(config.get("Timeout", 3))
        context = LambdaContext(
            function_name=record.function_name,
            function_version="$LATEST",
            invoked_function_arn=record.function_arn,
            memory_limit_in_mb=int(config.get("MemorySize", 128)),
            aws_request_id=request_id,
            log_group_name=record.log_group,
            log_stream_name=environment.log_stream_name,
            deadline_ms=time.time() * 1000 + timeout_s * 1000,
        )
        started = time.time()
        result, error = environment.run(event, context, extra)
        ended = time.time()
        invocation.duration_ms = (ended - started) * 1000
        if error is None:
            try:
                json.dumps(result)
            except (TypeError, ValueError) as exc:
                error = ErrorInfo("Runtime.MarshalError", f"Unable to marshal response: {exc}")
        if error is None and invocation.duration_ms > timeout_s * 1000:
            error = ErrorInfo("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
            self._environments.pop(record.function_arn, None)
        invocation.result, invocation.error = (result, None) if error is None else (None, error)
        self._finish(record, config, invocation, environment, started, ended, segment)
        return invocation

    def invoke_async(self, function: str, event: Any, *, source: str) -> AsyncOutcome:
        """Invoke as an asynchronous event (``Event``): retries, then DLQ / on-failure destination.

        Parameters
        ----------
        function:
            Function name or ARN.
        event:
            The event, as the source service sends it.
        source:
            Who sent it, for the trace (e.g. ``s3://bucket``).
        """
        record = self.function(function)
        lam = self._emulator.client("lambda")
        try:
            invoke_config = lam.get_function_event_invoke_config(FunctionName=record.function_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            invoke_config = {}
        max_retries = int(invoke_config.get("MaximumRetryAttempts", DEFAULT_MAXIMUM_RETRY_ATTEMPTS))
        max_age = int(
            invoke_config.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)
        )
        outcome = AsyncOutcome(function_name=record.function_name, event=event)
        self.outcomes.append(outcome)
        trace = self._emulator.trace
        request_id = str(uuid.uuid4())
        age = 0
        for attempt in range(1, max_retries + 2):
            invocation = self.invoke(
                record.function_arn, event, attempt=attempt, request_id=request_id
            )
            outcome.attempts.append(invocation)
            self._trace_attempt(invocation, max_retries + 1)
            if invocation.succeeded:
                outcome.status = "succeeded"
                self._to_destination(record, invoke_config, outcome)
                return outcome
            if attempt > max_retries:
                break
            delay = RETRY_DELAYS_SECONDS[min(attempt - 1, len(RETRY_DELAYS_SECONDS) - 1)]
            if age + delay > max_age:
                trace.line(f"event older than MaximumEventAgeInSeconds={max_age}: no retry", 3)
                break
            age += delay
            trace.line(f"Lambda retries in ~{delay} s (MaximumRetryAttempts={max_retries})", 3)
        self._dead_letter(record, invoke_config, outcome, source)
        return outcome

    # -- internals ------------------------------------------------------------------------------

    def _cold_start(self, record: FunctionRecord, config: dict[str, Any]) -> ExecutionEnvironment:
        emu = self._emulator
        session = assume_role_as_service(
            emu.deployer,
            config["Role"],
            service=LAMBDA_PRINCIPAL,
            session_name=record.function_name,
            account_id=emu.account_id,
        )
        runtime = config.get("Runtime", "")
        variables = {
            **config.get("Environment", {}).get("Variables", {}),
            "AWS_REGION": emu.region,
            "AWS_DEFAULT_REGION": emu.region,
            "AWS_LAMBDA_FUNCTION_NAME": record.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
            "AWS_LAMBDA_LOG_GROUP_NAME": record.log_group,
            "AWS_LAMBDA_LOG_FORMAT": record.log_format,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        }
        if config.get("TracingConfig", {}).get("Mode") == "Active":
            variables["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR"
            variables["AWS_XRAY_DAEMON_ADDRESS"] = "169.254.79.129:2000"
        environment = ExecutionEnvironment(
            function_name=record.function_name,
            handler=config["Handler"],
            code=record.code,
            variables=variables,
            session=session,
            workdir=emu.workdir,
        )
        self._telemetry[record.function_arn] = Telemetry(
            session, log_group=record.log_group, log_stream=environment.log_stream_name
        )
        environment.initialize()
        self._environments[record.function_arn] = environment
        return environment

    def _finish(
        self,
        record: FunctionRecord,
        config: dict[str, Any],
        invocation: Invocation,
        environment: ExecutionEnvironment | None,
        started: float,
        ended: float,
        segment: tuple[str, str, str] | None,
    ) -> None:
        """Ship logs, trace segment and Insights record under the role; record failures."""
        self.invocations.append(invocation)
        output = environment.take_output() if environment is not None else []
        memory_mb = int(config.get("MemorySize", 128))
        start_lines, end_lines = platform_lines(
            invocation, log_format=record.log_format, memory_mb=memory_mb
        )
        invocation.log_lines = [*start_lines, *output, *end_lines]
        telemetry = self._telemetry.get(record.function_arn)
        if telemetry is None:
            return
        actions = [
            (f"ship logs to {record.log_group}", lambda: telemetry.ship_logs(invocation.log_lines))
        ]
        if segment is not None:
            trace_id, segment_id, parent_id = segment
            actions.append(
                (
                    "send the X-Ray segment",
                    lambda: telemetry.send_segment(
                        trace_id=trace_id,
                        segment_id=segment_id,
                        parent_id=parent_id,
                        function_name=record.function_name,
                        function_arn=record.function_arn,
                        start=started,
                        end=ended,
                        error=invocation.error,
                    ),
                )
            )
        if any(layer.layer.is_insights_extension for layer in record.layers):
            actions.append(
                (
                    "write the Lambda Insights record",
                    lambda: telemetry.insights_record(
                        function_name=record.function_name,
                        request_id=invocation.request_id,
                        duration_ms=invocation.duration_ms,
                        init_duration_ms=invocation.init_duration_ms,
                        memory_mb=memory_mb,
                    ),
                )
            )
        for what, action in actions:
            try:
                action()
            except ClientError as exc:
                invocation.platform_failures.append(PlatformFailure(what, str(exc)))

    def _trace_attempt(self, invocation: Invocation, attempts: int) -> None:
        trace = self._emulator.trace
        cold = (
            f", cold start {invocation.init_duration_ms:.0f} ms"
            if invocation.init_duration_ms is not None
            else ""
        )
        trace.line(
            f"invoke {invocation.function_name} (async, attempt {invocation.attempt}/{attempts}, "
            f"request {invocation.request_id[:8]}{cold})",
            2,
        )
        if invocation.error is None:
            trace.line(f"← returned {self.describe_result(invocation.result)}", 3)
        else:
            trace.line(f"✗ {invocation.error}", 3)
        for failure in invocation.platform_failures:
            trace.line(f"✗ Lambda could not {failure.what}: {failure.error}", 3)

    def _to_destination(
        self, record: FunctionRecord, invoke_config: dict[str, Any], outcome: AsyncOutcome
    ) -> str | None:
        """Send the invocation record to the OnSuccess/OnFailure destination, if configured.

        Returns the failure, if sending failed (it is also recorded on the last attempt).
        """
        kind = "OnSuccess" if outcome.attempts[-1].error is None else "OnFailure"
        target = invoke_config.get("DestinationConfig", {}).get(kind, {}).get("Destination")
        if not target:
            return None
        body = json.dumps(invocation_record(record.function_arn, outcome))
        try:
            send(self._role_session(record), target, body, {})
        except (ClientError, LocalRunnerError) as exc:
            what = f"send the invocation record to the {kind} destination {target}"
            outcome.attempts[-1].platform_failures.append(PlatformFailure(what, str(exc)))
            return f"{kind} destination: {exc}"
        outcome.destinations.append(target)
        return None

    def _dead_letter(
        self,
        record: FunctionRecord,
        invoke_config: dict[str, Any],
        outcome: AsyncOutcome,
        source: str,
    ) -> None:
        trace = self._emulator.trace
        last = outcome.attempts[-1]
        failures = []
        failure = self._to_destination(record, invoke_config, outcome)
        if failure:
            failures.append(failure)
        if record.dead_letter_target:
            attributes = dead_letter_attributes(last.request_id, last.error)
            try:
                send(
                    self._role_session(record),
                    record.dead_letter_target,
                    json.dumps(outcome.event),
                    attributes,
                )
                outcome.destinations.append(record.dead_letter_target)
            except ClientError as exc:
                failures.append(f"DLQ: {exc}")
                what = f"send the event to the DLQ {record.dead_letter_target}"
                last.platform_failures.append(PlatformFailure(what, str(exc)))
        for failure in failures:
            trace.line(f"✗ Lambda could not send it to the {failure}", 3)
        if outcome.destinations:
            outcome.status = "dead-lettered"
            labels = [
                f"the DLQ {arn}" if arn == record.dead_letter_target else f"the destination {arn}"
                for arn in outcome.destinations
            ]
            trace.line(
                f"→ after {len(outcome.attempts)} attempts Lambda sent the event to "
                f"{' and '.join(labels)}",
                3,
            )
            return
        outcome.status = "lost"
        outcome.reason = "; ".join(failures) or "no DLQ or on-failure destination is configured"
        self.lost.append(LostEvent(source=source, event=outcome.event, reason=outcome.reason))
        trace.line(f"✗ LOST: the event failed every attempt ({outcome.reason})", 3)

    def execution_role_session(self, function: str) -> Any:
        """Return a session of the function's execution role, as Lambda's pollers use it."""
        return self._role_session(self.function(function))

    def _role_session(self, record: FunctionRecord) -> Any:
        environment = self._environments.get(record.function_arn)
        if environment is not None:
            return environment.session
        config = self._emulator.client("lambda").get_function_configuration(
            FunctionName=record.function_name
        )
        return assume_role_as_service(
            self._emulator.deployer,
            config["Role"],
            service=LAMBDA_PRINCIPAL,
            session_name=record.function_name,
            account_id=self._emulator.account_id,
        )
