"""Lambda's event source mappings: pollers that read a source and invoke a function in batches.

The parts every poller shares live apart from the source-specific ones, so the Kinesis and
DynamoDB Streams pollers can join the SQS one:

- ``mapping``: the mapping's properties as Lambda keeps them, with their limits;
- ``filtering``: filter criteria (EventBridge's pattern syntax, the same matcher);
- ``batching``: batch size, batching window, the 6 MB payload;
- ``responses``: what a failed invocation or a partial batch response means;
- ``sqs``: receive, event shape, delete, visibility timeout and redrive, with the role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refarch.local.errors import LocalRunnerError
from refarch.local.sources.event_source_mappings.filtering import FilterCriteria
from refarch.local.sources.event_source_mappings.mapping import EventSourceMapping
from refarch.local.sources.event_source_mappings.sqs import PollReport, SqsPoller

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.lambda_runtime.service import LambdaService

__all__ = [
    "EventSourceMapping",
    "EventSourceMappings",
    "FilterCriteria",
    "PollReport",
    "SqsPoller",
]


class EventSourceMappings:
    """The mappings deployed in one emulator, each with its poller."""

    def __init__(self, emulator: LocalAccount, *, lambda_service: LambdaService) -> None:
        self._emulator = emulator
        self._lambda = lambda_service
        self.pollers: dict[str, SqsPoller] = {}

    def add(self, mapping: EventSourceMapping) -> SqsPoller:
        """Register a mapping created by the provisioner; return its poller."""
        if mapping.source_service != "sqs":
            raise LocalRunnerError(
                f"{mapping.logical_id}: event source mappings of {mapping.source_service} are "
                "not emulated yet (SQS only)"
            )
        poller = SqsPoller(self._emulator, mapping, lambda_service=self._lambda)
        self.pollers[mapping.uuid] = poller
        return poller

    def poller(self, uuid_or_logical_id: str) -> SqsPoller:
        """Return the poller of a mapping by UUID or logical id."""
        for uuid, poller in self.pollers.items():
            if uuid_or_logical_id in (uuid, poller.mapping.logical_id):
                return poller
        raise LocalRunnerError(f"no event source mapping {uuid_or_logical_id} in this emulator")
