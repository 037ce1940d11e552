"""Per-feature statistics, streamed, in the ``statistics.json`` shape Model Monitor documents.

The shape: ``dataset.item_count``; per feature ``name``, ``inferred_type`` and either
``numerical_statistics`` (``common.num_present``/``num_missing``, ``mean``, ``sum``,
``std_dev``, ``min``, ``max``, ``distribution.kll.buckets``) or ``string_statistics``
(``common``, ``distinct_count``, ``distribution.categorical.buckets``), the distribution
materialized in 10 buckets (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-statistics.html).

How the numbers are computed here (what AWS does not spell out is said so):

- A value's type: a JSON number or a text that parses as an integer is ``Integral``, as a
  float ``Fractional``, anything else ``String``; ``null``, an absent key or an empty CSV field
  is missing. A feature is ``String`` if any present value is, else ``Fractional`` if any is,
  else ``Integral`` (``Unknown`` with no present value).
- ``std_dev`` is the population standard deviation (Welford's streaming update).
- Buckets: the baseline's 10 equal-width buckets from its min to its max (two passes over the
  training data). A monitoring window is counted, in one pass, at the baseline's bucket edges
  (values beyond them fall in the first or last bucket, whose bound is stretched): this is what
  the drift distance compares, and it keeps memory flat in the window size. The container's
  KLL sketch itself (``kll.sketch``) is not produced.
- Categorical counts keep at most ``MAX_CATEGORIES`` distinct values per feature; further
  values are counted together (``distinct_count`` is then a lower bound).
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

INTEGRAL, FRACTIONAL, STRING, UNKNOWN = "Integral", "Fractional", "String", "Unknown"
#: "By default, the distribution is materialized in 10 buckets" (statistics schema, above).
BUCKETS = 10
MAX_CATEGORIES = 1_000
#: Where the values beyond ``MAX_CATEGORIES`` distinct ones are counted.
OTHER = "__other__"
#: Extra (unknown) column names remembered per window; all are counted.
MAX_EXTRA_COLUMNS = 100
#: Values buffered per column batch before they are counted: bounds memory whatever the
#: record width, and amortizes the per-batch work.
BATCH_VALUES = 100_000
_NUMBER_TYPES = frozenset({int, float})


def classify(value: Any) -> tuple[str, float | None]:
    """A present value's type, and its number if it has one."""
    if isinstance(value, bool):
        return STRING, None
    if isinstance(value, int):
        return INTEGRAL, float(value)
    if isinstance(value, float):
        return (FRACTIONAL, value) if math.isfinite(value) else (STRING, None)
    text = str(value)
    try:
        return INTEGRAL, float(int(text))
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return STRING, None
    return (FRACTIONAL, number) if math.isfinite(number) else (STRING, None)


def equal_width_edges(low: float, high: float, buckets: int = BUCKETS) -> list[float]:
    """The ``buckets + 1`` edges of equal-width buckets from ``low`` to ``high``."""
    return [low + (high - low) * k / buckets for k in range(buckets)] + [high]


