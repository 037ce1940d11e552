"""Step Functions' execution APIs answered by the runner's interpreter, not moto's records.

The emulator runs each execution in its own ASL interpreter (``sources.step_functions``); moto
keeps only a record of its start. Inside ``executions_answered_by``, the APIs a person or a
scenario uses on an execution (after moto's IAM check) answer from the interpreter, as Step
Functions answers them:

- ``DescribeExecution``: status, ``output`` (SUCCEEDED), ``error``/``cause`` (FAILED, ABORTED),
  ``stopDate`` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html);
- ``GetExecutionHistory``: every event with its documented details member
  (``stateEnteredEventDetails``, ``taskScheduledEventDetails``, ``taskSucceededEventDetails``,
  ``executionFailedEventDetails`` ...), oldest first unless ``reverseOrder``
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html);
- ``SendTaskSuccess`` / ``SendTaskFailure``: the waiting task ends; a token never issued is
  ``InvalidToken``, one whose task has closed (answered, timed out, stopped) ``TaskTimedOut``,
  an output that is not JSON ``InvalidOutput``
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).

An execution the interpreter does not know (none, in the emulator) falls through to moto.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.stepfunctions.responses import StepFunctionResponse

from refarch.local.asl.machine import InvalidOutput, InvalidToken, TaskTimedOut

if TYPE_CHECKING:
    from refarch.local.asl.machine import Execution, HistoryEvent
    from refarch.local.sources.step_functions import StepFunctionsService

#: The details member of each event type that carries one (GetExecutionHistory's HistoryEvent).
_STATE_DETAILS = {
    "StateEntered": "stateEnteredEventDetails",
    "StateExited": "stateExitedEventDetails",
}
_EXECUTION_DETAILS = {
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}
_TASK_DETAILS = {
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskSucceeded": "taskSucceededEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
}
_ENDED = ("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT")


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _task_resource(execution: Execution, state: str) -> dict[str, str]:
    """``resourceType``/``resource`` of a Task state (``sns``, ``publish.waitForTaskToken``)."""
    resource = str(execution.definition.get("States", {}).get(state, {}).get("Resource", ""))
    service, _, action = resource.split(":::", 1)[-1].partition(":")
    return {"resourceType": service, "resource": action}


def shaped_event(execution: Execution, number: int, event: HistoryEvent) -> dict[str, Any]:
    """One interpreter event in GetExecutionHistory's shape."""
    shaped: dict[str, Any] = {
        "id": number,
        "previousEventId": number - 1,
        "type": event.type,
        "timestamp": _moment(event.timestamp),
    }
    detail = event.detail
    for suffix, member in _STATE_DETAILS.items():
        if event.type.endswith(suffix):
            fields: dict[str, Any] = {"name": event.state}
            if "input" in detail:
                fields["input"] = _json(detail["input"])
            if "output" in detail:
                fields["output"] = _json(detail["output"])
            shaped[member] = fields
            return shaped
    if event.type in _EXECUTION_DETAILS:
        fields = {}
        for key in ("input", "output"):
            if key in detail:
                fields[key] = _json(detail[key])
        for key in ("error", "cause"):
            if detail.get(key):
                fields[key] = str(detail[key])
        shaped[_EXECUTION_DETAILS[event.type]] = fields
    elif event.type in _TASK_DETAILS:
        if event.type == "TaskScheduled":
            resource = str(detail.get("resource", ""))
            service, _, action = resource.split(":::", 1)[-1].partition(":")
            fields = {"resourceType": service, "resource": action}
            fields["parameters"] = _json(detail.get("parameters", {}))
        else:
            fields = _task_resource(execution, event.state)
        if "output" in detail:
            fields["output"] = _json(detail["output"])
        for key in ("error", "cause"):
            if detail.get(key):
                fields[key] = str(detail[key])
        shaped[_TASK_DETAILS[event.type]] = fields
    return shaped


def _error(code: str, message: str) -> tuple[int, dict[str, str], str]:
    # moto takes a returned response's status from its headers.
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-ErrorType": code,
        "status": "400",
    }
    return 400, headers, json.dumps({"__type": code, "message": message})


def _answered_by(service: StepFunctionsService) -> dict[str, Any]:
    """The replacement methods of ``StepFunctionResponse``, answering from ``service``."""
    original_describe = StepFunctionResponse.describe_execution
    original_history = StepFunctionResponse.get_execution_history

    def describe_execution(self: BaseResponse) -> Any:
        execution = service.executions.get(self._get_param("executionArn"))
        if execution is None:
            return original_describe(self)
        response: dict[str, Any] = {
            "executionArn": execution.arn,
            "stateMachineArn": execution.state_machine_arn,
            "name": execution.name,
            "status": execution.status,
            "startDate": _moment(execution.start_time),
            "input": _json(execution.input),
        }
        if execution.status in _ENDED:
            ended = execution.history[-1].timestamp if execution.history else execution.start_time
            response["stopDate"] = _moment(ended)
        if execution.status == "SUCCEEDED":
            response["output"] = _json(execution.output)
        if execution.error:
            response["error"] = execution.error
        if execution.cause:
            response["cause"] = execution.cause
        return ActionResult(response)

    def get_execution_history(self: BaseResponse) -> Any:
        execution = service.executions.get(self._get_param("executionArn"))
        if execution is None:
            return original_history(self)
        events = [
            shaped_event(execution, number, event)
            for number, event in enumerate(execution.history, start=1)
        ]
        if self._get_param("reverseOrder"):
            events.reverse()
        return ActionResult({"events": events})

    def send_task_success(self: BaseResponse) -> Any:
        try:
            service.send_task_success(self._get_param("taskToken"), self._get_param("output"))
        except (InvalidToken, TaskTimedOut, InvalidOutput) as exc:
            return _error(type(exc).__name__, str(exc))
        return EmptyResult()

    def send_task_failure(self: BaseResponse) -> Any:
        try:
            service.send_task_failure(
                self._get_param("taskToken"),
                self._get_param("error") or "",
                self._get_param("cause") or "",
            )
        except (InvalidToken, TaskTimedOut) as exc:
            return _error(type(exc).__name__, str(exc))
        return EmptyResult()

    return {
        "describe_execution": describe_execution,
        "get_execution_history": get_execution_history,
        "send_task_success": send_task_success,
        "send_task_failure": send_task_failure,
    }


@contextmanager
def executions_answered_by(service: StepFunctionsService) -> Iterator[None]:
    """Inside the block, the execution APIs (after moto's IAM check) answer from ``service``."""
    with mock.patch.multiple(StepFunctionResponse, **_answered_by(service)):
        yield
