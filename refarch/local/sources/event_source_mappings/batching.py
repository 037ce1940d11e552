"""Batching, shared by Lambda's pollers: records gathered until the batch is full.

A poller invokes the function when the batch reaches ``BatchSize`` records, when the batching
window (``MaximumBatchingWindowInSeconds``) has passed, or when one more record would take the
invocation payload over 6 MB, the synchronous invocation limit
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching,
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The source-specific
part (how records are read, how the event wraps them) stays in each poller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Lambda's invocation payload limit for synchronous invocations (request and response).
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: The bytes of ``{"Records": []}`` around the records.
_ENVELOPE_BYTES = len(json.dumps({"Records": []}))


def record_size(record: dict[str, Any]) -> int:
    """Return the bytes a record adds to the JSON payload (separator included)."""
    return len(json.dumps(record).encode()) + 2


@dataclass
class Batch:
    """Records on their way to one invocation."""

    batch_size: int
    records: list[dict[str, Any]] = field(default_factory=list)
    payload_bytes: int = _ENVELOPE_BYTES

    @property
    def full(self) -> bool:
        """True when ``BatchSize`` records are in."""
        return len(self.records) >= self.batch_size

    def fits(self, record: dict[str, Any]) -> bool:
        """True if ``record`` can join without passing ``BatchSize`` or the 6 MB payload.

        A record alone over the limit still fits an empty batch: Lambda cannot split it, and the
        invocation fails, which the failure path then handles.
        """
        if self.full:
            return False
        return not self.records or self.payload_bytes + record_size(record) <= MAX_PAYLOAD_BYTES

    def add(self, record: dict[str, Any]) -> None:
        """Add ``record`` (call ``fits`` first)."""
        self.records.append(record)
        self.payload_bytes += record_size(record)

    def event(self) -> dict[str, Any]:
        """The invocation payload: ``{"Records": [...]}``."""
        return {"Records": list(self.records)}
