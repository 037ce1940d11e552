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
fails the deploy.
"""

from __future__ import annotations

import uuid

from refarch.local.errors import DeployError, UnsupportedPropertyError
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner
from refarch.local.sources.event_source_mappings import EventSourceMapping, FilterCriteria
from refarch.local.sources.event_source_mappings.mapping import (
    REPORT_BATCH_ITEM_FAILURES,
    sqs_limits,
)

#: Properties that apply to sources the runner does not poll yet (Kinesis, DynamoDB Streams,
#: Kafka, MQ, DocumentDB): a mapping that sets one is refused by name.
_NOT_FOR_SQS = (
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "TumblingWindowInSeconds",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "SelfManagedKafkaEventSourceConfig",
    "AmazonManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig",
)


@provisioner("AWS::Lambda::EventSourceMapping")
def event_source_mapping(request: ProvisionRequest) -> Provisioned:
    """Validate the SQS mapping as Lambda does and register its poller."""
    request.only(
        [
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
    source = str(props["EventSourceArn"])
    if source.split(":")[2] != "sqs":
        raise UnsupportedPropertyError(
            request.resource_type, request.logical_id, ["EventSourceArn"]
        )
    emu = request.emulator
    function = emu.lambda_service.function(str(props["FunctionName"]).rsplit(":", 1)[-1])
    fifo = source.endswith(".fifo")
    batch_size = int(props.get("BatchSize", 10))
    window = int(props.get("MaximumBatchingWindowInSeconds", 0))
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
    )
    poller = emu.event_source_mappings.add(mapping)
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
