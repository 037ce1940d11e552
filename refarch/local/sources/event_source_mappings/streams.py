"""Lambda's stream poller for Kinesis and DynamoDB Streams (the same rules): shards in order.

What the poller does, and where AWS says so:

- Reads each shard from its checkpoint with the function's execution role (the ``Shards``
  sources: ``kinesis``, ``dynamodb_streams``), from ``TRIM_HORIZON``, or only records that
  arrived after the mapping was created (``LATEST``) or after ``StartingPositionTimestamp``
  (``AT_TIMESTAMP``) (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html).
- ``ParallelizationFactor``: up to 10 batches of one shard at once, records with the same
  partition key always in order (same page). The runner splits each shard into that many lanes
  by the ordering key and runs the lanes one batch at a time, each lane with its own checkpoint.
- Batches of up to ``BatchSize`` records, never past the 6 MB payload (``batching``); a batch
  that is not full waited out ``MaximumBatchingWindowInSeconds`` (the runner moves the clock).
- Records the filter criteria reject are skipped: checkpointed without an invocation
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
- A successful batch moves the checkpoint past its last record. A failed invocation (error,
  timeout, invalid partial batch response) retries the whole batch; with
  ``ReportBatchItemFailures``, the checkpoint moves to just before the lowest reported sequence
  number and everything from there is retried
  (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
- ``BisectBatchOnFunctionError``: a failed batch is split in two and each half retried, "regardless
  of your ReportBatchItemFailures setting"; with a partial response the batch is split at the
  returned sequence number (same page). Splitting does not consume the retry quota
  (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
- ``MaximumRetryAttempts`` (-1: until the record expires) and ``MaximumRecordAgeInSeconds``
  (-1: no limit): past either, the batch is discarded and, with an ``OnFailure`` destination, its
  description (``on_failure``) is sent there with the execution role (``sqs:SendMessage``, and
  the queue's key for an SSE-KMS queue); processing goes on with the next record (same page).

Not emulated: iterator expiry, throttling and read quotas (5 GetRecords/s per shard, 2 MB/s
shared by the stream's consumers), resharding (parent before child shards), enhanced fan-out
(``SubscribeToShard``), tumbling windows; lanes run one after the other, not concurrently.
"""

from __future__ import annotations

import json
import uuid
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from refarch.local.errors import LocalRunnerError
from refarch.local.lambda_runtime.destinations import send
from refarch.local.lambda_runtime.invocation import Invocation
from refarch.local.sources.event_source_mappings.batching import Batch
from refarch.local.sources.event_source_mappings.mapping import INFINITE, EventSourceMapping
from refarch.local.sources.event_source_mappings.on_failure import (
    RECORD_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    on_failure_record,
)
from refarch.local.sources.event_source_mappings.responses import batch_result
from refarch.local.sources.event_source_mappings.stream_records import StreamRecord

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.lambda_runtime.service import LambdaService


#: With ``MaximumRetryAttempts`` -1 and no age limit, Lambda retries a failing batch until its
#: records leave the stream (retention); the runner gives up after this many retries instead of
#: looping, and reports the shard as blocked.
LOCAL_RETRY_CAP = 50


class BlockedShardError(Exception):
    """A batch that would be retried until its records expire."""


class Shards(Protocol):
    """A stream source: its shards, their records, and how a discarded batch is described."""

    batch_info_key: str
    source_label: str

    def shards(self) -> list[str]:
        """The source's shard ids."""
        ...

    def read(self, shard_id: str, after: str | None) -> list[StreamRecord]:
        """The shard's records after sequence number ``after`` (all of them if None)."""
        ...

    def batch_info(self, records: list[StreamRecord]) -> dict[str, Any]:
        """How the on-failure record describes a discarded batch."""
        ...


@dataclass
class StreamBatch:
    """One invocation of the function with a batch of stream records."""

    sequence_numbers: list[str]
    invocation: Invocation
    failed: frozenset[str]
    reason: str


@dataclass
class Discarded:
    """A batch Lambda gave up on, and where its description went."""

    sequence_numbers: list[str]
    condition: str
    destination: str | None
    body: dict[str, Any]
    error: str = ""
    """Why the description could not be sent (the role may not send to the destination)."""


