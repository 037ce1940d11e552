"""What an invocation produced: one attempt, an asynchronous event's fate, a lost event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorInfo:
    """A function error as Lambda reports it (``errorType``/``errorMessage``/``stackTrace``)."""

    error_type: str
    message: str
    stack_trace: list[str] = field(default_factory=list)

    @property
    def is_access_denied(self) -> bool:
        """Return True for an AWS AccessDenied error (what a missing permission causes)."""
        return "AccessDenied" in self.message or "AccessDenied" in self.error_type

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}"


@dataclass(frozen=True)
class PlatformFailure:
    """Something the Lambda service or an agent failed to do with the function's role.

    In AWS these fail quietly (logs or traces go missing, a DLQ send raises the
    ``DeadLetterErrors`` metric); the runner reports each one and fails the run.
    """

    what: str
    """E.g. ``ship logs to <group>``."""

    error: str


@dataclass
class Invocation:
    """One attempt to run the handler."""

    function_name: str
    request_id: str
    attempt: int
    event: Any
    result: Any = None
    error: ErrorInfo | None = None
    duration_ms: float = 0.0
    init_duration_ms: float | None = None
    """Set on a cold start: how long importing the handler module took."""

    log_lines: list[str] = field(default_factory=list)
    platform_failures: list[PlatformFailure] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """Return True if the handler returned (platform failures do not change that)."""
        return self.error is None


@dataclass
class AsyncOutcome:
    """What became of one asynchronously invoked event, after retries."""

    function_name: str
    event: Any
    attempts: list[Invocation] = field(default_factory=list)
    status: str = "pending"
    """``succeeded``, ``dead-lettered`` (DLQ or on-failure destination) or ``lost``."""

    destinations: list[str] = field(default_factory=list)
    """ARNs the failed event was sent to (DLQ, on-failure destination)."""

    reason: str = ""

    @property
    def request_id(self) -> str:
        """The request id the event kept across its retries."""
        return self.attempts[0].request_id if self.attempts else ""


@dataclass(frozen=True)
class LostEvent:
    """An event that reached no handler result and no DLQ or destination: data loss."""

    source: str
    event: Any
    reason: str
