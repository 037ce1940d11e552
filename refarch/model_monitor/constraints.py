"""The baseline's suggested ``constraints.json``, and a window's checks against it.

``constraints.json`` (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html):
per feature ``name``, ``inferred_type``, ``completeness``, ``num_constraints.is_non_negative``,
``string_constraints.domains`` ("observed values for small cardinality"); ``monitoring_config``
with ``datatype_check_threshold``, ``domain_content_threshold`` and ``distribution_constraints``
(``comparison_threshold``, ``comparison_method``, ``categorical_comparison_threshold``,
``categorical_drift_method``), each 0.1 by default on that page.

The checks and the violations file (``constraint_violations.json``:
``violations[].feature_name``, ``constraint_check_type``, ``description``,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html):

- ``data_type_check``: the share of a window's present values that are not of the baseline's
  type (an Integral feature given fractions or text; a Fractional one given text) is above
  ``datatype_check_threshold``.
- ``completeness_check``: the window's completeness (non-null share) is below the feature's
  ``completeness`` constraint.
- ``baseline_drift_check``: the distribution distance is above the threshold. Numerical: the
  largest gap between the baseline's and the window's cumulative shares at the baseline's bucket
  edges (a Kolmogorov-Smirnov distance on the buckets; AWS names the ``Simple`` method, not its
  formula). Categorical (``LInfinity``): the largest gap between the two shares of any value.
- ``missing_column_check``: a baseline feature has no value in the whole window.
- ``extra_column_check``: the window has features the baseline does not.
- ``categorical_values_check``: the share of a String feature's values outside its ``domains``
  is above ``domain_content_threshold``.

Not computed: the ``Robust`` comparison method, the ``ChiSquared`` categorical method,
``is_non_negative`` (suggested, not checked), per-feature ``monitoringConfigOverrides``.
"""

from __future__ import annotations

from typing import Any

from refarch.model_monitor.profile import (
    FRACTIONAL,
    INTEGRAL,
    OTHER,
    STRING,
    DatasetProfile,
    FeatureProfile,
)

#: String features with at most this many distinct baseline values get ``domains`` ("for small
#: cardinality": AWS gives no number; this one is the runner's).
MAX_DOMAIN_VALUES = 20
DEFAULT_THRESHOLD = 0.1


def monitoring_config(threshold: float = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """The ``monitoring_config`` a baseline suggests (every check and metric enabled)."""
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": threshold,
        "domain_content_threshold": threshold,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": threshold,
            "comparison_method": "Simple",
            "categorical_comparison_threshold": threshold,
            "categorical_drift_method": "LInfinity",
        },
    }


def suggest(profile: DatasetProfile) -> dict[str, Any]:
    """The ``constraints.json`` a baseline of ``profile`` suggests."""
    features = []
    for name, feature in sorted(profile.features.items()):
        kind = feature.inferred_type
        entry: dict[str, Any] = {
            "name": name,
            "inferred_type": kind,
            "completeness": feature.present / profile.item_count if profile.item_count else 0.0,
        }
        if kind in (INTEGRAL, FRACTIONAL):
            entry["num_constraints"] = {"is_non_negative": feature.n > 0 and feature.low >= 0}
        elif kind == STRING and not feature.other and len(feature.categories) <= MAX_DOMAIN_VALUES:
            entry["string_constraints"] = {"domains": sorted(feature.categories)}
        features.append(entry)
    return {"version": 0, "features": features, "monitoring_config": monitoring_config()}


def numerical_distance(baseline: dict[str, Any], window: FeatureProfile) -> float:
    """The largest gap between the baseline's and the window's cumulative shares at the edges.

    ``baseline`` is the feature's ``statistics.json`` entry; ``window`` was counted at the
    baseline's edges. The shares are compared at every edge above the lowest.
    """
    buckets = baseline["numerical_statistics"]["distribution"]["kll"]["buckets"]
    total = sum(b["count"] for b in buckets)
    if not total or not window.n:
        return 0.0
    running, base = 0, []
    for bucket in buckets:
        running += bucket["count"]
        base.append(running / total)
    current = window.cdf_at_edges()[1:]
    return max(abs(b - c) for b, c in zip(base, current, strict=True))


