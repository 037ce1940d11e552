r"""``refarch promote`` / ``refarch reject``: answer a promotion waiting for a person.

The state machine's ``AskForPromotion`` task publishes its task token and waits; the token is in
the execution's history (the ``TaskScheduled`` event's parameters), so the commands need only
the execution's ARN. They send what the AWS CLI would:

    aws stepfunctions send-task-success --task-token <token> \
        --task-output '{"decision": "promote", "approver": "<your ARN>"}'
    aws stepfunctions send-task-failure --task-token <token> \
        --error Rejected --cause "rejected by <your ARN>: <reason>"

(https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
Pure functions here; ``refarch.cli`` calls AWS, the local run calls the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

CALLBACK_RESOURCE = "publish.waitForTaskToken"
REJECTED = "Rejected"


class NoPendingPromotionError(LookupError):
    """The execution is not waiting for a decision (never asked, answered, or expired)."""


def task_token(history: Iterable[Mapping[str, Any]]) -> str:
    """The token of the execution's last promotion request, from GetExecutionHistory events."""
    token = None
    for event in history:
        details = event.get("taskScheduledEventDetails")
        if event.get("type") != "TaskScheduled" or not details:
            continue
        if details.get("resource") != CALLBACK_RESOURCE:
            continue
        parameters = json.loads(details.get("parameters") or "{}")
        message = parameters.get("Message")
        if isinstance(message, str):
            message = json.loads(message)
        if isinstance(message, Mapping) and isinstance(message.get("taskToken"), str):
            token = message["taskToken"]
    if token is None:
        raise NoPendingPromotionError("the execution has not asked for a promotion")
    return token


def promote_output(approver: str) -> str:
    """The task output ``SendTaskSuccess`` carries: the decision and who made it."""
    return json.dumps({"decision": "promote", "approver": approver})


def reject_cause(approver: str, reason: str) -> str:
    """The cause ``SendTaskFailure`` carries (error ``Rejected``)."""
    return f"rejected by {approver}: {reason or 'no reason given'}"
