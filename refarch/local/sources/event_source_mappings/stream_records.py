"""One record read from a stream shard, as the stream poller handles it (Kinesis or DynamoDB)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StreamRecord:
    """One record read from a shard, with what ordering and the event need."""

    shard_id: str
    sequence_number: str
    ordering_key: str
    """Records with the same key stay in order across a shard's concurrent batches."""

    arrival: float
    """Approximate arrival time, seconds since the epoch."""

    event_record: dict[str, Any]
    """The record as the function receives it."""

    filter_view: dict[str, Any]
    """What filter patterns are matched against."""