@dataclass
class StreamReport:
    """What a ``drain()`` did."""

    batches: list[StreamBatch] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)
    """Sequence numbers checkpointed after the function succeeded for them."""

    filtered: list[str] = field(default_factory=list)
    discarded: list[Discarded] = field(default_factory=list)
    read: int = 0
    error: str = ""
    """Why the poller stopped: a call its role may not make."""

    @property
    def discarded_sequence_numbers(self) -> list[str]:
        """Every record discarded (retries or age exhausted)."""
        return [s for d in self.discarded for s in d.sequence_numbers]


@dataclass
class _Lane:
    """A slice of one shard's records by ordering key: one concurrent batch of the shard."""

    pending: list[StreamRecord] = field(default_factory=list)


class StreamPoller:
    """Lambda's poller for one Kinesis (or DynamoDB Streams) event source mapping."""

    def __init__(
        self,
        emulator: LocalAccount,
        mapping: EventSourceMapping,
        shards: Shards,
        *,
        lambda_service: LambdaService,
    ) -> None:
        if mapping.stream is None:
            raise LocalRunnerError(f"{mapping.logical_id}: not a stream mapping")
        self._emulator = emulator
        self._lambda = lambda_service
        self.mapping = mapping
        self.settings = mapping.stream
        self.source = shards
        self.created_at = emulator.queue_clock.now()
        self.checkpoints: dict[str, str] = {}
        """Shard id -> the last sequence number read from it."""
        self._lanes: dict[tuple[str, int], _Lane] = {}

    # -- reading ----------------------------------------------------------------------------

    def _start_time(self) -> float | None:
        if self.settings.starting_position == "LATEST":
            return self.created_at
        if self.settings.starting_position == "AT_TIMESTAMP":
            return self.settings.starting_position_timestamp
        return None

    def _read_new(self, report: StreamReport) -> None:
        start = self._start_time()
        factor = self.settings.parallelization_factor
        for shard_id in self.source.shards():
            records = self.source.read(shard_id, self.checkpoints.get(shard_id))
            if records:
                self.checkpoints[shard_id] = records[-1].sequence_number
            for record in records:
                if start is not None and record.arrival < start:
                    continue
                report.read += 1
                lane = zlib.crc32(record.ordering_key.encode()) % factor
                self._lanes.setdefault((shard_id, lane), _Lane()).pending.append(record)

    # -- processing -------------------------------------------------------------------------

    def now(self) -> float:
        """The service's clock (moved, not slept, by batching windows and scenarios)."""
        return self._emulator.queue_clock.now()

    def drain(self) -> StreamReport:
        """Read every shard to its end and process every record (retries included)."""
        report = StreamReport()
        emu = self._emulator
        if not self.mapping.enabled:
            emu.trace.line(f"event source mapping {self.mapping.logical_id} is disabled", 2)
            return report
        try:
            self._read_new(report)
            for lane in self._lanes.values():
                while lane.pending:
                    self._next_batch(lane, report)
        except (ClientError, BlockedShardError) as exc:
            report.error = str(exc)
            emu.trace.line(f"✗ the poller stopped: {exc}", 2)
        return report

    def _expired(self, record: StreamRecord) -> bool:
        age = self.settings.maximum_record_age_seconds
        return age != INFINITE and self.now() - record.arrival > age

    def _next_batch(self, lane: _Lane, report: StreamReport) -> None:
        """Form the next batch at the head of the lane and see it through."""
        expired = []
        while lane.pending and self._expired(lane.pending[0]):
            expired.append(lane.pending.pop(0))
        if expired:
            self._discard(expired, RECORD_AGE_EXCEEDED, 0, "", report)
            return
        batch = Batch(self.mapping.batch_size)
        taken: list[StreamRecord] = []
        while lane.pending and batch.fits(lane.pending[0].event_record):
            record = lane.pending.pop(0)
            if not self.mapping.filter_criteria.matches_view(record.filter_view):
                report.filtered.append(record.sequence_number)
                continue
            batch.add(record.event_record)
            taken.append(record)
        if not taken:
            return
        if not batch.full and not lane.pending:
            self._emulator.queue_clock.advance(self.mapping.maximum_batching_window_seconds)
        self._see_through(taken, report, retries=0)

    def _see_through(self, records: list[StreamRecord], report: StreamReport, retries: int) -> None:
        """Invoke with ``records`` until each is processed or discarded (retries, bisection)."""
        settings = self.settings
        invocations = 0
        while records:
            if any(self._expired(r) for r in records):
                self._discard(records, RECORD_AGE_EXCEEDED, invocations, "", report)
                return
            invocations += 1
            invocation, failed, reason = self._invoke(records, report)
            if not failed:
                report.processed.extend(r.sequence_number for r in records)
                return
            index = min(i for i, r in enumerate(records) if r.sequence_number in failed)
            report.processed.extend(r.sequence_number for r in records[:index])
            remaining = records[index:]
            if settings.bisect_batch_on_function_error and len(remaining) > 1:
                half = len(remaining) // 2
                self._emulator.trace.line(
                    f"bisect: {len(remaining)} records split into {half} + {len(remaining) - half}",
                    3,
                )
                self._see_through(remaining[:half], report, retries)
                self._see_through(remaining[half:], report, retries)
                return
            retries += 1
            limit = settings.maximum_retry_attempts
            if limit == INFINITE and retries > LOCAL_RETRY_CAP:
                raise BlockedShardError(
                    f"{records[0].shard_id} is blocked: a batch failed {retries} times and, with "
                    "MaximumRetryAttempts -1, Lambda retries it until its records expire"
                )
            if limit != INFINITE and retries > limit:
                error = invocation.error.error_type if invocation.error else "PartialBatchFailure"
                self._discard(remaining, RETRIES_EXHAUSTED, invocations, error, report)
                return
            self._emulator.trace.line(f"retry {retries} of {len(remaining)} records ({reason})", 3)
            records = remaining

    def _invoke(
        self, records: list[StreamRecord], report: StreamReport
    ) -> tuple[Invocation, frozenset[str], str]:
        emu, mapping = self._emulator, self.mapping
        event = {"Records": [r.event_record for r in records]}
        size_kb = len(json.dumps(event).encode()) / 1024
        emu.trace.line(
            f"{self.source.source_label} poller: {records[0].shard_id} → "
            f"{mapping.function_arn.rsplit(':', 1)[-1]} ({len(records)} records, {size_kb:.1f} KB)",
            2,
        )
        invocation = self._lambda.invoke(mapping.function_arn, event)
        ids = [r.sequence_number for r in records]
        result = batch_result(
            ids,
            error=str(invocation.error) if invocation.error else None,
            response=invocation.result,
            report_batch_item_failures=mapping.report_batch_item_failures,
        )
        if invocation.error:
            emu.trace.line(f"✗ {invocation.error}", 3)
        else:
            emu.trace.line(f"← returned {self._lambda.describe_result(invocation.result)}", 3)
        report.batches.append(StreamBatch(ids, invocation, result.failed, result.reason))
        return invocation, result.failed, result.reason

    def _discard(
        self,
        records: list[StreamRecord],
        condition: str,
        invocations: int,
        function_error: str,
        report: StreamReport,
    ) -> None:
        """Give up on ``records``: describe them to the on-failure destination, move on."""
        emu = self._emulator
        body = on_failure_record(
            function_arn=self.mapping.function_arn,
            request_id=str(uuid.uuid4()),
            condition=condition,
            invoke_count=invocations,
            function_error=function_error,
            batch_info_key=self.source.batch_info_key,
            batch_info=self.source.batch_info(records),
            now=self.now(),
        )
        target = self.settings.on_failure_destination
        discarded = Discarded([r.sequence_number for r in records], condition, target, body)
        report.discarded.append(discarded)
        if target is None:
            emu.trace.line(f"✗ {len(records)} records discarded ({condition}), no destination", 3)
            return
        session = self._lambda.execution_role_session(self.mapping.function_arn)
        try:
            send(session, target, json.dumps(body), {})
        except ClientError as exc:
            discarded.error = str(exc)
            emu.trace.line(f"✗ Lambda could not send the on-failure record: {exc}", 3)
            return
        emu.trace.line(
            f"→ {len(records)} record(s) discarded ({condition}): their position sent to "
            f"{target.rsplit(':', 1)[-1]}",
            3,
        )
