"""The time an emulated model takes to answer, moved forward instead of slept through.

A client timing ``InvokeEndpoint`` (the promotion gate's p99 latency) reads
``time.perf_counter()``. An emulated model answers at once; a model's ``latency_ms``
(``model.json``) says how long a real container would take. Inside ``InferenceClock.installed()``
``time.perf_counter`` is virtual: it stands still except for each answer's latency, so a client
measures exactly the emulated model's time, without the run sleeping (as ``queue_clock`` does
for SQS) and without the emulator's own in-process overhead, which no network call in AWS
would have and which would make the figures depend on the machine's load. Only
``time.perf_counter`` is replaced; wall-clock time, signatures and timestamps are real.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

_real_perf_counter = time.perf_counter


class InferenceClock:
    """A ``time.perf_counter`` that moves only by the models' answering time, in seconds."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0
        self._base = _real_perf_counter()

    def advance(self, seconds: float) -> None:
        """A model took ``seconds`` to answer."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.offset_seconds += seconds

    def perf_counter(self) -> float:
        """The counter when the clock was made, plus the models' answering time so far."""
        return self._base + self.offset_seconds

    @contextmanager
    def installed(self) -> Iterator[InferenceClock]:
        """Make ``time.perf_counter`` read this clock for the duration of the block."""
        with mock.patch.object(time, "perf_counter", self.perf_counter):
            yield self
