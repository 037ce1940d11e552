"""Executions of a state machine: states, Retry/Catch, callbacks, on a virtual clock.

What each state does is AWS's (one page each): Task
(https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html), Choice (state-choice),
Wait (state-wait), Pass (state-pass), Succeed (state-succeed), Fail (state-fail), under
https://docs.aws.amazon.com/step-functions/latest/dg/. Retry and Catch follow
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; a task
``.waitForTaskToken`` pauses until ``SendTaskSuccess``/``SendTaskFailure`` or its timeout
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token),
and those calls answer ``InvalidToken``/``TaskTimedOut`` as the API reference says
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).

Time is virtual: a Wait or a retry's back-off calls ``Integrations.elapse`` (the runner lets
its services make progress meanwhile) and moves the clock; nothing sleeps. Not supported (the
definition is refused when it uses them): Map, Parallel, JSONata, Activities, execution-level
``TimeoutSeconds``; ``HeartbeatSeconds`` is refused too.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from refarch.local.asl import choice, paths
from refarch.local.asl.errors import NO_CHOICE_MATCHED, RUNTIME, TIMEOUT, StatesError, matches
from refarch.local.errors import LocalRunnerError

CALLBACK_SUFFIX = ".waitForTaskToken"
#: A Task's TimeoutSeconds when the definition sets none: 99999999 s, about a year (state-task).
DEFAULT_TASK_TIMEOUT = 99_999_999
#: A retrier's defaults (concepts-error-handling): 1 s, 3 attempts, doubling.
DEFAULT_INTERVAL, DEFAULT_MAX_ATTEMPTS, DEFAULT_BACKOFF = 1, 3, 2.0
_STATE_TYPES = ("Task", "Choice", "Wait", "Pass", "Succeed", "Fail")
_UNSUPPORTED_FIELDS = ("HeartbeatSeconds", "HeartbeatSecondsPath", "TimeoutSecondsPath")


class UnsupportedDefinitionError(LocalRunnerError):
    """The definition uses ASL this interpreter does not run: refused before it starts."""


class InvalidToken(LocalRunnerError):
    """``SendTask*`` with a token Step Functions never issued (``InvalidToken``)."""


class TaskTimedOut(LocalRunnerError):
    """``SendTask*`` with a token whose task closed already: completed, failed or timed out."""


class InvalidOutput(LocalRunnerError):
    """``SendTaskSuccess`` whose output is not JSON (``InvalidOutput``)."""


class Integrations(Protocol):
    """The service calls of Task states, made by the runner with the state machine's role."""

    def call(self, resource: str, parameters: Any, execution: Execution) -> Any:
        """Make the call; raise ``StatesError`` with the name AWS reports on failure."""

    def elapse(self, seconds: float) -> None:
        """Virtual time passes (a Wait, a retry's back-off): let other services progress."""


@dataclass
class HistoryEvent:
    """One event of ``GetExecutionHistory``, by its AWS type name."""

    type: str
    state: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    timestamp: float = 0.0


@dataclass
class Callback:
    """A task waiting for its token."""

    token: str
    execution: Execution
    state: str
    raw_input: Any
    deadline: float
    closed: bool = False


@dataclass
class Execution:
    """One run of a state machine."""

    arn: str
    name: str
    state_machine_arn: str
    role_arn: str
    definition: Mapping[str, Any]
    input: Any
    start_time: float
    status: str = "RUNNING"
    output: Any = None
    error: str = ""
    cause: str = ""
    current: str = ""
    data: Any = None
    history: list[HistoryEvent] = field(default_factory=list)
    waiting: Callback | None = None
    retries: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def states(self) -> Mapping[str, Any]:
        """The definition's states, by name."""
        return self.definition["States"]

    def context(self, state: str, now: float, token: str | None = None) -> dict[str, Any]:
        """The context object (``$$``) for ``state``; ``Task.Token`` for a callback task.

        https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
        """
        context: dict[str, Any] = {
            "Execution": {
                "Id": self.arn,
                "Name": self.name,
                "Input": self.input,
                "RoleArn": self.role_arn,
                "StartTime": _iso(self.start_time),
            },
            "StateMachine": {
                "Id": self.state_machine_arn,
                "Name": self.state_machine_arn.rsplit(":", 1)[-1],
            },
            "State": {
                "Name": state,
                "EnteredTime": _iso(now),
                "RetryCount": sum(n for (name, _), n in self.retries.items() if name == state),
            },
        }
        if token is not None:
            context["Task"] = {"Token": token}
        return context


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


