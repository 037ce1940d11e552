"""Lambda's SQS poller: receive, batch, filter, invoke, delete what succeeded.

What the poller does, and where AWS says so:

- It reads the queue with the function's **execution role**: ``sqs:ReceiveMessage``,
  ``sqs:DeleteMessage`` and ``sqs:GetQueueAttributes`` are the permissions the role needs
  (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions); the
  runner makes those calls with a session of that role, so a grant missing from the role fails
  the run with AccessDenied.
- It gathers a batch of up to ``BatchSize`` messages, waiting up to
  ``MaximumBatchingWindowInSeconds`` (none: it invokes with what one receive returned) and never
  past a 6 MB payload (``batching``;
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
- Each message becomes a record in the documented shape
  (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event).
- Messages the filter criteria reject are deleted without an invocation
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html).
- The function is invoked synchronously; messages of a successful batch are deleted. A failed
  batch, or the ``batchItemFailures`` of a partial batch response, are left in the queue: they
  come back when their visibility timeout ends, and the queue's redrive policy moves a message
  received ``maxReceiveCount`` times to its dead-letter queue
  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html,
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
  moto's SQS applies the visibility timeout and the redrive; the runner moves SQS's clock
  (``queue_clock``) instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.local.lambda_runtime.invocation import Invocation
from refarch.local.sources.event_source_mappings.batching import Batch
from refarch.local.sources.event_source_mappings.mapping import EventSourceMapping
from refarch.local.sources.event_source_mappings.responses import BatchResult, batch_result

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator

#: ReceiveMessage returns at most 10 messages per call
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
MAX_MESSAGES_PER_RECEIVE = 10
#: The message attributes (system attributes) the documented event carries.
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
)


def queue_url(queue_arn: str) -> str:
    """The queue's URL from its ARN (Lambda addresses the queue without GetQueueUrl)."""
    _, _, _, region, account, name = queue_arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def sqs_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """Build the event record Lambda gives the function for one received message."""
    attributes = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: attributes[k] for k in RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": value.get("BinaryListValues", []),
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


@dataclass
class BatchInvocation:
    """One batch the poller sent to the function, and what became of each message."""

    message_ids: list[str]
    invocation: Invocation
    result: BatchResult


@dataclass
class PollReport:
    """What a ``drain()`` did: batches, deletions, filtered and retried messages."""

    batches: list[BatchInvocation] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    """Message ids deleted after their batch (or their item) succeeded."""

    filtered: list[str] = field(default_factory=list)
    """Message ids deleted because no filter matched them."""

    returned: list[str] = field(default_factory=list)
    """Message ids left in the queue after a failure (one entry per failed receive)."""

    waited_seconds: float = 0.0
    """SQS time that passed: visibility timeouts and batching windows."""

    left_in_queue: int = 0
    """Messages still in the queue when the drain stopped (0 unless ``max_batches`` was hit)."""

    error: str = ""
    """Why the poller stopped early: a call its role may not make (AccessDenied), as the
    mapping's ``LastProcessingResult`` would say in AWS."""


