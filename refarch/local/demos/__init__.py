"""One local scenario per pattern, registered by pattern id, imported only when asked for.

A pattern converted to ``refarch.scenarios`` (the same scenario for ``refarch verify --live``)
is registered in ``_CONVERTED`` and run through ``as_demo``; the others keep their runner-only
scenario here, in ``_RUNNER_ONLY``. A demo of one pattern imports that pattern's scenario only
(some pull in the emulator's SageMaker or Spark pieces, seconds of imports).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from refarch.local.scenario import Scenario

#: Converted patterns: (module of ``refarch.scenarios``, its function that describes a result).
_CONVERTED: Mapping[str, tuple[str, str]] = {
    "s3-event-processing": ("s3_event_processing", "describe_summary"),
    "stream-to-lake": ("stream_to_lake", "describe_transform_result"),
    "stream-consumer": ("stream_consumer", "describe_response"),
    "dynamodb-cdc": ("dynamodb_cdc", "describe_response"),
    "queue-worker": ("queue_worker_variants", "describe_response"),
    "staged-model-promotion": ("staged_model_promotion", "describe_result"),
    "glue-partitioned-etl": ("glue_partitioned_etl", "describe_result"),
}

#: Runner-only scenarios: module of ``refarch.local.demos``.
_RUNNER_ONLY: Mapping[str, str] = {
    "approved-model-endpoint": "approved_model_endpoint",
    "model-quality-monitor": "model_quality_monitor",
}


class _Scenarios(Mapping[str, Scenario]):
    """Pattern id -> scenario, importing a scenario's module on first lookup."""

    def __getitem__(self, pattern_id: str) -> Scenario:
        if pattern_id in _CONVERTED:
            from refarch.local.target import as_demo

            name, describe = _CONVERTED[pattern_id]
            module = importlib.import_module(f"refarch.scenarios.{name}")
            return as_demo(module.run, describe_result=getattr(module, describe))
        if pattern_id in _RUNNER_ONLY:
            module = importlib.import_module(f"refarch.local.demos.{_RUNNER_ONLY[pattern_id]}")
            return module.run
        raise KeyError(pattern_id)

    def __contains__(self, pattern_id: object) -> bool:
        return pattern_id in _CONVERTED or pattern_id in _RUNNER_ONLY

    def __iter__(self) -> Iterator[str]:
        return iter([*_CONVERTED, *_RUNNER_ONLY])

    def __len__(self) -> int:
        return len(_CONVERTED) + len(_RUNNER_ONLY)


SCENARIOS: Mapping[str, Scenario] = _Scenarios()
