"""One local scenario per pattern, registered by pattern id."""

from collections.abc import Mapping

from refarch.local.demo import Scenario
from refarch.local.demos import (
    approved_model_endpoint,
    glue_partitioned_etl,
    queue_worker,
    s3_event_processing,
    staged_model_promotion,
    stream_to_lake,
)

SCENARIOS: Mapping[str, Scenario] = {
    "s3-event-processing": s3_event_processing.run,
    "stream-to-lake": stream_to_lake.run,
    "glue-partitioned-etl": glue_partitioned_etl.run,
    "approved-model-endpoint": approved_model_endpoint.run,
    "queue-worker": queue_worker.run,
    "staged-model-promotion": staged_model_promotion.run,
}
