"""One Firehose delivery stream with a Kinesis source, emulated: read, transform, deliver.

``drain()`` does in one pass what the delivery stream does continuously, with the roles it is
configured with (each assumed as ``firehose.amazonaws.com``, IAM enforced):

1. Read the source stream from each shard's checkpoint until caught up (source role).
2. Buffer the records per the Lambda processor's ``BufferSizeInMBs`` (and Lambda's 6 MB payload
   limit); the end of the drain stands for ``BufferIntervalInSeconds`` elapsing: nothing sleeps.
3. Invoke the transform synchronously with each batch (processor role, ``lambda:InvokeFunction``);
   a failed invocation or a response that breaks the contract is retried ``NumberOfRetries``
   times, then every record of the batch goes to the error prefix as ``processing-failed``.
4. ``Ok`` records: delimiter appended if configured, converted to Parquet if configured, grouped
   by their partition keys, buffered per the destination's ``BufferingHints`` (end of drain
   again stands for the interval), compressed and written under the evaluated ``Prefix``;
   ``Dropped`` records are counted; ``ProcessingFailed`` ones go to the ``ErrorOutputPrefix``
   (destination role: ``s3:PutObject`` and, for SSE-KMS, the key).
5. Errors (failed invocations, failed writes) are written to the delivery stream's CloudWatch
   Logs stream, when logging is enabled (destination role: ``logs:PutLogEvents``).

A write Firehose cannot make loses its records in the end (AWS retries for up to a day first):
the runner records them as lost events, which fails the run.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from refarch.local.identities import assume_role_as_service
from refarch.local.lambda_runtime.invocation import LostEvent
from refarch.local.sources.firehose import format_conversion, prefixes, transformation
from refarch.local.sources.firehose.configuration import (
    AppendDelimiter,
    DeliveryStreamConfig,
    LambdaProcessor,
)
from refarch.local.sources.firehose.s3_objects import (
    PARTITIONING_FAILED,
    FailedRecord,
    compress,
    error_lines,
)
from refarch.local.sources.firehose.stream_reader import ShardReader
from refarch.local.sources.firehose.transformation import SourceRecord, TransformedRecord
from refarch.local.trace import size

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.lambda_runtime.service import LambdaService

FIREHOSE_PRINCIPAL = "firehose.amazonaws.com"


@dataclass(frozen=True)
class DeliveredRecord:
    """A record on its way to the destination (after the transform)."""

    source: SourceRecord
    data: bytes
    partition_keys: dict[str, str]


@dataclass(frozen=True)
class WrittenObject:
    """An object Firehose wrote (or failed to write)."""

    key: str
    records: int
    size: int
    error_output_type: str | None = None
    """None for the destination prefix; ``processing-failed``… for the error prefix."""


@dataclass
class DrainReport:
    """What one drain did with the records it read: every record in is accounted for."""

    delivery_stream: str
    records_in: int = 0
    delivered: int = 0
    """``Ok`` records written under the destination prefix."""

    dropped: int = 0
    failed: int = 0
    """Records written under the error prefix (processing, conversion, partitioning failures)."""

    lost: int = 0
    """Records Firehose could write nowhere."""

    batches: int = 0
    invocations: int = 0
    objects: list[WrittenObject] = field(default_factory=list)
    records: list[SourceRecord] = field(default_factory=list)
    """The records read from the source, in the order read."""

    read_error: str | None = None
    """Why the source stream could not be read (its records stay in the stream)."""

    log_failures: list[str] = field(default_factory=list)
    """Error log entries Firehose could not write."""

    @property
    def balanced(self) -> bool:
        """Return True if records in = delivered + dropped + failed, none lost."""
        return self.records_in == self.delivered + self.dropped + self.failed and not self.lost

    @property
    def ok(self) -> bool:
        """Return True if the drain read the stream, lost nothing and logged every error."""
        return self.balanced and self.read_error is None and not self.log_failures

    def counts(self) -> str:
        """The balance as a sentence: ``records in 40 = 31 delivered + 4 dropped + 5 failed``."""
        lost = f" + {self.lost} LOST" if self.lost else ""
        return (
            f"records in {self.records_in} = {self.delivered} delivered + {self.dropped} dropped "
            f"+ {self.failed} failed{lost}"
        )


class DeliveryStream:
    """The runner's emulation of one delivery stream (see the module docstring)."""

    def __init__(
        self, emulator: LocalAccount, config: DeliveryStreamConfig, *, lambda_service: LambdaService
    ) -> None:
        self.emulator = emulator
        self._lambda = lambda_service
        self.config = config
        self.checkpoints: dict[str, str] = {}
        """Shard id -> last sequence number read: a second drain reads only new records."""

        self.reports: list[DrainReport] = []
        self.lost: list[LostEvent] = []
        self._sessions: dict[str, boto3.Session] = {}
        self._columns: list[format_conversion.Column] | None = None

    # -- identities -----------------------------------------------------------------------------

    def session(self, role_arn: str) -> boto3.Session:
        """Return a session of ``role_arn`` as Firehose obtains it (trust policy checked)."""
        if role_arn not in self._sessions:
            emu = self.emulator
            self._sessions[role_arn] = assume_role_as_service(
                emu.deployer,
                role_arn,
                service=FIREHOSE_PRINCIPAL,
                session_name=f"Firehose-{self.config.name}"[:64],
                account_id=emu.account_id,
                context={"sts:ExternalId": emu.account_id, "aws:SourceArn": self.config.arn},
            )
        return self._sessions[role_arn]

    # -- the drain ------------------------------------------------------------------------------

    def drain(self) -> DrainReport:
        """Read what is new in the source stream and deliver it; return the accounting."""
        config, trace = self.config, self.emulator.trace
        report = DrainReport(config.name)
        self.reports.append(report)
        source = config.source
        stream_name = source.stream_arn.rsplit("/", 1)[-1]
        # Checkpoints move only once the whole read succeeded: a failed read loses nothing.
        reader = ShardReader(
            self.session(source.role_arn).client("kinesis"),
            source.stream_arn,
            dict(self.checkpoints),
        )
        trace.line(
            f"→ Firehose {config.name} reads {stream_name} (role {_name(source.role_arn)}), "
            f"delivers to s3://{config.destination.bucket}"
        )
        try:
            records = list(reader.read())
        except ClientError as exc:
            report.read_error = str(exc)
            trace.line(f"✗ Firehose could not read the stream: {exc}", 2)
            self._log_error(report, _error_code("Kinesis", exc), str(exc))
            return report
        self.checkpoints = reader.checkpoints
        report.records_in = len(records)
        report.records = records
        shards = defaultdict(int)
        for record in records:
            shards[record.shard_id] += 1
        per_shard = ", ".join(f"{shard}: {count}" for shard, count in sorted(shards.items()))
        trace.line(
            f"{len(records)} new records ({per_shard or 'none'}; {reader.calls} Kinesis calls)", 2
        )
        delivered, failed = self._transform(records, report)
        delivered, conversion_failed = self._convert(delivered)
        delivered, partitioning_failed = self._partition(delivered)
        self._write_destination(delivered, report)
        self._write_errors([*failed, *conversion_failed, *partitioning_failed], report)
        mark = "✓" if report.balanced else "✗"
        trace.line(f"{mark} {report.counts()}", 2)
        return report

    # -- transformation -------------------------------------------------------------------------

    def _batches(
        self, records: Sequence[SourceRecord], processor: LambdaProcessor
    ) -> Iterator[list[SourceRecord]]:
        batch: list[SourceRecord] = []
        buffered = 0
        payload = transformation.EVENT_OVERHEAD_BYTES
        for record in records:
            grows = transformation.event_size(len(record.data))
            full = buffered + len(record.data) > processor.buffer_size_bytes
            too_big = payload + grows > transformation.LAMBDA_PAYLOAD_LIMIT
            if batch and (full or too_big):
                yield batch
                batch, buffered, payload = [], 0, transformation.EVENT_OVERHEAD_BYTES
            batch.append(record)
            buffered += len(record.data)
            payload += grows
        if batch:  # the end of the drain stands for BufferIntervalInSeconds elapsing
            yield batch

    def _transform(
        self, records: Sequence[SourceRecord], report: DrainReport
    ) -> tuple[list[DeliveredRecord], list[FailedRecord]]:
        destination = self.config.destination
        processor = destination.lambda_processor
        if processor is None:
            delivered = [DeliveredRecord(r, r.data, {}) for r in records]
            failed: list[FailedRecord] = []
        else:
            delivered, failed = self._invoke_batches(records, processor, report)
        for step in destination.processors:
            if isinstance(step, AppendDelimiter):
                delivered = [
                    DeliveredRecord(r.source, r.data + step.delimiter, r.partition_keys)
                    for r in delivered
                ]
        return delivered, failed

    def _invoke_batches(
        self, records: Sequence[SourceRecord], processor: LambdaProcessor, report: DrainReport
    ) -> tuple[list[DeliveredRecord], list[FailedRecord]]:
        delivered: list[DeliveredRecord] = []
        failed: list[FailedRecord] = []
        for batch in self._batches(records, processor):
            report.batches += 1
            outcome = self._invoke(batch, processor, report)
            if isinstance(outcome, _BatchFailure):
                failed.extend(outcome.record(r, processor.function_arn) for r in batch)
                continue
            results, attempt = outcome
            code, message = transformation.PROCESSING_FAILED_STATUS
            status_failure = _BatchFailure(code, message, attempt, datetime.now(UTC))
            for record in batch:
                result = results[record.record_id]
                if result.result == "Ok":
                    delivered.append(DeliveredRecord(record, result.data, result.partition_keys))
                elif result.result == "Dropped":
                    report.dropped += 1
                else:
                    failed.append(status_failure.record(record, processor.function_arn))
        return delivered, failed

    def _invoke(
        self, batch: list[SourceRecord], processor: LambdaProcessor, report: DrainReport
    ) -> tuple[dict[str, TransformedRecord], int] | _BatchFailure:
        """Invoke the transform, retrying as configured; return its records and the attempt."""
        trace, config = self.emulator.trace, self.config
        service = self._lambda
        lam = self.session(processor.role_arn).client("lambda")
        attempts = 1 + processor.number_of_retries
        ids = [r.record_id for r in batch]
        code, message = "", ""
        for attempt in range(1, attempts + 1):
            detail = ""
            event = transformation.transformation_event(
                batch,
                invocation_id=str(uuid.uuid4()),
                delivery_stream_arn=config.arn,
                source_stream_arn=config.source.stream_arn,
                region=self.emulator.region,
            )
            before = len(service.invocations)
            report.invocations += 1
            results: dict[str, TransformedRecord] | None = None
            try:
                response = lam.invoke(
                    FunctionName=processor.function_arn,
                    InvocationType="RequestResponse",
                    Payload=json.dumps(event).encode(),
                )
            except ClientError as exc:
                code, message = _error_code("Lambda", exc, invoke=True), str(exc)
            else:
                payload = response["Payload"].read()
                if response.get("FunctionError"):
                    code, message = transformation.FUNCTION_ERROR
                    raised = next((i.error for i in service.invocations[before:] if i.error), None)
                    detail = f" ({raised})" if raised else ""
                else:
                    try:
                        results = transformation.parse_response(json.loads(payload), ids)
                    except transformation.InvalidResponseError as exc:
                        code, message = exc.code, exc.message
                    except ValueError as exc:
                        code, message = transformation.INVALID_RESPONSE, str(exc)
            self._trace_invocation(service.invocations[before:], batch, attempt, attempts)
            if results is not None:
                trace.line(f"← returned {transformation.describe_results(results)}", 3)
                return results, attempt
            trace.line(f"✗ {code}: {message}{detail}", 3)
            self._log_error(report, code, message, processor=processor.function_arn)
        trace.line(
            f"→ after {attempts} attempts (1 + NumberOfRetries) its {len(batch)} records go to "
            f"the error prefix as {prefixes.PROCESSING_FAILED}",
            3,
        )
        return _BatchFailure(code, message, attempts, datetime.now(UTC))

    def _trace_invocation(
        self, invocations: list[Any], batch: list[SourceRecord], attempt: int, attempts: int
    ) -> None:
        trace = self.emulator.trace
        detail = ""
        if invocations:
            invocation = invocations[-1]
            detail = f", request {invocation.request_id[:8]}"
            if invocation.init_duration_ms is not None:
                detail += f", cold start {invocation.init_duration_ms:.0f} ms"
        processor = self.config.destination.lambda_processor
        name = _name(processor.function_arn) if processor else "?"
        batch_bytes = sum(len(r.data) for r in batch)
        trace.line(
            f"batch of {len(batch)} records ({size(batch_bytes)}) → {name} "
            f"(sync, attempt {attempt}/{attempts}{detail})",
            2,
        )
        for invocation in invocations:
            for failure in invocation.platform_failures:
                trace.line(f"✗ Lambda could not {failure.what}: {failure.error}", 3)

    # -- format conversion and partitioning -----------------------------------------------------

    def _convert(
        self, records: list[DeliveredRecord]
    ) -> tuple[list[DeliveredRecord], list[FailedRecord]]:
        """Check each record converts to the Glue table's columns (written as Parquet later)."""
        conversion = self.config.destination.format_conversion
        if conversion is None or not records:
            return records, []
        now = datetime.now(UTC)
        try:
            columns = self._table_columns()
        except ClientError as exc:
            code = _error_code("DataFormatConversion", exc)
            self.emulator.trace.line(f"✗ Firehose could not read the Glue table: {exc}", 2)
            return [], [self._conversion_failure(r, code, str(exc), now) for r in records]
        kept: list[DeliveredRecord] = []
        failed: list[FailedRecord] = []
        for record in records:
            try:
                format_conversion.to_row(record.data, columns, conversion)
            except format_conversion.ConversionError as exc:
                code = "DataFormatConversion.MalformedData"
                failed.append(self._conversion_failure(record, code, str(exc), now))
            else:
                kept.append(record)
        return kept, failed

    def _conversion_failure(
        self, record: DeliveredRecord, code: str, message: str, ending: datetime
    ) -> FailedRecord:
        return FailedRecord(
            record.source,
            prefixes.FORMAT_CONVERSION_FAILED,
            code,
            message,
            attempts=1,
            attempt_ending=ending,
            raw_data=record.data,
            conversion=self.config.destination.format_conversion,
        )

    def _table_columns(self) -> list[format_conversion.Column]:
        if self._columns is None:
            conversion = self.config.destination.format_conversion
            assert conversion is not None
            glue = self.session(conversion.role_arn).client("glue")
            arguments = {"CatalogId": conversion.catalog_id, "DatabaseName": conversion.database}
            if conversion.version_id in ("", "LATEST"):
                table = glue.get_table(Name=conversion.table, **arguments)["Table"]
            else:
                table = glue.get_table_version(
                    TableName=conversion.table, VersionId=conversion.version_id, **arguments
                )["TableVersion"]["Table"]
            self._columns = format_conversion.columns_of(table)
        return self._columns

    def _partition(
        self, records: list[DeliveredRecord]
    ) -> tuple[list[DeliveredRecord], list[FailedRecord]]:
        """Keep the records whose partition keys the prefix can be evaluated with."""
        destination = self.config.destination
        if not destination.dynamic_partitioning:
            return records, []
        kept: list[DeliveredRecord] = []
        failed: list[FailedRecord] = []
        now = datetime.now(UTC)
        for record in records:
            try:
                prefixes.evaluate(
                    destination.prefix, arrival=now, partition_keys=record.partition_keys
                )
            except prefixes.MissingPartitionKeyError as exc:
                failed.append(
                    FailedRecord(
                        record.source,
                        PARTITIONING_FAILED,
                        "DynamicPartitioning.MissingPartitionKey",
                        str(exc),
                        attempts=1,
                        attempt_ending=now,
                        raw_data=record.data,
                    )
                )
            else:
                kept.append(record)
        return kept, failed

    # -- delivery -------------------------------------------------------------------------------

    def _partition_values(self, record: DeliveredRecord) -> tuple[str, ...]:
        return tuple(
            record.partition_keys.get(e.value, "")
            for e in prefixes.expressions(self.config.destination.prefix)
            if e.namespace == "partitionKeyFromLambda"
        )

    def _chunks(self, records: list[Any], sizes: list[int]) -> Iterator[list[Any]]:
        """Cut records into objects of at most the destination buffer size (one at least)."""
        limit = self.config.destination.buffer_size_bytes
        chunk: list[Any] = []
        buffered = 0
        for record, record_size in zip(records, sizes, strict=True):
            if chunk and buffered + record_size > limit:
                yield chunk
                chunk, buffered = [], 0
            chunk.append(record)
            buffered += record_size
        if chunk:  # the end of the drain stands for IntervalInSeconds elapsing
            yield chunk

    def _write_destination(self, records: list[DeliveredRecord], report: DrainReport) -> None:
        destination = self.config.destination
        groups: dict[tuple[str, ...], list[DeliveredRecord]] = defaultdict(list)
        for record in records:
            groups[self._partition_values(record)].append(record)
        for group in groups.values():
            for chunk in self._chunks(group, [len(r.data) for r in group]):
                oldest = self._local(min(r.source.arrival for r in chunk))
                prefix = prefixes.evaluate(
                    destination.prefix, arrival=oldest, partition_keys=chunk[0].partition_keys
                )
                name = prefixes.object_name(
                    self.config.name, self.config.version, oldest, destination.extension
                )
                if destination.format_conversion is not None:
                    columns = self._table_columns()
                    rows = [
                        format_conversion.to_row(r.data, columns, destination.format_conversion)
                        for r in chunk
                    ]
                    body = format_conversion.parquet_object(
                        rows, columns, destination.format_conversion
                    )
                else:
                    body = compress(b"".join(r.data for r in chunk), destination.compression, name)
                if self._put(prefix + name, body, len(chunk), None, report):
                    report.delivered += len(chunk)

    def _write_errors(self, records: list[FailedRecord], report: DrainReport) -> None:
        destination = self.config.destination
        groups: dict[str, list[FailedRecord]] = defaultdict(list)
        for record in records:
            groups[record.error_output_type].append(record)
        emu = self.emulator
        catalog = f"arn:{emu.partition}:glue:{emu.region}:{emu.account_id}:catalog"
        extension = destination.extension if destination.format_conversion is None else ""
        for error_type, group in groups.items():
            documents = [r.document(catalog) for r in group]
            sizes = [len(error_lines([d])) for d in documents]
            for chunk in self._chunks(list(zip(group, documents, strict=True)), sizes):
                oldest = self._local(min(r.source.arrival for r, _ in chunk))
                prefix = prefixes.evaluate(
                    destination.error_prefix, arrival=oldest, error_output_type=error_type
                )
                name = prefixes.object_name(
                    self.config.name, self.config.version, oldest, extension
                )
                compression = (
                    destination.compression
                    if destination.format_conversion is None
                    else "UNCOMPRESSED"
                )
                body = compress(error_lines([d for _, d in chunk]), compression, name)
                if self._put(prefix + name, body, len(chunk), error_type, report):
                    report.failed += len(chunk)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.config.destination.time_zone)

    def _put(
        self, key: str, body: bytes, records: int, error_type: str | None, report: DrainReport
    ) -> bool:
        destination = self.config.destination
        arguments: dict[str, Any] = {"Bucket": destination.bucket, "Key": key, "Body": body}
        if destination.kms_key_arn:
            arguments.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=destination.kms_key_arn)
        trace = self.emulator.trace
        label = f" ({error_type})" if error_type else ""
        try:
            self.session(destination.role_arn).client("s3").put_object(**arguments)
        except ClientError as exc:
            trace.line(f"✗ LOST: could not write {key}: {exc}", 2)
            self._log_error(report, _error_code("S3", exc), str(exc))
            report.lost += records
            self.lost.append(
                LostEvent(
                    f"firehose:{self.config.name}", {"key": key, "records": records}, str(exc)
                )
            )
            return False
        report.objects.append(WrittenObject(key, records, len(body), error_type))
        trace.line(f"→ {key}{label}: {records} records, {size(len(body))}", 2)
        return True

    def _log_error(
        self, report: DrainReport, code: str, message: str, *, processor: str = ""
    ) -> None:
        """Write an error to the delivery stream's CloudWatch Logs stream, as Firehose does."""
        destination = self.config.destination
        if not destination.log_group or not destination.log_stream:
            return
        entry: dict[str, Any] = {
            "deliveryStreamARN": self.config.arn,
            "destination": destination.bucket_arn,
            "deliveryStreamVersionId": self.config.version,
            "message": message,
            "errorCode": code,
        }
        if processor:
            entry["processor"] = processor
        try:
            self.session(destination.role_arn).client("logs").put_log_events(
                logGroupName=destination.log_group,
                logStreamName=destination.log_stream,
                logEvents=[
                    {
                        "timestamp": transformation.epoch_ms(datetime.now(UTC)),
                        "message": json.dumps(entry),
                    }
                ],
            )
        except ClientError as exc:
            report.log_failures.append(str(exc))
            self.emulator.trace.line(f"✗ Firehose could not write its error log: {exc}", 3)


@dataclass(frozen=True)
class _BatchFailure:
    """Why every record of a batch failed (or one record, for a ProcessingFailed result)."""

    code: str
    message: str
    attempts: int
    ending: datetime

    def record(self, source: SourceRecord, lambda_arn: str) -> FailedRecord:
        return FailedRecord(
            source,
            prefixes.PROCESSING_FAILED,
            self.code,
            self.message,
            attempts=self.attempts,
            attempt_ending=self.ending,
            lambda_arn=lambda_arn,
        )


def _name(arn: str) -> str:
    """The last part of an ARN (a function, role or stream name)."""
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def _error_code(service: str, exc: ClientError, *, invoke: bool = False) -> str:
    """Return Firehose's code for a failed call, e.g. ``S3.AccessDenied``."""
    error = exc.response.get("Error", {})
    code = error.get("Code", "Unknown")
    if "not authorized to perform" in error.get("Message", ""):
        code = "AccessDenied"
    if invoke and "AccessDenied" in code:
        return "Lambda.InvokeAccessDenied"
    if invoke and code == "ResourceNotFoundException":
        return "Lambda.ResourceNotFound"
    return f"{service}.{code.removesuffix('Exception')}"
