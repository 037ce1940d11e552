"""One local scenario per pattern, registered by pattern id."""

from collections.abc import Mapping

from refarch.local.demos import (
    approved_model_endpoint,
    dynamodb_cdc,
    glue_partitioned_etl,
    model_quality_monitor,
    queue_worker,
    s3_event_processing,
    staged_model_promotion,
    stream_consumer,
    stream_to_lake,
)
from refarch.local.scenario import Scenario

SCENARIOS: Mapping[str, Scenario] = {
    "s3-event-processing": s3_event_processing.run,
    "stream-to-lake": stream_to_lake.run,
    "glue-partitioned-etl": glue_partitioned_etl.run,
    "approved-model-endpoint": approved_model_endpoint.run,
    "queue-worker": queue_worker.run,
    "model-quality-monitor": model_quality_monitor.run,
    "stream-consumer": stream_consumer.run,
    "dynamodb-cdc": dynamodb_cdc.run,
    "staged-model-promotion": staged_model_promotion.run,
}
