"""The baseline and window statistics against independent pandas/numpy calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from monitor_data import capture_line, drifted, json_lines, training_rows

from refarch.model_monitor.constraints import categorical_distance, numerical_distance
from refarch.model_monitor.jobs import analyse_window, suggest_baseline

NUMERIC = ("tenure_months", "monthly_charges", "support_calls", "discount")


@pytest.fixture(scope="module")
def training():
    return training_rows()


@pytest.fixture(scope="module")
def baseline(training):
    lines = json_lines(training)
    return suggest_baseline(lambda: iter(lines), "json")


def _feature(statistics, name):
    return next(f for f in statistics["features"] if f["name"] == name)


@pytest.mark.parametrize("name", NUMERIC)
def test_numerical_statistics_match_pandas(training, baseline, name):
    frame = pd.DataFrame(training)
    values = frame[name].dropna().astype(float)
    stats = _feature(baseline.statistics, name)["numerical_statistics"]
    assert baseline.statistics["dataset"]["item_count"] == len(frame)
    assert stats["common"] == {
        "num_present": int(frame[name].notna().sum()),
        "num_missing": int(frame[name].isna().sum()),
    }
    assert stats["sum"] == pytest.approx(values.sum())
    assert stats["mean"] == pytest.approx(values.mean())
    assert stats["std_dev"] == pytest.approx(np.std(values.to_numpy(), ddof=0))
    assert (stats["min"], stats["max"]) == (values.min(), values.max())
    buckets = stats["distribution"]["kll"]["buckets"]
    edges = [b["lower_bound"] for b in buckets] + [buckets[-1]["upper_bound"]]
    assert len(buckets) == 10
    assert edges == pytest.approx(np.linspace(values.min(), values.max(), 11).tolist())
    expected = pd.cut(values, edges, right=True, include_lowest=True).value_counts(sort=False)
    assert [b["count"] for b in buckets] == expected.tolist()


def test_types_are_inferred_per_feature(baseline):
    types = {f["name"]: f["inferred_type"] for f in baseline.statistics["features"]}
    assert types == {
        "tenure_months": "Integral",
        "support_calls": "Integral",
        "monthly_charges": "Fractional",
        "discount": "Fractional",
        "plan": "String",
    }


def test_categorical_statistics_match_pandas(training, baseline):
    counts = pd.DataFrame(training)["plan"].value_counts()
    stats = _feature(baseline.statistics, "plan")["string_statistics"]
    assert stats["distinct_count"] == counts.size
    assert {b["value"]: b["count"] for b in stats["distribution"]["categorical"]["buckets"]} == (
        counts.to_dict()
    )


def test_suggested_constraints(training, baseline):
    frame = pd.DataFrame(training)
    constraints = {f["name"]: f for f in baseline.constraints["features"]}
    for name in frame.columns:
        assert constraints[name]["completeness"] == pytest.approx(frame[name].notna().mean())
    assert constraints["plan"]["string_constraints"]["domains"] == sorted(frame["plan"].unique())
    assert constraints["tenure_months"]["num_constraints"] == {"is_non_negative": True}
    config = baseline.constraints["monitoring_config"]["distribution_constraints"]
    assert config["comparison_threshold"] == 0.1


def _window(rows):
    return [capture_line(row) for row in rows]


@pytest.fixture(scope="module")
def drifted_window(baseline):
    rows = drifted(training_rows(800, state=11))
    return rows, analyse_window(_window(rows), baseline.constraints, baseline.statistics)


def test_numerical_drift_is_the_cdf_gap_at_the_baseline_edges(training, baseline, drifted_window):
    rows, analysis = drifted_window
    name = "monthly_charges"
    base = np.sort(pd.DataFrame(training)[name].to_numpy(float))
    current = np.sort(pd.DataFrame(rows)[name].to_numpy(float))
    buckets = _feature(baseline.statistics, name)["numerical_statistics"]["distribution"]
    edges = np.array([b["upper_bound"] for b in buckets["kll"]["buckets"]])
    expected = np.max(
        np.abs(
            np.searchsorted(base, edges, side="right") / base.size
            - np.searchsorted(current, edges, side="right") / current.size
        )
    )
    assert analysis.distances[name] == pytest.approx(expected)
    assert numerical_distance(_feature(baseline.statistics, name), analysis.window.features[name])
    assert expected > 0.1


def test_categorical_drift_is_the_l_infinity_distance(training, baseline):
    rows = training_rows(600, state=3)
    for i, row in enumerate(rows):
        if i % 2:
            row["plan"] = "platinum"
    analysis = analyse_window(_window(rows), baseline.constraints, baseline.statistics)
    base = pd.DataFrame(training)["plan"].value_counts(normalize=True)
    current = pd.DataFrame(rows)["plan"].value_counts(normalize=True)
    expected = (base.subtract(current, fill_value=0)).abs().max()
    assert analysis.distances["plan"] == pytest.approx(expected)
    feature = analysis.window.features["plan"]
    assert categorical_distance(_feature(baseline.statistics, "plan"), feature) == pytest.approx(
        expected
    )


def test_traffic_like_the_training_data_has_no_violation(baseline):
    rows = training_rows(1_000, state=99)
    analysis = analyse_window(_window(rows), baseline.constraints, baseline.statistics)
    assert analysis.violations == []
    assert max(analysis.distances.values()) < 0.1
    assert analysis.report.bad_lines == 0


def test_drifted_traffic_names_the_shifted_and_the_missing_feature(drifted_window):
    _, analysis = drifted_window
    found = {(v["feature_name"], v["constraint_check_type"]) for v in analysis.violations}
    assert found == {
        ("monthly_charges", "baseline_drift_check"),
        ("discount", "missing_column_check"),
    }


def test_window_completeness_matches_pandas(baseline):
    rows = training_rows(500, state=5)
    for row in rows[:100]:
        row["support_calls"] = None
    analysis = analyse_window(_window(rows), baseline.constraints, baseline.statistics)
    frame = pd.DataFrame(rows)
    assert analysis.completeness["support_calls"] == pytest.approx(
        frame["support_calls"].notna().mean()
    )
    assert ("support_calls", "completeness_check") in {
        (v["feature_name"], v["constraint_check_type"]) for v in analysis.violations
    }


def test_headerless_csv_capture_names_columns_by_position():
    from refarch.model_monitor.capture import ReadReport, read_capture

    row = {"a": 1, "b": 2.5, "c": "x"}
    records = list(read_capture([capture_line(row, csv=True)], ReadReport()))
    assert records == [{"_c0": "1", "_c1": "2.5", "_c2": "x"}]
