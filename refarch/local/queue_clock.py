"""SQS's clock in the emulator, moved forward instead of slept through.

SQS hides a received message for the queue's visibility timeout, and Lambda's pollers wait out a
batching window; tests and demos may not sleep. moto's SQS reads the time through
``moto.sqs.models.unix_time`` / ``unix_time_millis``; inside ``QueueClock.installed()`` both
return the real time plus an offset that ``advance()`` grows, so a message left in flight comes
back after its visibility timeout exactly as it would in AWS, without waiting for it. Only SQS's
clock moves: signatures, STS credentials and log timestamps keep the real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import moto.sqs.models as sqs_models
from moto.core.utils import unix_time as real_unix_time


class QueueClock:
    """The offset added to SQS's time, in seconds."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for SQS (visibility timeouts, delays, retention)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.offset_seconds += seconds

    def now(self) -> float:
        """SQS's current time, in seconds since the epoch."""
        return real_unix_time() + self.offset_seconds

    @contextmanager
    def installed(self) -> Iterator[QueueClock]:
        """Make moto's SQS read this clock for the duration of the block."""

        def unix_time(dt=None):
            return real_unix_time(dt) + (0.0 if dt is not None else self.offset_seconds)

        def unix_time_millis(dt=None):
            return unix_time(dt) * 1000.0

        with (
            mock.patch.object(sqs_models, "unix_time", unix_time),
            mock.patch.object(sqs_models, "unix_time_millis", unix_time_millis),
        ):
            yield self
