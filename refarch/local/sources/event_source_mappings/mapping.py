"""An event source mapping as Lambda keeps it: the synthesized properties, checked and defaulted.

The properties and their defaults are the ``CreateEventSourceMapping`` parameters
(https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html); which apply
to a source, and their limits, are on each source's parameter page (SQS:
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html, Kinesis:
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html). A mapping the
runner cannot drive yet (a DynamoDB stream, a Kafka cluster) is refused by name at deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from refarch.local.errors import DeployError
from refarch.local.sources.event_source_mappings.filtering import FilterCriteria

#: Partial batch responses are enabled by this value of ``FunctionResponseTypes``.
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
#: The largest batching window any source accepts (seconds).
MAX_BATCHING_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class EventSourceMapping:
    """What one ``AWS::Lambda::EventSourceMapping`` tells Lambda's poller to do."""

    uuid: str
    logical_id: str
    function_arn: str
    event_source_arn: str
    batch_size: int
    maximum_batching_window_seconds: int
    report_batch_item_failures: bool
    filter_criteria: FilterCriteria
    enabled: bool = True
    maximum_concurrency: int | None = None
    """``ScalingConfig.MaximumConcurrency``: the runner invokes one batch at a time, so it is
    recorded, not applied."""

    stream: StreamSettings | None = None
    """The stream-only settings (Kinesis, DynamoDB Streams); ``None`` for a queue."""

    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source_service(self) -> str:
        """``sqs``, ``kinesis``, ``dynamodb``… from the source ARN."""
        return self.event_source_arn.split(":")[2]

    @property
    def fifo(self) -> bool:
        """True when the source is an SQS FIFO queue."""
        return self.source_service == "sqs" and self.event_source_arn.endswith(".fifo")


#: ``MaximumRetryAttempts`` and ``MaximumRecordAgeInSeconds``: -1 is "infinite" (the default).
INFINITE = -1


@dataclass(frozen=True)
class StreamSettings:
    """What only a stream mapping has: where to start, and what to do with failing records.

    Defaults and limits: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
    """

    starting_position: str
    """``TRIM_HORIZON``, ``LATEST`` or ``AT_TIMESTAMP``."""

    starting_position_timestamp: float | None = None
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = INFINITE
    maximum_record_age_seconds: int = INFINITE
    parallelization_factor: int = 1
    on_failure_destination: str | None = None
    """An SQS queue or SNS topic ARN: where Lambda sends a discarded batch's description."""


def stream_limits(logical_id: str, batch_size: int, window: int, stream: StreamSettings) -> None:
    """Refuse what Lambda refuses for a Kinesis or DynamoDB Streams mapping (the same limits).

    BatchSize 1-10,000; MaximumRecordAgeInSeconds -1 or 60-604,800; MaximumRetryAttempts
    -1-10,000; ParallelizationFactor 1-10; StartingPosition required
    (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html,
    https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
    """
    if not 1 <= batch_size <= 10_000:
        raise DeployError(f"{logical_id}: BatchSize must be between 1 and 10000 for a stream")
    if not 0 <= window <= MAX_BATCHING_WINDOW_SECONDS:
        raise DeployError(f"{logical_id}: MaximumBatchingWindowInSeconds must be 0-300")
    age = stream.maximum_record_age_seconds
    if age != INFINITE and not 60 <= age <= 604_800:
        raise DeployError(f"{logical_id}: MaximumRecordAgeInSeconds must be -1 or 60-604800")
    if not INFINITE <= stream.maximum_retry_attempts <= 10_000:
        raise DeployError(f"{logical_id}: MaximumRetryAttempts must be -1-10000")
    if not 1 <= stream.parallelization_factor <= 10:
        raise DeployError(f"{logical_id}: ParallelizationFactor must be 1-10")
    if stream.starting_position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
        raise DeployError(f"{logical_id}: StartingPosition is required for a stream")
    if (stream.starting_position == "AT_TIMESTAMP") != (
        stream.starting_position_timestamp is not None
    ):
        raise DeployError(f"{logical_id}: StartingPositionTimestamp goes with AT_TIMESTAMP only")


def sqs_limits(logical_id: str, batch_size: int, window: int, fifo: bool) -> None:
    """Refuse what Lambda refuses for an SQS mapping, with the message Lambda gives.

    Batch size: 1-10,000 for standard queues, 1-10 for FIFO; a batch size above 10 needs a
    batching window of at least 1 second; FIFO queues take no batching window
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html,
    https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
    """
    maximum = 10 if fifo else 10_000
    if not 1 <= batch_size <= maximum:
        raise DeployError(f"{logical_id}: BatchSize must be between 1 and {maximum} for this queue")
    if not 0 <= window <= MAX_BATCHING_WINDOW_SECONDS:
        raise DeployError(f"{logical_id}: MaximumBatchingWindowInSeconds must be 0-300")
    if fifo and window:
        raise DeployError(f"{logical_id}: Batching window is not supported for FIFO queues")
    if batch_size > 10 and window < 1:
        raise DeployError(
            f"{logical_id}: Maximum batch window in seconds must be greater than 0 if maximum "
            "batch size is greater than 10"
        )
