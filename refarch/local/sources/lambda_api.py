"""Direct ``Invoke`` calls with ``InvocationType=Event``, as ``aws lambda invoke`` makes them.

A producer (or an operator replaying an event by hand) sends a payload straight to a function.
"""

from __future__ import annotations

from typing import Any

from refarch.local.lambda_runtime.invocation import AsyncOutcome
from refarch.local.sources.base import EventSource


class LambdaInvokeSource(EventSource):
    """Invoke a stack's functions through the Lambda API (the deployer is the caller)."""

    def invoke_async(self, function: str, payload: Any, *, note: str = "") -> AsyncOutcome:
        """Send ``payload`` as an asynchronous event to ``function`` (logical id, name or ARN).

        No resource-policy check applies: the caller is an IAM identity of the same account
        with ``lambda:InvokeFunction`` (the deployer has AdministratorAccess).
        """
        target = self.stack.resource(function).attributes["Arn"]
        self.emulator.trace.line(f"→ Invoke (Event) {target.rsplit(':', 1)[-1]} {note}".rstrip())
        return self.emulator.lambda_service.invoke_async(target, payload, source="lambda:Invoke")