def validate(definition: Mapping[str, Any]) -> None:
    """Refuse what this interpreter does not run, before an execution starts."""
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise UnsupportedDefinitionError("only JSONPath definitions are supported")
    if "TimeoutSeconds" in definition:
        raise UnsupportedDefinitionError("execution-level TimeoutSeconds is not supported")
    states = definition.get("States", {})
    if definition.get("StartAt") not in states:
        raise UnsupportedDefinitionError("StartAt names no state")
    for name, state in states.items():
        if state.get("Type") not in _STATE_TYPES:
            raise UnsupportedDefinitionError(f"{name}: state type {state.get('Type')}")
        used = [key for key in _UNSUPPORTED_FIELDS if key in state]
        if used:
            raise UnsupportedDefinitionError(f"{name}: {', '.join(used)}")
        targets = [state.get("Next"), state.get("Default")]
        targets += [rule.get("Next") for rule in state.get("Choices", [])]
        targets += [catcher.get("Next") for catcher in state.get("Catch", [])]
        for target in targets:
            if target is not None and target not in states:
                raise UnsupportedDefinitionError(f"{name}: transition to unknown state {target}")


class Interpreter:
    """Runs executions: one virtual clock, one table of issued task tokens."""

    def __init__(self, integrations: Integrations, *, start: float | None = None) -> None:
        self.integrations = integrations
        self.now = start if start is not None else datetime.now(UTC).timestamp()
        self.callbacks: dict[str, Callback] = {}

    # -- the API ---------------------------------------------------------------------------

    def start(self, execution: Execution) -> Execution:
        """Run ``execution`` until it ends or waits for a task token."""
        validate(execution.definition)
        execution.current = execution.definition["StartAt"]
        execution.data = execution.input
        self._event(execution, "ExecutionStarted", detail={"input": execution.input})
        self._run(execution)
        return execution

    def send_task_success(self, token: str, output: str) -> Execution:
        """``SendTaskSuccess``: the waiting task succeeds with ``output`` (a JSON string)."""
        callback = self._open(token)
        try:
            result = json.loads(output)
        except (TypeError, json.JSONDecodeError) as exc:
            raise InvalidOutput(f"the output is not JSON: {exc}") from exc
        execution = self._close(callback)
        self._event(execution, "TaskSucceeded", callback.state, {"output": result})
        state = execution.states[callback.state]
        try:
            self._finish_state(execution, callback.state, state, callback.raw_input, result)
        except StatesError as error:
            self._fail(execution, error)
        self._run(execution)
        return execution

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> Execution:
        """``SendTaskFailure``: the waiting task fails with ``error`` (its Retry/Catch apply)."""
        callback = self._open(token)
        execution = self._close(callback)
        self._event(execution, "TaskFailed", callback.state, {"error": error, "cause": cause})
        self._handle(execution, callback.state, callback.raw_input, StatesError(error, cause))
        self._run(execution)
        return execution

    def stop(self, execution: Execution, error: str = "", cause: str = "") -> Execution:
        """``StopExecution``: a running execution ends ABORTED; its task token closes with it.

        A stopped execution's pending callback is closed, so ``SendTask*`` with its token is
        refused (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
        Stopping an execution that has already ended changes nothing.
        """
        if execution.status != "RUNNING":
            return execution
        if execution.waiting is not None:
            self._close(execution.waiting)
        self._end(execution, "ABORTED", error=error, cause=cause)
        return execution

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: callbacks past their TimeoutSeconds fail with States.Timeout."""
        self.integrations.elapse(seconds)
        self.now += seconds
        for callback in list(self.callbacks.values()):
            if not callback.closed and callback.deadline <= self.now:
                execution = self._close(callback)
                self._event(execution, "TaskTimedOut", callback.state)
                timeout = StatesError(TIMEOUT, "The task did not complete within TimeoutSeconds")
                self._handle(execution, callback.state, callback.raw_input, timeout)
                self._run(execution)

    # -- stepping --------------------------------------------------------------------------

    def _run(self, execution: Execution) -> None:
        while execution.status == "RUNNING" and execution.waiting is None:
            name = execution.current
            state = execution.states[name]
            raw = execution.data
            self._event(execution, f"{state['Type']}StateEntered", name, {"input": raw})
            try:
                self._step(execution, name, state, raw)
            except StatesError as error:
                self._handle(execution, name, raw, error)

    def _step(self, execution: Execution, name: str, state: Mapping[str, Any], raw: Any) -> None:
        kind = state["Type"]
        context = execution.context(name, self.now)
        effective = paths.apply_input_path(state.get("InputPath", "$"), raw, context)
        if kind == "Succeed":
            output = paths.apply_input_path(state.get("OutputPath", "$"), effective, context)
            self._end(execution, "SUCCEEDED", output=output)
        elif kind == "Fail":
            self._end(
                execution,
                "FAILED",
                error=_field(state, "Error", raw, context),
                cause=_field(state, "Cause", raw, context),
            )
        elif kind == "Choice":
            matched = (
                rule["Next"]
                for rule in state["Choices"]
                if choice.evaluate(rule, effective, context)
            )
            target = next(matched, state.get("Default"))
            if target is None:
                raise StatesError(NO_CHOICE_MATCHED, f"no Choice rule of {name} matched")
            output = paths.apply_input_path(state.get("OutputPath", "$"), effective, context)
            self._transition(execution, name, state, output, target)
        elif kind == "Wait":
            seconds = _wait_seconds(state, effective, context, self.now)
            self.advance(seconds)
            output = paths.apply_input_path(state.get("OutputPath", "$"), effective, context)
            self._transition(execution, name, state, output, state.get("Next"))
        elif kind == "Pass":
            if "Parameters" in state:
                effective = paths.render(state["Parameters"], effective, context)
            result = state.get("Result", effective)
            self._finish_state(execution, name, state, raw, result, selector=False)
        else:
            self._task(execution, name, state, raw, effective)

    def _task(
        self, execution: Execution, name: str, state: Mapping[str, Any], raw: Any, effective: Any
    ) -> None:
        resource = state["Resource"]
        token = secrets.token_urlsafe(48) if resource.endswith(CALLBACK_SUFFIX) else None
        context = execution.context(name, self.now, token)
        parameters = paths.render(state.get("Parameters", effective), effective, context)
        scheduled = {"resource": resource, "parameters": parameters}
        self._event(execution, "TaskScheduled", name, scheduled)
        if token is not None:
            # Issued before the call: a subscriber may answer while the publish is in flight.
            deadline = self.now + state.get("TimeoutSeconds", DEFAULT_TASK_TIMEOUT)
            callback = Callback(token, execution, name, raw, deadline)
            self.callbacks[token] = callback
            execution.waiting = callback
            try:
                self.integrations.call(resource, parameters, execution)
            except StatesError:
                callback.closed = True
                execution.waiting = None
                raise
            return
        result = self.integrations.call(resource, parameters, execution)
        self._event(execution, "TaskSucceeded", name, {"output": result})
        self._finish_state(execution, name, state, raw, result)

    def _finish_state(
        self,
        execution: Execution,
        name: str,
        state: Mapping[str, Any],
        raw: Any,
        result: Any,
        *,
        selector: bool = True,
    ) -> None:
        """ResultSelector, ResultPath, OutputPath, then the transition."""
        context = execution.context(name, self.now)
        if selector and "ResultSelector" in state:
            result = paths.render(state["ResultSelector"], result, context)
        combined = paths.apply_result_path(state.get("ResultPath", "$"), raw, result)
        output = paths.apply_input_path(state.get("OutputPath", "$"), combined, context)
        self._transition(execution, name, state, output, state.get("Next"))

    def _transition(
        self, execution: Execution, name: str, state: Mapping[str, Any], output: Any, target: Any
    ) -> None:
        self._event(execution, f"{state['Type']}StateExited", name, {"output": output})
        self._reset_retries(execution, name)
        if state.get("End") or target is None:
            self._end(execution, "SUCCEEDED", output=output)
            return
        execution.current, execution.data = target, output

    # -- errors ----------------------------------------------------------------------------

    def _handle(self, execution: Execution, name: str, raw: Any, error: StatesError) -> None:
        """Retry (first retrier whose ErrorEquals matches), else Catch, else fail the run."""
        state = execution.states[name]
        for index, retrier in enumerate(state.get("Retry", [])):
            if not matches(retrier["ErrorEquals"], error.error):
                continue
            done = execution.retries.get((name, index), 0)
            if done < retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS):
                delay = retrier.get("IntervalSeconds", DEFAULT_INTERVAL) * (
                    retrier.get("BackoffRate", DEFAULT_BACKOFF) ** done
                )
                delay = min(delay, retrier.get("MaxDelaySeconds", delay))
                execution.retries[(name, index)] = done + 1
                self.advance(delay)
                execution.current, execution.data = name, raw
                return
            break  # this retrier is spent: the catchers decide
        for catcher in state.get("Catch", []):
            if matches(catcher["ErrorEquals"], error.error):
                output = paths.apply_result_path(
                    catcher.get("ResultPath", "$"), raw, error.as_output()
                )
                self._event(execution, f"{state['Type']}StateExited", name, {"caught": error.error})
                self._reset_retries(execution, name)
                execution.current, execution.data = catcher["Next"], output
                return
        self._fail(execution, error)

    def _fail(self, execution: Execution, error: StatesError) -> None:
        self._end(execution, "FAILED", error=error.error, cause=error.cause)

    @staticmethod
    def _reset_retries(execution: Execution, name: str) -> None:
        for key in [key for key in execution.retries if key[0] == name]:
            del execution.retries[key]

    # -- bookkeeping -----------------------------------------------------------------------

    def _end(self, execution: Execution, status: str, **fields: Any) -> None:
        execution.status = status
        for key, value in fields.items():
            setattr(execution, key, value)
        kind = {
            "SUCCEEDED": "ExecutionSucceeded",
            "FAILED": "ExecutionFailed",
            "ABORTED": "ExecutionAborted",
        }[status]
        self._event(execution, kind, detail=fields)

    def _open(self, token: str) -> Callback:
        callback = self.callbacks.get(token)
        if callback is None:
            raise InvalidToken("Invalid Token: the token was not issued by this state machine")
        if callback.closed:
            raise TaskTimedOut("Task Timed Out: the task of this token has already closed")
        return callback

    @staticmethod
    def _close(callback: Callback) -> Execution:
        callback.closed = True
        callback.execution.waiting = None
        return callback.execution

    def _event(
        self,
        execution: Execution,
        kind: str,
        state: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        execution.history.append(HistoryEvent(kind, state, dict(detail or {}), self.now))


def _field(state: Mapping[str, Any], name: str, data: Any, context: Any) -> str:
    """A Fail state's Error or Cause: the literal, or the string its ``...Path`` selects."""
    if f"{name}Path" in state:
        value = paths.select(state[f"{name}Path"], data, context)
        if not isinstance(value, str):
            raise StatesError(RUNTIME, f"{name}Path must select a string")
        return value
    return state.get(name, "")


def _wait_seconds(state: Mapping[str, Any], data: Any, context: Any, now: float) -> float:
    """A Wait state's duration: Seconds, SecondsPath, Timestamp or TimestampPath (state-wait)."""
    if "Seconds" in state:
        return float(state["Seconds"])
    if "SecondsPath" in state:
        value = paths.select(state["SecondsPath"], data, context)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise StatesError(RUNTIME, "SecondsPath must select a non-negative integer")
        return float(value)
    stamp = state.get("Timestamp")
    if "TimestampPath" in state:
        stamp = paths.select(state["TimestampPath"], data, context)
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise StatesError(RUNTIME, f"invalid Wait timestamp {stamp!r}") from exc
    return max(0.0, moment - now)
