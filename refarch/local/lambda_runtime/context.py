"""The context object the Python runtime passes to a handler."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass
class LambdaContext:
    """What ``context`` carries in AWS (the attributes Powertools and handlers read).

    ``get_remaining_time_in_millis`` counts down from the function's timeout in real time.
    """

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_ms: float
    """Epoch milliseconds at which the invocation times out."""

    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        """Return the milliseconds left before the function's timeout."""
        return max(0, int(self.deadline_ms - time.time() * 1000))
