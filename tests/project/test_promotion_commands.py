"""``refarch promote`` / ``refarch reject``: the token from the history, the decision sent.

AWS is stubbed (botocore's Stubber checks each request against the service model); the local
run's use of the same functions is covered by the staged-model-promotion demo.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from refarch import cli
from refarch.promotion_commands import NoPendingPromotionError, task_token

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:Promotion:abc"
APPROVER = "arn:aws:iam::123456789012:user/alice"


def scheduled(token: str, *, as_text: bool = False) -> dict[str, Any]:
    message: Any = {"taskToken": token, "version": 3}
    return {
        "id": 7,
        "type": "TaskScheduled",
        "timestamp": "2026-12-04T10:00:00Z",
        "taskScheduledEventDetails": {
            "resourceType": "sns",
            "resource": "publish.waitForTaskToken",
            "region": "us-east-1",
            "parameters": json.dumps(
                {
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                    "Message": json.dumps(message) if as_text else message,
                }
            ),
        },
    }


def test_the_last_promotion_request_gives_the_token() -> None:
    other = {"type": "TaskScheduled", "taskScheduledEventDetails": {"resource": "invoke"}}
    history = [scheduled("first"), other, scheduled("second", as_text=True)]
    assert task_token(history) == "second"


def test_an_execution_that_never_asked_has_no_token() -> None:
    with pytest.raises(NoPendingPromotionError):
        task_token([{"type": "ExecutionStarted"}])


@pytest.fixture
def aws(monkeypatch):
    states = boto3.client("stepfunctions", region_name="us-east-1")
    sts = boto3.client("sts", region_name="us-east-1")
    clients = {"stepfunctions": states, "sts": sts}
    monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
    with Stubber(states) as states_stub, Stubber(sts) as sts_stub:
        sts_stub.add_response(
            "get_caller_identity", {"Arn": APPROVER, "UserId": "AID", "Account": "123456789012"}
        )
        states_stub.add_response(
            "get_execution_history",
            {"events": [scheduled("tok")]},
            {"executionArn": EXECUTION},
        )
        yield states_stub


def test_promote_sends_task_success_with_the_approver(aws, capsys) -> None:
    output = json.dumps({"decision": "promote", "approver": APPROVER})
    aws.add_response("send_task_success", {}, {"taskToken": "tok", "output": output})
    assert cli.main(["promote", EXECUTION]) == 0
    assert f"promoted {EXECUTION} as {APPROVER}" in capsys.readouterr().out


def test_reject_sends_task_failure_with_who_and_why(aws) -> None:
    aws.add_response(
        "send_task_failure",
        {},
        {"taskToken": "tok", "error": "Rejected", "cause": f"rejected by {APPROVER}: too soon"},
    )
    assert cli.main(["reject", EXECUTION, "--reason", "too soon"]) == 0


def test_a_promotion_no_longer_waiting_is_reported_not_raised(aws, capsys) -> None:
    aws.add_client_error("send_task_success", service_error_code="TaskTimedOut")
    assert cli.main(["promote", EXECUTION]) == 1
    assert "no longer waiting" in capsys.readouterr().err
