"""The local ASL interpreter: each rule against the AWS page it comes from (see the modules)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refarch.local.asl.errors import StatesError
from refarch.local.asl.machine import (
    Execution,
    Interpreter,
    InvalidOutput,
    InvalidToken,
    TaskTimedOut,
    UnsupportedDefinitionError,
)
from refarch.local.asl.paths import UnsupportedPathError

LAMBDA = "arn:aws:states:::lambda:invoke"
PUBLISH = "arn:aws:states:::sns:publish.waitForTaskToken"


class Scripted:
    """Integrations answering from a script: a value, or a StatesError to raise."""

    def __init__(self, answers: dict[str, list[Any]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, Any]] = []
        self.elapsed: list[float] = []

    def call(self, resource: str, parameters: Any, execution: Execution) -> Any:
        self.calls.append((resource, parameters))
        queue = self.answers.get(resource, [])
        answer = queue.pop(0) if queue else {"ok": True}
        if isinstance(answer, StatesError):
            raise answer
        return answer

    def elapse(self, seconds: float) -> None:
        self.elapsed.append(seconds)


def run(definition: dict[str, Any], payload: Any = None, **answers: list[Any]):
    integrations = Scripted({resource: list(values) for resource, values in answers.items()})
    interpreter = Interpreter(integrations, start=1_700_000_000.0)
    execution = Execution(
        arn="arn:aws:states:us-east-1:123456789012:execution:M:e1",
        name="e1",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:M",
        role_arn="arn:aws:iam::123456789012:role/R",
        definition=definition,
        input={} if payload is None else payload,
        start_time=interpreter.now,
    )
    interpreter.start(execution)
    return interpreter, execution, integrations


def lambda_task(**extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": LAMBDA, "Parameters": {"Payload.$": "$"}, **extra}


def test_paths_select_place_and_filter_the_data() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": lambda_task(
                InputPath="$.job",
                ResultSelector={"answer.$": "$.Payload.value"},
                ResultPath="$.result",
                OutputPath="$.result",
                End=True,
            )
        },
    }
    _, execution, calls = run(
        definition, {"job": {"x": 1}}, **{LAMBDA: [{"Payload": {"value": 7}}]}
    )
    assert calls.calls == [(LAMBDA, {"Payload": {"x": 1}})]
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"answer": 7}


def test_result_path_null_keeps_the_input_and_nested_paths_create_objects() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "Next": "Q"},
            "Q": {"Type": "Pass", "Result": 2, "ResultPath": None, "End": True},
        },
    }
    _, execution, _ = run(definition, {"keep": True})
    assert execution.output == {"keep": True, "a": {"b": 1}}


def test_choice_rules_route_and_a_missing_variable_is_a_runtime_error() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.n", "IsPresent": True},
                            {"Variable": "$.n", "NumericGreaterThan": 3},
                        ],
                        "Next": "Big",
                    },
                    {"Variable": "$.s", "StringEquals": "x", "Next": "X"},
                ],
                "Default": "Other",
            },
            "Big": {"Type": "Succeed"},
            "X": {"Type": "Succeed"},
            "Other": {"Type": "Fail", "Error": "Nothing", "Cause": "no match"},
        },
    }
    assert run(definition, {"n": 4})[1].history[-2].state == "Big"
    assert run(definition, {"n": "4", "s": "x"})[1].history[-2].state == "X"
    # "4" is no number, and a string comparison of a missing $.s is a runtime error.
    failed = run(definition, {"n": 1})[1]
    assert (failed.status, failed.error) == ("FAILED", "States.Runtime")


def test_retry_backs_off_then_the_catcher_takes_the_error() -> None:
    boom = StatesError("Lambda.ServiceException", "throttled")
    definition = {
        "StartAt": "T",
        "States": {
            "T": lambda_task(
                Retry=[
                    {
                        "ErrorEquals": ["Lambda.ServiceException"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 3,
                        "BackoffRate": 3,
                        "MaxDelaySeconds": 10,
                    }
                ],
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "F"}],
                End=True,
            ),
            "F": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }
    _, execution, calls = run(definition, {"k": 1}, **{LAMBDA: [boom] * 4})
    assert len(calls.calls) == 4
    assert calls.elapsed == [2, 6, 10]  # 2, 2*3, min(2*9, 10)
    assert (execution.error, execution.cause) == ("Lambda.ServiceException", "throttled")


def test_a_retry_that_succeeds_resumes_with_the_result() -> None:
    definition = {
        "StartAt": "T",
        "States": {"T": lambda_task(Retry=[{"ErrorEquals": ["States.ALL"]}], End=True)},
    }
    _, execution, calls = run(definition, **{LAMBDA: [StatesError("X"), {"done": 1}]})
    assert execution.output == {"done": 1}
    assert calls.elapsed == [1]


def test_states_all_does_not_catch_a_runtime_error() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Parameters": {"Payload.$": "$.missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }
    _, execution, calls = run(definition, {})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert calls.calls == []


def approval(timeout: int = 3600) -> dict[str, Any]:
    return {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": PUBLISH,
                "TimeoutSeconds": timeout,
                "Parameters": {"Message": {"token.$": "$$.Task.Token", "id.$": "$$.Execution.Id"}},
                "ResultPath": "$.decision",
                "Catch": [
                    {"ErrorEquals": ["States.Timeout"], "Next": "Expired"},
                    {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "No"},
                ],
                "Next": "Yes",
            },
            "Yes": {"Type": "Succeed"},
            "No": {"Type": "Fail", "Error": "Rejected"},
            "Expired": {"Type": "Fail", "Error": "Expired"},
        },
    }


def token_of(calls: Scripted) -> str:
    return calls.calls[-1][1]["Message"]["token"]


def test_a_callback_task_waits_and_resumes_with_the_output() -> None:
    interpreter, execution, calls = run(approval(), {"v": 1})
    assert execution.status == "RUNNING" and execution.waiting is not None
    assert calls.calls[0][1]["Message"]["id"] == execution.arn
    interpreter.send_task_success(token_of(calls), json.dumps({"by": "alice"}))
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"v": 1, "decision": {"by": "alice"}}


def test_a_closed_or_unknown_token_is_refused_as_the_api_refuses_it() -> None:
    interpreter, execution, calls = run(approval())
    token = token_of(calls)
    with pytest.raises(InvalidOutput):
        interpreter.send_task_success(token, "not json")
    interpreter.send_task_failure(token, "Rejected", "by bob")
    assert (execution.status, execution.error) == ("FAILED", "Rejected")
    with pytest.raises(TaskTimedOut):  # a second decision on the same task
        interpreter.send_task_success(token, "{}")
    with pytest.raises(InvalidToken):
        interpreter.send_task_success("never-issued", "{}")


def test_a_callback_past_its_timeout_fails_with_states_timeout() -> None:
    interpreter, execution, calls = run(approval(timeout=60))
    token = token_of(calls)
    interpreter.advance(59)
    assert execution.status == "RUNNING"
    interpreter.advance(1)
    assert (execution.status, execution.error) == ("FAILED", "Expired")
    assert [e.type for e in execution.history if e.state == "Ask"][-2:] == [
        "TaskTimedOut",
        "TaskStateExited",
    ]
    with pytest.raises(TaskTimedOut):
        interpreter.send_task_success(token, "{}")


def test_wait_states_move_the_virtual_clock_and_bound_a_poll() -> None:
    definition = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.polls", "Next": "Describe"},
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint",
                "Parameters": {"EndpointName": "e"},
                "ResultSelector": {"status.$": "$.EndpointStatus"},
                "ResultPath": "$.endpoint",
                "Next": "Ready?",
            },
            "Ready?": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.endpoint.status", "StringEquals": "InService", "Next": "Done"}
                ],
                "Default": "Count",
            },
            "Count": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.polls, 1)"},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    # States.MathRandom is outside the supported subset: refused loudly, never guessed.
    definition["States"]["Count"]["Parameters"] = {"n.$": "States.MathRandom(1, 9)"}
    with pytest.raises(UnsupportedPathError):
        run(
            definition,
            {},
            **{
                "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint": [
                    {"EndpointStatus": "Creating"}
                ]
            },
        )
    definition["States"]["Count"] = {"Type": "Wait", "Seconds": 30, "Next": "Describe"}
    interpreter, execution, calls = run(
        definition,
        {},
        **{
            "arn:aws:states:::aws-sdk:sagemaker:describeEndpoint": [
                {"EndpointStatus": "Creating"},
                {"EndpointStatus": "Creating"},
                {"EndpointStatus": "InService"},
            ]
        },
    )
    assert execution.status == "SUCCEEDED"
    assert calls.elapsed == [30, 30]
    assert interpreter.now == 1_700_000_060.0


def test_intrinsic_format_and_json_round_trip() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {
                    "text.$": "States.Format('v{} of {}', $.v, $.g)",
                    "json.$": "States.JsonToString($.o)",
                    "back.$": "States.StringToJson($.s)",
                    "sum.$": "States.MathAdd($.v, -1)",
                },
                "End": True,
            }
        },
    }
    _, execution, _ = run(definition, {"v": 3, "g": "grp", "o": {"a": 1}, "s": "[1]"})
    assert execution.output == {"text": "v3 of grp", "json": '{"a":1}', "back": [1], "sum": 2}


@pytest.mark.parametrize(
    "definition",
    [
        {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True}}},
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}},
        {"StartAt": "A", "TimeoutSeconds": 5, "States": {"A": {"Type": "Succeed"}}},
        {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}},
    ],
)
def test_what_the_interpreter_does_not_run_is_refused_before_it_starts(definition) -> None:
    with pytest.raises(UnsupportedDefinitionError):
        run(definition)


@given(
    interval=st.integers(1, 30),
    attempts=st.integers(0, 6),
    backoff=st.sampled_from([1.0, 1.5, 2.0, 3.0]),
    cap=st.one_of(st.none(), st.integers(1, 100)),
)
def test_retry_attempts_and_delays_follow_the_retrier(interval, attempts, backoff, cap) -> None:
    retrier: dict[str, Any] = {
        "ErrorEquals": ["States.TaskFailed"],
        "IntervalSeconds": interval,
        "MaxAttempts": attempts,
        "BackoffRate": backoff,
    }
    if cap is not None:
        retrier["MaxDelaySeconds"] = cap
    definition = {"StartAt": "T", "States": {"T": lambda_task(Retry=[retrier], End=True)}}
    _, execution, calls = run(definition, **{LAMBDA: [StatesError("Boom")] * (attempts + 1)})
    expected = [interval * backoff**n for n in range(attempts)]
    if cap is not None:
        expected = [min(delay, cap) for delay in expected]
    assert len(calls.calls) == attempts + 1
    assert calls.elapsed == expected
    assert (execution.status, execution.error) == ("FAILED", "Boom")


def test_a_stopped_execution_ends_aborted_and_its_token_is_refused() -> None:
    interpreter, execution, calls = run(approval())
    token = token_of(calls)
    interpreter.stop(execution, "Superseded", "superseded by version 8")
    assert (execution.status, execution.error, execution.cause) == (
        "ABORTED",
        "Superseded",
        "superseded by version 8",
    )
    assert execution.history[-1].type == "ExecutionAborted"
    with pytest.raises(TaskTimedOut):
        interpreter.send_task_success(token, "{}")
    interpreter.advance(7200)  # its timeout passes: nothing runs on an aborted execution
    assert execution.status == "ABORTED" and execution.history[-1].type == "ExecutionAborted"
    interpreter.stop(execution, "Again", "no effect")  # stopping an ended execution
    assert execution.error == "Superseded"


def test_intrinsic_array_length_and_get_item() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {
                    "n.$": "States.ArrayLength($.a)",
                    "second.$": "States.ArrayGetItem($.a, 1)",
                    "at.$": "States.ArrayGetItem($.a, $.i)",
                },
                "End": True,
            }
        },
    }
    _, execution, _ = run(definition, {"a": [{"x": 1}, {"x": 2}], "i": 0})
    assert execution.output == {"n": 2, "second": {"x": 2}, "at": {"x": 1}}
    definition["States"]["P"]["Parameters"] = {"at.$": "States.ArrayGetItem($.a, 2)"}
    _, execution, _ = run(definition, {"a": [1, 2]})
    assert (execution.status, execution.error) == ("FAILED", "States.IntrinsicFailure")
