"""The Firehose service of one emulator: the delivery streams deployed in it, by name and ARN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from refarch.local.errors import LocalRunnerError
from refarch.local.lambda_runtime.invocation import LostEvent
from refarch.local.sources.firehose.configuration import DeliveryStreamConfig
from refarch.local.sources.firehose.delivery_stream import DeliveryStream, DrainReport

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.lambda_runtime.service import LambdaService


class FirehoseService:
    """Keep each delivery stream's emulation (and its shard checkpoints) for the emulator's life."""

    def __init__(self, emulator: LocalAccount, *, lambda_service: LambdaService) -> None:
        self._emulator = emulator
        self._lambda = lambda_service
        self._streams: dict[str, DeliveryStream] = {}
        self._waited: dict[str, float] = {}
        """Delivery stream ARN -> seconds passed since ``pass_time`` last drained it."""

    def register(self, config: DeliveryStreamConfig) -> DeliveryStream:
        """Add a delivery stream created by the provisioner."""
        stream = DeliveryStream(self._emulator, config, lambda_service=self._lambda)
        self._streams[config.arn] = stream
        return stream

    def delivery_stream(self, name_or_arn: str) -> DeliveryStream:
        """Return a deployed delivery stream by name or ARN."""
        for stream in self._streams.values():
            if name_or_arn in (stream.config.arn, stream.config.name):
                return stream
        raise LocalRunnerError(f"no delivery stream {name_or_arn} was deployed in this emulator")

    def pass_time(self, seconds: float) -> list[DrainReport]:
        """Let ``seconds`` pass: each stream whose buffering interval has elapsed delivers.

        Firehose reads its source continuously and sends a batch to the destination "when the
        specified destination buffering size or buffering interval is reached, whichever happens
        first" (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html;
        https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html). The scenarios
        write far less than a buffer's size, so here a stream drains (reads, transforms and
        writes in one pass) each time its destination's ``IntervalInSeconds`` has passed.
        """
        reports = []
        for arn, stream in self._streams.items():
            waited = self._waited.get(arn, 0.0) + seconds
            if waited >= stream.config.destination.buffer_interval_seconds:
                reports.append(stream.drain())
                waited = 0.0
            self._waited[arn] = waited
        return reports

    @property
    def reports(self) -> list[DrainReport]:
        """Every drain of every delivery stream, in order per stream."""
        return [report for stream in self._streams.values() for report in stream.reports]

    @property
    def lost(self) -> list[LostEvent]:
        """Records a delivery stream could write nowhere, across all of them."""
        return [lost for stream in self._streams.values() for lost in stream.lost]
