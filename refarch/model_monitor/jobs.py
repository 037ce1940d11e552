"""The two jobs of the data-quality container: suggest a baseline, and analyse a window.

Each takes lines (bytes, streamed from wherever the caller reads them) and returns the
documents the container writes: ``statistics.json`` and ``constraints.json`` for a baseline,
``statistics.json`` and ``constraint_violations.json`` for a monitoring execution, plus what the
read rejected. A baseline reads its dataset twice (the bucket edges need its range); a window is
read once, at the baseline's edges.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from refarch.model_monitor import capture
from refarch.model_monitor.constraints import check, suggest
from refarch.model_monitor.profile import (
    FRACTIONAL,
    INTEGRAL,
    DatasetProfile,
    baseline_edges,
    edges_from_statistics,
)

#: The dataset formats a baselining job reads (``dataset_format`` environment of the job).
READERS: dict[str, Callable[[Iterable[bytes], capture.ReadReport], Iterable[dict[str, Any]]]] = {
    "json": capture.read_json_lines,
    "csv": capture.read_csv,
    "sagemaker_capture_json": capture.read_capture,
}


@dataclass
class Baseline:
    """What a baselining job produced."""

    statistics: dict[str, Any]
    constraints: dict[str, Any]
    report: capture.ReadReport


@dataclass
class Analysis:
    """What a monitoring execution produced."""

    statistics: dict[str, Any]
    violations: list[dict[str, str]]
    distances: dict[str, float]
    report: capture.ReadReport
    window: DatasetProfile
    completeness: dict[str, float] = field(default_factory=dict)

    @property
    def violations_document(self) -> dict[str, Any]:
        """``constraint_violations.json``."""
        return {"violations": self.violations}


def suggest_baseline(lines: Callable[[], Iterable[bytes]], dataset_format: str) -> Baseline:
    """Profile a dataset (``lines()`` is called once per pass) and suggest its constraints."""
    reader = READERS[dataset_format]
    first = DatasetProfile().add_all(reader(lines(), capture.ReadReport()))
    report = capture.ReadReport()
    second = DatasetProfile(edges=baseline_edges(first)).add_all(reader(lines(), report))
    types = {name: f.inferred_type for name, f in first.features.items()}
    return Baseline(second.statistics(types), suggest(second), report)


def analyse_window(
    lines: Iterable[bytes], constraints: dict[str, Any], baseline_statistics: dict[str, Any]
) -> Analysis:
    """Profile a window of captured lines at the baseline's edges and check its constraints."""
    types = {f["name"]: f.get("inferred_type", "") for f in constraints.get("features", [])}
    window = DatasetProfile(
        edges=edges_from_statistics(baseline_statistics),
        known=frozenset(types),
        numeric=frozenset(n for n, t in types.items() if t in (INTEGRAL, FRACTIONAL)),
    )
    report = capture.ReadReport()
    window.add_all(capture.read_capture(lines, report))
    violations, distances = check(constraints, baseline_statistics, window)
    completeness = {
        name: (window.features[name].present if name in window.features else 0) / window.item_count
        for name in types
        if window.item_count
    }
    return Analysis(window.statistics(types), violations, distances, report, window, completeness)
