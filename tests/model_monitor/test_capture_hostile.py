"""Hostile capture lines: every line ends as records or counted with its reason; nothing raises."""

from __future__ import annotations

import base64
import json
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from monitor_data import capture_line, json_lines, training_rows

from refarch.model_monitor import profile
from refarch.model_monitor.capture import MAX_FEATURES, ReadReport, read_capture
from refarch.model_monitor.jobs import analyse_window, suggest_baseline


@pytest.fixture(scope="module")
def baseline():
    lines = json_lines(training_rows(500))
    return suggest_baseline(lambda: iter(lines), "json")


def _input(data: bytes, content_type: str = "application/json", encoding: str = "BASE64"):
    payload = base64.b64encode(data).decode() if encoding == "BASE64" else data.decode()
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": content_type,
                    "data": payload,
                    "encoding": encoding,
                }
            }
        }
    ).encode()


HOSTILE = {
    b"{not json": "not JSON",
    b"[1, 2]": "not a capture record (no captureData)",
    b'{"captureData": {}}': "no captureData.endpointInput.data",
    _input(b"<xml/>", "application/json"): "payload is not JSON",
    _input(b"[1, 2]"): "JSON payload is not an object",
    _input(b'{"a": {"b": 1}}'): "JSON payload has nested values",
    _input(b"\xff\xfe", "text/csv"): "endpointInput.data is not base64 of UTF-8 text",
    _input(b"a,b", "image/png"): "unsupported content type 'image/png'",
    _input(b"1,2", "text/csv", encoding="ROT13"): "unknown encoding 'ROT13'",
    _input(b"\n\n", "text/csv"): "empty CSV payload",
    b"   ": "empty line",
    _input(",".join(["1"] * (MAX_FEATURES + 1)).encode(), "text/csv"): (
        f"wider than {MAX_FEATURES} features"
    ),
}


@pytest.mark.parametrize(("line", "reason"), HOSTILE.items(), ids=range(len(HOSTILE)))
def test_each_hostile_line_is_counted_with_its_reason(line, reason):
    report = ReadReport()
    good = capture_line({"tenure_months": 3})
    records = list(read_capture([good, line, good], report))
    assert len(records) == 2
    assert report.as_dict()["bad_by_reason"] == {reason: 1}
    assert report.examples == [(2, reason)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200), st.text(max_size=200)), max_size=20))
def test_arbitrary_lines_never_raise_and_are_all_accounted_for(lines):
    report = ReadReport()
    records = list(read_capture(lines, report))
    assert report.lines == len(lines)
    assert report.records == len(records)
    good_lines = report.lines - report.bad_lines
    assert good_lines <= report.records or good_lines == 0


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=12), _scalars, max_size=8), max_size=30))
def test_any_schema_in_a_window_is_analysed_without_raising(baseline, rows):
    lines = [capture_line(row) for row in rows]
    analysis = analyse_window(lines, baseline.constraints, baseline.statistics)
    assert analysis.statistics["dataset"]["item_count"] == len(rows)
    assert analysis.report.bad_lines == 0
    for violation in analysis.violations:
        assert violation["constraint_check_type"] in {
            "data_type_check",
            "completeness_check",
            "baseline_drift_check",
            "missing_column_check",
            "extra_column_check",
            "categorical_values_check",
        }


def test_an_empty_window_gives_empty_statistics_not_a_crash(baseline):
    analysis = analyse_window([], baseline.constraints, baseline.statistics)
    assert analysis.statistics["dataset"]["item_count"] == 0
    assert analysis.report.lines == 0
    assert {v["constraint_check_type"] for v in analysis.violations} == {"missing_column_check"}


def test_a_schema_change_is_an_extra_column_and_a_type_violation(baseline):
    rows = training_rows(300, state=1)
    for row in rows:
        row["region"] = "eu"
        row["support_calls"] = "many"
    analysis = analyse_window(
        [capture_line(r) for r in rows], baseline.constraints, baseline.statistics
    )
    found = {(v["feature_name"], v["constraint_check_type"]) for v in analysis.violations}
    assert ("region", "extra_column_check") in found
    assert ("support_calls", "data_type_check") in found


def test_very_wide_records_keep_memory_bounded(baseline):
    wide = {f"k{i}": i for i in range(5_000)}
    analysis = analyse_window([capture_line(wide)] * 3, baseline.constraints, baseline.statistics)
    assert len(analysis.window.extra_columns) <= 100
    assert analysis.window.extra_other > 0


def _peak(n: int, baseline) -> int:
    rows = training_rows(50, state=2)
    lines = (capture_line(rows[i % 50]) for i in range(n))
    tracemalloc.start()
    analyse_window(lines, baseline.constraints, baseline.statistics)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_is_flat_in_the_window_size(baseline, monkeypatch):
    # Columns are buffered BATCH_VALUES at a time: with a small batch both windows span many.
    monkeypatch.setattr(profile, "BATCH_VALUES", 1_000)
    small, large = _peak(2_000, baseline), _peak(20_000, baseline)
    assert large < small * 1.5 + 64 * 1024
