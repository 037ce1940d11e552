"""Lambda event source mappings, kept by the runner's pollers (not by moto).

moto would invoke the function itself (in Docker) on every ``SendMessage`` to a mapped queue,
with no batching, no role and no partial batch responses, so the mapping is not created in moto:
``sources.event_source_mappings`` polls the queue as Lambda does. What Lambda checks when the
mapping is created is checked here: the limits of each parameter, the function's timeout against
the queue's visibility timeout ("Your function's timeout must be less than or equal to the
queue's visibility timeout. Lambda validates this requirement when you create or update an
event source mapping",
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html), read with the
function's execution role as Lambda reads it, so a role without ``sqs:GetQueueAttributes``
fails the deploy. A Kinesis mapping is checked against the Kinesis limits (``stream_limits``)
and polled by ``sources.event_source_mappings.streams``; a DynamoDB Streams mapping the same way
(its limits are the same: https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html).
"""

from __future__ import annotations

import uuid
from typing import Any

from refarch.local.errors import DeployError, UnsupportedPropertyError
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner
from refarch.local.sources.event_source_mappings import EventSourceMapping, FilterCriteria
from refarch.local.sources.event_source_mappings.mapping import (
    INFINITE,
    REPORT_BATCH_ITEM_FAILURES,
    StreamSettings,
    sqs_limits,
    stream_limits,
)
from refarch.local.sources.event_source_mappings.sqs import SqsPoller

#: Properties of a stream mapping (Kinesis, DynamoDB Streams) the pollers apply.
_STREAM_PROPERTIES = (
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
)
#: Properties of sources the runner does not poll (Kafka, MQ, DocumentDB) and tumbling windows:
#: a mapping that sets one is refused by name.
_NOT_EMULATED = (
    "TumblingWindowInSeconds",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
)


def _stream_settings(props: dict[str, Any]) -> StreamSettings:
    """The stream-only properties, with Lambda's defaults."""
    destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    timestamp = props.get("StartingPositionTimestamp")
    return StreamSettings(
        starting_position=str(props.get("StartingPosition", "")),
        starting_position_timestamp=float(timestamp) if timestamp is not None else None,
        bisect_batch_on_function_error=str(props.get("BisectBatchOnFunctionError", False)).lower()
        == "true",
        maximum_retry_attempts=int(props.get("MaximumRetryAttempts", INFINITE)),
        maximum_record_age_seconds=int(props.get("MaximumRecordAgeInSeconds", INFINITE)),
        parallelization_factor=int(props.get("ParallelizationFactor", 1)),
        on_failure_destination=str(destination) if destination else None,
    )


@provisioner("AWS::Lambda::EventSourceMapping")
def event_source_mapping(request: ProvisionRequest) -> Provisioned:
    """Validate the mapping as Lambda does and register its poller."""
    source = str(request.properties["EventSourceArn"])
    stream = source.split(":")[2] in ("kinesis", "dynamodb")
    request.only(
        [
            *(_STREAM_PROPERTIES if stream else ()),
            "EventSourceArn",
            "FunctionName",
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "FunctionResponseTypes",
            "FilterCriteria",
            "Enabled",
            "ScalingConfig",
            "Tags",
        ],
        ignored={
            "MetricsConfig": "CloudWatch metrics of the poller are not emulated",
            "KmsKeyArn": "filter criteria are kept in memory, not encrypted at rest",
        },
    )
    props = request.properties
    if source.split(":")[2] not in ("sqs", "kinesis", "dynamodb"):
        raise UnsupportedPropertyError(
            request.resource_type, request.logical_id, ["EventSourceArn"]
        )
    emu = request.emulator
    function = emu.lambda_service.function(str(props["FunctionName"]).rsplit(":", 1)[-1])
    fifo = source.endswith(".fifo")
    # Lambda's defaults: 10 for SQS, 100 for streams (the parameter pages above).
    batch_size = int(props.get("BatchSize", 100 if stream else 10))
    window = int(props.get("MaximumBatchingWindowInSeconds", 0))
    settings = _stream_settings(props) if stream else None
    if settings is not None:
        stream_limits(request.logical_id, batch_size, window, settings)
    else:
        sqs_limits(request.logical_id, batch_size, window, fifo)
    response_types = list(props.get("FunctionResponseTypes", []))
    if set(response_types) - {REPORT_BATCH_ITEM_FAILURES}:
        raise DeployError(f"{request.logical_id}: unknown FunctionResponseTypes {response_types}")
    try:
        criteria = FilterCriteria.from_property(props.get("FilterCriteria"))
    except ValueError as exc:
        raise DeployError(f"{request.logical_id}: invalid FilterCriteria: {exc}") from exc
    scaling = props.get("ScalingConfig", {})
    mapping = EventSourceMapping(
        uuid=str(uuid.uuid4()),
        logical_id=request.logical_id,
        function_arn=function.function_arn,
        event_source_arn=source,
        batch_size=batch_size,
        maximum_batching_window_seconds=window,
        report_batch_item_failures=REPORT_BATCH_ITEM_FAILURES in response_types,
        filter_criteria=criteria,
        enabled=str(props.get("Enabled", True)).lower() != "false",
        maximum_concurrency=int(scaling["MaximumConcurrency"]) if scaling else None,
        stream=settings,
    )
    poller = emu.event_source_mappings.add(mapping)
    if not isinstance(poller, SqsPoller):
        return Provisioned(
            physical_id=mapping.uuid, attributes={"EventSourceMappingId": mapping.uuid}
        )
    timeout = int(
        emu.client("lambda").get_function_configuration(FunctionName=function.function_name)[
            "Timeout"
        ]
    )
    visibility = poller.visibility_timeout()
    if timeout > visibility:
        raise DeployError(
            f"{request.logical_id}: Queue visibility timeout: {visibility} seconds is less than "
            f"Function timeout: {timeout} seconds"
        )
    return Provisioned(physical_id=mapping.uuid, attributes={"EventSourceMappingId": mapping.uuid})
