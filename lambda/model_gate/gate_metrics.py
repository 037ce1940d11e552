"""The gate's figures and verdict: error rate, p99 latency, accuracy, against thresholds.

Pure functions, so each figure is checked on its own (tests/handlers/test_model_gate_*).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: A score at or above this is the positive class.
DECISION_THRESHOLD = 0.5


def percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with ``percent``% of values at or below.

    Nearest rank, not interpolation: the figure is always a latency that was measured, and
    with 100 requests p99 is the second slowest (CloudWatch's percentile statistics are
    likewise values of the distribution:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html).
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Thresholds:
    """What a version must meet on staging to be offered for promotion."""

    max_error_rate: float
    max_p99_latency_ms: float
    min_accuracy: float
    min_examples: int


@dataclass
class Tally:
    """What the gate observed, request by request."""

    examples: int = 0
    errors: int = 0
    correct: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def answered(self, label: int, score: float, latency_ms: float) -> None:
        """An answer the endpoint gave for an example with ``label``."""
        self.examples += 1
        self.latencies_ms.append(latency_ms)
        if (score >= DECISION_THRESHOLD) == (label == 1):
            self.correct += 1

    def failed(self, latency_ms: float) -> None:
        """A request the endpoint failed, or answered with something that is not a score."""
        self.examples += 1
        self.errors += 1
        self.latencies_ms.append(latency_ms)


@dataclass(frozen=True)
class Verdict:
    """The figures and, if the version falls short, every reason why."""

    error_rate: float | None
    p99_latency_ms: float | None
    accuracy: float | None
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True if no threshold was missed."""
        return not self.reasons


def judge(tally: Tally, thresholds: Thresholds) -> Verdict:
    """Compare the figures with the thresholds; a test set too small to judge by fails."""
    if tally.examples < thresholds.min_examples:
        return Verdict(
            None,
            None,
            None,
            (
                f"{tally.examples} usable examples, fewer than the {thresholds.min_examples} "
                "needed to judge",
            ),
        )
    error_rate = tally.errors / tally.examples
    p99 = percentile(tally.latencies_ms, 99)
    answered = tally.examples - tally.errors
    accuracy = tally.correct / answered if answered else 0.0
    reasons = []
    if error_rate > thresholds.max_error_rate:
        reasons.append(
            f"error rate {error_rate:.2%} above the {thresholds.max_error_rate:.2%} allowed"
        )
    if p99 > thresholds.max_p99_latency_ms:
        reasons.append(
            f"p99 latency {p99:.1f} ms above the {thresholds.max_p99_latency_ms:g} ms allowed"
        )
    if accuracy < thresholds.min_accuracy:
        reasons.append(f"accuracy {accuracy:.2%} below the {thresholds.min_accuracy:.2%} required")
    return Verdict(error_rate, p99, accuracy, tuple(reasons))
