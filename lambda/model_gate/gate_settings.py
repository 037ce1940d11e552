"""The gate's configuration, read from the environment the stack sets.

Required: ``TEST_SET_BUCKET``, ``TEST_SET_KEY``, ``REPORT_BUCKET``, ``MAX_ERROR_RATE``,
``MAX_P99_LATENCY_MS``, ``MIN_ACCURACY``. Optional: ``REPORT_PREFIX`` (``reports/``),
``MIN_EXAMPLES`` (20), ``MAX_EXAMPLES`` (1000), ``MAX_RESPONSE_BYTES`` (4096),
``CONTENT_TYPE`` (``text/csv``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from gate_metrics import Thresholds


class GateSettingsError(ValueError):
    """The environment does not describe a gate: a stack bug, no retry fixes it."""


@dataclass(frozen=True)
class GateSettings:
    """Where the test set and reports are, and what a version must meet."""

    test_set_bucket: str
    test_set_key: str
    report_bucket: str
    report_prefix: str
    thresholds: Thresholds
    max_examples: int
    max_response_bytes: int
    content_type: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> GateSettings:
        """Read and check the settings; raise ``GateSettingsError`` naming what is wrong."""
        env = os.environ if environ is None else environ

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise GateSettingsError(f"{name} is not set")
            return value

        def number(name: str, default: str | None, low: float, high: float) -> float:
            raw = env.get(name, default) if default is not None else required(name)
            try:
                value = float(raw)
            except (TypeError, ValueError) as exc:
                raise GateSettingsError(f"{name}={raw!r} is not a number") from exc
            if not low <= value <= high:
                raise GateSettingsError(f"{name}={raw} is outside [{low:g}, {high:g}]")
            return value

        return cls(
            test_set_bucket=required("TEST_SET_BUCKET"),
            test_set_key=required("TEST_SET_KEY"),
            report_bucket=required("REPORT_BUCKET"),
            report_prefix=env.get("REPORT_PREFIX", "reports/"),
            thresholds=Thresholds(
                max_error_rate=number("MAX_ERROR_RATE", None, 0, 1),
                max_p99_latency_ms=number("MAX_P99_LATENCY_MS", None, 1, 60_000),
                min_accuracy=number("MIN_ACCURACY", None, 0, 1),
                min_examples=int(number("MIN_EXAMPLES", "20", 1, 100_000)),
            ),
            max_examples=int(number("MAX_EXAMPLES", "1000", 1, 100_000)),
            max_response_bytes=int(number("MAX_RESPONSE_BYTES", "4096", 1, 6 * 1024 * 1024)),
            content_type=env.get("CONTENT_TYPE", "text/csv"),
        )