def categorical_distance(baseline: dict[str, Any], window: FeatureProfile) -> float:
    """The L-infinity distance between the baseline's and the window's value shares."""
    buckets = baseline["string_statistics"]["distribution"]["categorical"]["buckets"]
    total = sum(b["count"] for b in buckets)
    if not total or not window.present:
        return 0.0
    base = {b["value"]: b["count"] / total for b in buckets}
    current = window.category_shares()
    return max(abs(base.get(v, 0.0) - current.get(v, 0.0)) for v in set(base) | set(current))


def _nonconforming(kind: str, feature: FeatureProfile) -> int:
    if kind == INTEGRAL:
        return feature.fractional + feature.strings
    if kind == FRACTIONAL:
        return feature.strings
    return 0


def check(
    constraints: dict[str, Any], baseline: dict[str, Any], window: DatasetProfile
) -> tuple[list[dict[str, str]], dict[str, float]]:
    """Check a window against a baseline: the violations, and the drift distance per feature."""
    config = constraints.get("monitoring_config", {})
    distribution = config.get("distribution_constraints", {})
    compare = distribution.get("perform_comparison", "Enabled") == "Enabled"
    base_stats = {f["name"]: f for f in baseline.get("features", [])}
    violations: list[dict[str, str]] = []
    distances: dict[str, float] = {}

    def violate(name: str, check_type: str, description: str) -> None:
        violations.append(
            {"feature_name": name, "constraint_check_type": check_type, "description": description}
        )

    for constraint in constraints.get("features", []):
        name, kind = constraint["name"], constraint.get("inferred_type", STRING)
        feature = window.features.get(name)
        if feature is None or not feature.present:
            violate(
                name,
                "missing_column_check",
                f"Feature {name} is in the baseline but has no value in the "
                f"{window.item_count} records analysed",
            )
            continue
        share = _nonconforming(kind, feature) / feature.present
        threshold = float(config.get("datatype_check_threshold", DEFAULT_THRESHOLD))
        if share > threshold:
            violate(
                name,
                "data_type_check",
                f"Data type match requirement is not met: {share:.2%} of the values of {name} "
                f"are not {kind} (threshold {threshold:.2%})",
            )
        completeness = feature.present / window.item_count
        if completeness < float(constraint.get("completeness", 0.0)):
            violate(
                name,
                "completeness_check",
                f"Data completeness requirement is not met: {name} is {completeness:.2%} "
                f"complete, the baseline constraint is {constraint['completeness']:.2%}",
            )
        domains = constraint.get("string_constraints", {}).get("domains")
        if domains is not None:
            allowed = set(domains)
            unknown = sum(c for v, c in feature.categories.items() if v not in allowed)
            unknown_share = (unknown + feature.other) / feature.present
            limit = float(config.get("domain_content_threshold", DEFAULT_THRESHOLD))
            if unknown_share > limit:
                violate(
                    name,
                    "categorical_values_check",
                    f"{unknown_share:.2%} of the values of {name} are outside the baseline's "
                    f"domain (threshold {limit:.2%})",
                )
        stats = base_stats.get(name)
        if not compare or stats is None:
            continue
        if "numerical_statistics" in stats and kind in (INTEGRAL, FRACTIONAL):
            distance = numerical_distance(stats, feature)
            limit = float(distribution.get("comparison_threshold", DEFAULT_THRESHOLD))
        elif "string_statistics" in stats:
            distance = categorical_distance(stats, feature)
            limit = float(distribution.get("categorical_comparison_threshold", DEFAULT_THRESHOLD))
        else:
            continue
        distances[name] = distance
        if distance > limit:
            violate(
                name,
                "baseline_drift_check",
                f"Baseline drift distance {distance:.4f} of {name} exceeds threshold {limit}",
            )
    extra = sorted(window.extra_columns)
    if extra or window.extra_other:
        more = (
            f" and {window.extra_other} more values of other columns" if window.extra_other else ""
        )
        violate(
            ", ".join(extra[:10]) + ("..." if len(extra) > 10 else ""),
            "extra_column_check",
            f"{len(extra)} column(s) not in the baseline: {', '.join(extra[:10])}{more}",
        )
    return violations, distances


__all__ = ["OTHER", "check", "suggest"]
