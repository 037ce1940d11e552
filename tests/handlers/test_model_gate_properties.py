"""Properties of the gate's pure parts: every row has one outcome; figures are measured values."""

from __future__ import annotations

from gate_metrics import Tally, Thresholds, judge, percentile
from gate_test_set import LabelledRow, RejectedRow, parse_test_set
from hypothesis import given
from hypothesis import strategies as st

lines = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.builds(
            lambda label, xs: f"{label},{','.join(map(str, xs))}".encode(),
            st.sampled_from(["0", "1", "2", ""]),
            st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=4),
        ),
    ),
    max_size=60,
)


@given(lines, st.integers(1, 30))
def test_every_line_is_an_example_or_a_rejection_in_order(raw, max_rows) -> None:
    outcomes = list(parse_test_set(raw, max_rows=max_rows))
    assert [o.line for o in outcomes] == list(range(1, len(raw) + 1))
    examples = [o for o in outcomes if isinstance(o, LabelledRow)]
    assert len(examples) <= max_rows
    assert all(isinstance(o, RejectedRow) and o.reason for o in outcomes if o not in examples)
    widths = {e.body.count(",") for e in examples}
    assert len(widths) <= 1  # every example has the first example's width


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=300), st.floats(1, 100))
def test_percentile_is_a_measured_value_with_enough_values_at_or_below(values, percent) -> None:
    figure = percentile(values, percent)
    assert figure in values
    at_or_below = sum(1 for v in values if v <= figure)
    assert at_or_below >= percent / 100 * len(values) - 1e-9
    below = sum(1 for v in values if v < figure)
    assert below < percent / 100 * len(values) + 1e-9


@given(
    st.lists(st.tuples(st.booleans(), st.booleans(), st.floats(0, 1000)), max_size=80),
    st.floats(0, 1),
    st.floats(1, 1000),
    st.floats(0, 1),
)
def test_the_verdict_fails_exactly_when_a_threshold_is_missed(rows, max_error, max_p99, min_acc):
    tally = Tally()
    for ok, correct, latency in rows:
        if ok:
            tally.answered(1, 0.9 if correct else 0.1, latency)
        else:
            tally.failed(latency)
    thresholds = Thresholds(max_error, max_p99, min_acc, min_examples=5)
    verdict = judge(tally, thresholds)
    if tally.examples < 5:
        assert not verdict.passed and verdict.error_rate is None
        return
    missed = (
        verdict.error_rate > max_error
        or verdict.p99_latency_ms > max_p99
        or verdict.accuracy < min_acc
    )
    assert verdict.passed is not missed
