"""One local scenario per pattern, registered by pattern id.

A pattern converted to ``refarch.scenarios`` (the same scenario for ``refarch verify --live``)
is registered through ``as_demo``; the others keep their runner-only scenario here.
"""

from collections.abc import Mapping

from refarch.local.demos import (
    approved_model_endpoint,
    glue_partitioned_etl,
    model_quality_monitor,
    queue_worker,
    staged_model_promotion,
)
from refarch.local.scenario import Scenario
from refarch.local.target import as_demo
from refarch.scenarios import dynamodb_cdc, s3_event_processing, stream_consumer, stream_to_lake

SCENARIOS: Mapping[str, Scenario] = {
    "s3-event-processing": as_demo(
        s3_event_processing.run, describe_result=s3_event_processing.describe_summary
    ),
    "stream-to-lake": as_demo(
        stream_to_lake.run, describe_result=stream_to_lake.describe_transform_result
    ),
    "glue-partitioned-etl": glue_partitioned_etl.run,
    "approved-model-endpoint": approved_model_endpoint.run,
    "queue-worker": queue_worker.run,
    "model-quality-monitor": model_quality_monitor.run,
    "stream-consumer": as_demo(
        stream_consumer.run, describe_result=stream_consumer.describe_response
    ),
    "dynamodb-cdc": as_demo(dynamodb_cdc.run, describe_result=dynamodb_cdc.describe_response),
    "staged-model-promotion": staged_model_promotion.run,
}