@dataclass
class FeatureProfile:
    """The running statistics of one feature."""

    name: str
    edges: Sequence[float] | None = None
    """Bucket edges (``BUCKETS + 1`` of them) when known: counts are kept at them."""

    present: int = 0
    integral: int = 0
    fractional: int = 0
    strings: int = 0
    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    cells: list[int] = field(default_factory=list)
    """Counts at the edges: cell 0 holds values ≤ edges[0], cell k values in
    (edges[k-1], edges[k]], the last cell values > edges[-1]."""

    categories: dict[str, int] = field(default_factory=dict)
    other: int = 0
    track_categories: bool = True
    """False for a window's numeric feature: only a String feature's values are bucketed."""

    track_numbers: bool = True
    """False for a window's String feature: numeric-looking text stays text."""

    def __post_init__(self) -> None:
        if self.edges is not None and not self.cells:
            self.cells = [0] * (len(self.edges) + 1)

    def add_many(self, values: list[Any]) -> None:
        """Count a column of values (``None`` is missing), in bulk where the types allow.

        The fast path (every present value a finite JSON number, or every one a string) keeps
        the per-value work in C (``fsum``, ``sorted``, ``Counter``); anything else goes value by
        value through ``add``.
        """
        present = [v for v in values if v is not None]
        types = set(map(type, present))
        if types and types <= _NUMBER_TYPES and all(map(math.isfinite, present)):
            self.present += len(present)
            if int in types:
                integral = list(map(type, present)).count(int)
                self.integral += integral
                self.fractional += len(present) - integral
            else:
                self.fractional += len(present)
            self._merge_numbers(present)
            if self.track_categories:
                self._merge_categories(Counter(map(_text, present)))
        elif types == {str} and not self.track_numbers:
            self.present += len(present)
            self.strings += len(present)
            self._merge_categories(Counter(present))
        else:
            numbers: list[float] = []
            for value in present:
                number = self._count(value)
                if number is not None:
                    numbers.append(number)
            self._merge_numbers(numbers)

    def _merge_numbers(self, numbers: list[float]) -> None:
        """Merge a batch's moments (Chan et al.'s pairwise update), range and cells."""
        count = len(numbers)
        if not count:
            return
        total = math.fsum(numbers)
        mean = total / count
        m2 = max(math.fsum(map(operator.mul, numbers, numbers)) - count * mean * mean, 0.0)
        merged = self.n + count
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.n * count / merged
        self.mean += delta * count / merged
        self.n = merged
        self.total += total
        self.low = min(self.low, min(numbers))
        self.high = max(self.high, max(numbers))
        if self.edges is not None:
            ordered = sorted(numbers)
            at_or_below = [bisect_right(ordered, edge) for edge in self.edges]
            previous = 0
            for k, below in enumerate(at_or_below):
                self.cells[k] += below - previous
                previous = below
            self.cells[-1] += count - previous

    def _merge_categories(self, counts: Counter[str]) -> None:
        categories = self.categories
        for value, count in counts.items():
            if value in categories:
                categories[value] += count
            elif len(categories) < MAX_CATEGORIES:
                categories[value] = count
            else:
                self.other += count

    def _count(self, value: Any) -> float | None:
        """Count one present value's type and category; return its number (None for text)."""
        self.present += 1
        kind, number = classify(value)
        if number is None:
            self.strings += 1
        elif kind == INTEGRAL:
            self.integral += 1
        else:
            self.fractional += 1
        if self.track_categories:
            self._merge_categories(Counter({value if isinstance(value, str) else _text(value): 1}))
        return number

    def add(self, value: Any) -> None:
        """Count one value (``None`` is missing)."""
        self.add_many([value])

    @property
    def inferred_type(self) -> str:
        """The feature's type from the types of its present values."""
        if self.strings:
            return STRING
        if self.fractional:
            return FRACTIONAL
        return INTEGRAL if self.integral else UNKNOWN

    @property
    def std_dev(self) -> float:
        """Population standard deviation of the numeric values."""
        return math.sqrt(self.m2 / self.n) if self.n else 0.0

    def cdf_at_edges(self) -> list[float]:
        """The share of numeric values ≤ each edge."""
        if not self.n:
            return [0.0] * len(self.cells[:-1])
        running, shares = 0, []
        for count in self.cells[:-1]:
            running += count
            shares.append(running / self.n)
        return shares

    def category_shares(self) -> dict[str, float]:
        """Each value's share of the present values (the overflow as ``OTHER``)."""
        if not self.present:
            return {}
        shares = {value: count / self.present for value, count in self.categories.items()}
        if self.other:
            shares[OTHER] = self.other / self.present
        return shares

    def kll_buckets(self) -> list[dict[str, float]]:
        """The 10 buckets: cells folded so the first and last hold the values beyond the edges."""
        if self.edges is None or not self.n:
            return []
        edges = list(self.edges)
        counts = [self.cells[0] + self.cells[1], *self.cells[2:-2], self.cells[-2] + self.cells[-1]]
        low, high = min(edges[0], self.low), max(edges[-1], self.high)
        bounds = [low, *edges[1:-1], high]
        return [
            {"lower_bound": bounds[k], "upper_bound": bounds[k + 1], "count": counts[k]}
            for k in range(len(counts))
        ]

    def statistics(self, item_count: int, inferred_type: str | None = None) -> dict[str, Any]:
        """The feature's entry of ``statistics.json``."""
        kind = inferred_type or self.inferred_type
        common = {"num_present": self.present, "num_missing": item_count - self.present}
        entry: dict[str, Any] = {"name": self.name, "inferred_type": kind}
        if kind in (INTEGRAL, FRACTIONAL):
            entry["numerical_statistics"] = {
                "common": common,
                "mean": self.mean if self.n else 0.0,
                "sum": self.total,
                "std_dev": self.std_dev,
                "min": self.low if self.n else 0.0,
                "max": self.high if self.n else 0.0,
                "distribution": {"kll": {"buckets": self.kll_buckets()}},
            }
        else:
            buckets = [{"value": v, "count": c} for v, c in sorted(self.categories.items())]
            if self.other:
                buckets.append({"value": OTHER, "count": self.other})
            entry["string_statistics"] = {
                "common": common,
                "distinct_count": len(self.categories) + (1 if self.other else 0),
                "distribution": {"categorical": {"buckets": buckets}},
            }
        return entry


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class DatasetProfile:
    """Running statistics of every feature of a dataset or window."""

    edges: dict[str, Sequence[float]] = field(default_factory=dict)
    """Bucket edges per known feature (a baseline's second pass, or a monitoring window)."""

    known: frozenset[str] | None = None
    """The baseline's features; others are counted as extra columns, not profiled. None (a
    baseline's own pass): every feature is profiled."""

    numeric: frozenset[str] = frozenset()
    """Features the baseline types as numbers: their values are not counted as categories."""

    item_count: int = 0
    features: dict[str, FeatureProfile] = field(default_factory=dict)
    extra_columns: dict[str, int] = field(default_factory=dict)
    extra_other: int = 0
    _columns: defaultdict[str, list[Any]] = field(
        default_factory=lambda: defaultdict(list), repr=False
    )
    _buffered: int = 0

    def add_all(self, records: Iterable[dict[str, Any]]) -> DatasetProfile:
        """Count every record (buffered by column, ``BATCH_VALUES`` at a time); return self.

        Consecutive records with the same keys (the usual case) are kept as rows and turned
        into columns in one ``zip`` when the keys change or the batch is full.
        """
        keys: tuple[str, ...] = ()
        rows: list[tuple[Any, ...]] = []
        buffered, count = self._buffered, 0
        for record in records:
            count += 1
            names = tuple(record)
            if names != keys:
                self._columnize(keys, rows)
                keys, rows = names, []
            rows.append(tuple(record.values()))
            buffered += len(names)
            if buffered >= BATCH_VALUES:
                self._columnize(keys, rows)
                rows = []
                self.item_count += count
                count = 0
                self._flush()
                buffered = 0
        self._columnize(keys, rows)
        self.item_count += count
        self._flush()
        return self

    def _columnize(self, keys: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            columns = self._columns
            for name, column in zip(keys, zip(*rows, strict=True), strict=True):
                columns[name].extend(column)

    def add(self, record: dict[str, Any]) -> None:
        """Count one record."""
        self.add_all((record,))

    def _flush(self) -> None:
        known = self.known
        for name, values in self._columns.items():
            if known is not None and name not in known:
                self._extra(name, sum(1 for v in values if v is not None))
                continue
            profile = self.features.get(name)
            if profile is None:
                profile = self.features[name] = FeatureProfile(
                    name,
                    self.edges.get(name),
                    track_categories=name not in self.numeric,
                    track_numbers=known is None or name in self.numeric,
                )
            profile.add_many(values)
        self._columns.clear()
        self._buffered = 0

    def _extra(self, name: str, count: int) -> None:
        if not count:
            return
        if name in self.extra_columns:
            self.extra_columns[name] += count
        elif len(self.extra_columns) < MAX_EXTRA_COLUMNS:
            self.extra_columns[name] = count
        else:
            self.extra_other += count

    def statistics(self, types: dict[str, str] | None = None) -> dict[str, Any]:
        """The ``statistics.json`` document (``types``: the baseline's type per feature)."""
        types = types or {}
        return {
            "version": 0,
            "dataset": {"item_count": self.item_count},
            "features": [
                profile.statistics(self.item_count, types.get(name))
                for name, profile in sorted(self.features.items())
            ],
        }


def baseline_edges(first_pass: DatasetProfile) -> dict[str, list[float]]:
    """The baseline's bucket edges per numeric feature, from its first pass."""
    return {
        name: equal_width_edges(profile.low, profile.high)
        for name, profile in first_pass.features.items()
        if profile.inferred_type in (INTEGRAL, FRACTIONAL)
    }


def edges_from_statistics(statistics: dict[str, Any]) -> dict[str, list[float]]:
    """The bucket edges of each numeric feature of a baseline ``statistics.json``."""
    edges = {}
    for feature in statistics.get("features", []):
        buckets = feature.get("numerical_statistics", {}).get("distribution", {})
        buckets = buckets.get("kll", {}).get("buckets", [])
        if buckets:
            edges[feature["name"]] = [b["lower_bound"] for b in buckets] + [
                buckets[-1]["upper_bound"]
            ]
    return edges
