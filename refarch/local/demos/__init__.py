"""The local demo of each pattern, registered by pattern id, imported only when asked for.

Every pattern's scenario lives in ``refarch.scenarios`` and drives its stack through AWS APIs
only, so ``refarch verify --live`` runs the same code in an account; here it runs on the local
emulator through ``as_demo``. A demo of one pattern imports that pattern's scenario only (some
pull in the emulator's SageMaker or Spark pieces, seconds of imports).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from refarch.local.scenario import Scenario

#: Pattern id -> (module of ``refarch.scenarios``, its function that describes a handler's
#: result in the trace).
_SCENARIOS: Mapping[str, tuple[str, str]] = {
    "s3-event-processing": ("s3_event_processing", "describe_summary"),
    "stream-to-lake": ("stream_to_lake", "describe_transform_result"),
    "glue-partitioned-etl": ("glue_partitioned_etl", "describe_result"),
    "approved-model-endpoint": ("approved_model_endpoint", "describe_outcome"),
    "queue-worker": ("queue_worker_variants", "describe_response"),
    "model-quality-monitor": ("model_quality_monitor", "describe_result"),
    "stream-consumer": ("stream_consumer", "describe_response"),
    "dynamodb-cdc": ("dynamodb_cdc", "describe_response"),
    "staged-model-promotion": ("staged_model_promotion", "describe_result"),
}


class _Scenarios(Mapping[str, Scenario]):
    """Pattern id -> local demo, importing the scenario's module on first lookup."""

    def __getitem__(self, pattern_id: str) -> Scenario:
        from refarch.local.target import as_demo

        name, describe = _SCENARIOS[pattern_id]
        module = importlib.import_module(f"refarch.scenarios.{name}")
        return as_demo(module.run, describe_result=getattr(module, describe))

    def __contains__(self, pattern_id: object) -> bool:
        return pattern_id in _SCENARIOS

    def __iter__(self) -> Iterator[str]:
        return iter(_SCENARIOS)

    def __len__(self) -> int:
        return len(_SCENARIOS)


SCENARIOS: Mapping[str, Scenario] = _Scenarios()