class SqsPoller:
    """Lambda's poller for one SQS event source mapping."""

    data_key = "body"

    def __init__(self, emulator: Emulator, mapping: EventSourceMapping) -> None:
        self._emulator = emulator
        self.mapping = mapping
        self.url = queue_url(mapping.event_source_arn)
        self._held: list[dict[str, Any]] = []

    def _sqs(self) -> Any:
        session = self._emulator.lambda_service.execution_role_session(self.mapping.function_arn)
        return session.client("sqs")

    def visibility_timeout(self) -> int:
        """The queue's visibility timeout, read with the execution role (GetQueueAttributes)."""
        attributes = self._sqs().get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["VisibilityTimeout"]
        )["Attributes"]
        return int(attributes["VisibilityTimeout"])

    def _in_queue(self) -> int:
        """Messages visible or in flight (the runner's view, as the deployer)."""
        attributes = self._emulator.client("sqs").get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def _receive(self, sqs: Any, count: int) -> list[dict[str, Any]]:
        return sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(count, MAX_MESSAGES_PER_RECEIVE),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])

    def _gather(self, sqs: Any, report: PollReport) -> Batch:
        """Receive until the batch is full, the window has passed, or 6 MB is reached."""
        mapping, emu = self.mapping, self._emulator
        batch = Batch(mapping.batch_size)
        while self._held and batch.fits(self._held[0]):
            batch.add(self._held.pop(0))
        while not batch.full and not self._held:
            messages = self._receive(sqs, mapping.batch_size - len(batch.records))
            for message in messages:
                record = sqs_record(message, queue_arn=mapping.event_source_arn, region=emu.region)
                if not mapping.filter_criteria.matches(record, self.data_key):
                    sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                    report.filtered.append(message["MessageId"])
                    emu.trace.line(f"filtered out {message['MessageId'][:8]}: deleted", 3)
                elif batch.fits(record):
                    batch.add(record)
                else:
                    self._held.append(record)  # the next batch starts with it
            if not messages or mapping.maximum_batching_window_seconds == 0:
                break
        if batch.records and not batch.full and not self._held:
            # Not full: Lambda waited out the window before invoking.
            emu.queue_clock.advance(mapping.maximum_batching_window_seconds)
            report.waited_seconds += mapping.maximum_batching_window_seconds
        return batch

    def drain(self, *, max_batches: int = 1000) -> PollReport:
        """Poll until the queue is empty (retries and redrives included), or ``max_batches``.

        When every remaining message is in flight after a failure, the runner lets the queue's
        visibility timeout pass (SQS time only) and polls again, as the poller would.
        """
        emu, mapping = self._emulator, self.mapping
        report = PollReport()
        if not mapping.enabled:
            emu.trace.line(f"event source mapping {mapping.logical_id} is disabled: no polling", 2)
            return report
        try:
            self._poll(report, max_batches)
        except ClientError as exc:
            report.error = str(exc)
            emu.trace.line(f"✗ the poller stopped: {exc}", 2)
        report.left_in_queue = self._in_queue()
        return report

    def _poll(self, report: PollReport, max_batches: int) -> None:
        emu, mapping = self._emulator, self.mapping
        sqs = self._sqs()
        visibility = self.visibility_timeout()
        name = mapping.event_source_arn.rsplit(":", 1)[-1]
        while len(report.batches) < max_batches:
            batch = self._gather(sqs, report)
            if not batch.records:
                if not self._in_queue():
                    break
                emu.queue_clock.advance(visibility)
                report.waited_seconds += visibility
                emu.trace.line(
                    f"messages in flight: their visibility timeout ({visibility} s) passes", 3
                )
                continue
            report.batches.append(self._invoke(sqs, batch, report, name))

    def _invoke(self, sqs: Any, batch: Batch, report: PollReport, queue: str) -> BatchInvocation:
        emu, mapping = self._emulator, self.mapping
        ids = [record["messageId"] for record in batch.records]
        size_kb = batch.payload_bytes / 1024
        emu.trace.line(
            f"SQS poller: {queue} → {mapping.function_arn.rsplit(':', 1)[-1]} "
            f"({len(ids)} messages, {size_kb:.1f} KB)",
            2,
        )
        invocation = emu.lambda_service.invoke(mapping.function_arn, batch.event())
        result = batch_result(
            ids,
            error=str(invocation.error) if invocation.error else None,
            response=invocation.result,
            report_batch_item_failures=mapping.report_batch_item_failures,
        )
        describe = emu.lambda_service.describe_result
        if invocation.error:
            emu.trace.line(f"✗ {str(invocation.error).splitlines()[0]}", 3)
        else:
            emu.trace.line(f"← returned {describe(invocation.result)}", 3)
        for record in batch.records:
            if record["messageId"] in result.failed:
                report.returned.append(record["messageId"])
                continue
            sqs.delete_message(QueueUrl=self.url, ReceiptHandle=record["receiptHandle"])
            report.deleted.append(record["messageId"])
        if result.failed:
            emu.trace.line(
                f"{len(result.failed)} of {len(ids)} left in the queue "
                f"({result.reason.splitlines()[0]}); "
                f"{len(ids) - len(result.failed)} deleted",
                3,
            )
        else:
            emu.trace.line(f"{len(ids)} deleted", 3)
        return BatchInvocation(message_ids=ids, invocation=invocation, result=result)
