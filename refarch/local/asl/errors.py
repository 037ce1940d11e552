"""Errors as Step Functions names them, and how a Retry or Catch matches them.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

from collections.abc import Sequence

#: Matches any error name except ``States.Runtime`` (same page: "A retry or catch on
#: States.ALL won't catch States.Runtime errors").
ALL = "States.ALL"
#: A Task failed, or (in a Retry/Catch) any error but ``States.Timeout``.
TASK_FAILED = "States.TaskFailed"
#: A Task ran longer than its ``TimeoutSeconds`` or missed a heartbeat.
TIMEOUT = "States.Timeout"
#: The execution could not process something (a path that selects nothing, no Choice
#: matched and no Default): never retried, never caught.
RUNTIME = "States.Runtime"
#: No Choice rule matched and the state has no ``Default`` (state-choice.html: "the state
#: machine will throw an error due to a failure to transition out of the state").
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
#: A ``States.*`` intrinsic function failed.
INTRINSIC_FAILURE = "States.IntrinsicFailure"


class StatesError(Exception):
    """An error a state raised: its name and cause, as a Catch's result shows them."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause

    def as_output(self) -> dict[str, str]:
        """What a Catch puts at its ResultPath: ``{"Error": ..., "Cause": ...}``."""
        return {"Error": self.error, "Cause": self.cause}


def matches(error_equals: Sequence[str], error: str) -> bool:
    """Return True if a retrier's or catcher's ``ErrorEquals`` covers ``error``.

    ``States.ALL`` covers every error but ``States.Runtime``; ``States.TaskFailed`` covers
    every error but ``States.Timeout`` (and ``States.Runtime``); other names match exactly
    (concepts-error-handling.html, "Error names").
    """
    if error == RUNTIME:
        return False
    for name in error_equals:
        if name in (error, ALL):
            return True
        if name == TASK_FAILED and error != TIMEOUT:
            return True
    return False
