"""An event source mapping as Lambda keeps it: the synthesized properties, checked and defaulted.

The properties and their defaults are the ``CreateEventSourceMapping`` parameters
(https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html); which apply
to a source, and their limits, are on each source's parameter page (SQS:
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html). A mapping the runner
cannot drive yet (a Kinesis or DynamoDB stream, a Kafka cluster) is refused by name at deploy.
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

    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source_service(self) -> str:
        """``sqs``, ``kinesis``, ``dynamodb``… from the source ARN."""
        return self.event_source_arn.split(":")[2]

    @property
    def fifo(self) -> bool:
        """True when the source is an SQS FIFO queue."""
        return self.source_service == "sqs" and self.event_source_arn.endswith(".fifo")


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
