"""Properties of the change consumer's pure part over generated stream records and histories."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from dynamodb_cdc_harness import load_handler, order, stream_record
from hypothesis import given
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, put_on_path

put_on_path(LAMBDA_ROOT / "dynamodb_cdc")

import change as change_module  # noqa: E402  (as in Lambda)
from change import PoisonChangeError, _plain, deltas, log_line, parse  # noqa: E402 (as in Lambda)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.binary(max_size=4)
)
#: Numbers DynamoDB cannot store, and a string UTF-8 cannot encode: never in a log line.
hostile = st.one_of(
    st.builds(
        lambda v: {"N": v},
        st.sampled_from(["NaN", "sNaN", "-Infinity", "Infinity", "1e126", "1E-131", "1" * 39]),
    ),
    st.builds(lambda v: {"NS": ["1", v]}, st.sampled_from(["NaN", "Infinity"])),
    st.just({"S": "caf\ud800"}),
)
attribute_values = st.one_of(
    hostile,
    st.dictionaries(
        st.sampled_from(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "ZZ"]), scalars, max_size=2
    ),
    scalars,
)
images = st.one_of(st.none(), st.dictionaries(st.text(max_size=12), attribute_values, max_size=4))


@given(
    st.dictionaries(st.text(max_size=12), st.one_of(scalars, images), max_size=4), images, images
)
def test_any_record_parses_to_a_json_line_or_is_poison(top, new, old):
    record = {**top, "dynamodb": {"NewImage": new, "OldImage": old, "Keys": new or {}}}
    try:
        change = parse(record)
        line = log_line(change)  # encoded before applying, as the handler does
    except PoisonChangeError as exc:
        assert exc.reason
        return
    assert deltas(change)
    assert line.count(b"\n") == 0
    json.loads(line, parse_constant=_no_constant)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


amounts = st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False)
customers = st.sampled_from(["c-1", "c-2", "c-3"])
histories = st.lists(
    st.tuples(st.sampled_from(["o-1", "o-2", "o-3", "o-4"]), customers, amounts), max_size=30
)


@given(histories)
def test_applying_every_change_in_order_gives_the_totals_of_the_final_orders(history):
    current: dict[str, dict] = {}
    totals: dict[str, tuple[int, Decimal]] = {}
    for sequence, (order_id, customer, amount) in enumerate(history):
        new = order(order_id, customer, str(amount))
        record = stream_record(sequence, new, current.get(order_id))
        for who, count, delta in deltas(parse(record)):
            n, total = totals.get(who, (0, Decimal(0)))
            totals[who] = (n + count, total + delta)
        current[order_id] = new
    expected: dict[str, tuple[int, Decimal]] = {}
    for item in current.values():
        who, amount = item["customer_id"]["S"], Decimal(item["amount"]["N"])
        n, total = expected.get(who, (0, Decimal(0)))
        expected[who] = (n + 1, total + amount)
    assert {k: v for k, v in totals.items() if v != (0, Decimal(0))} == expected


def _plain_two_steps(value: Decimal):
    """The log line's number as it was first written: an integer if integral, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


@given(
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.decimals(min_value=-(10**38), max_value=10**38, places=10)
    | st.sampled_from(
        [
            *map(Decimal, ["-0", "1.000", "1E+125", "1E-130"]),
            Decimal("1" + "0" * 400 + ".5"),  # beyond a float: inf, as float() gives it
            Decimal("-0." + "0" * 400 + "1"),
        ]
    )
)
def test_a_numbers_json_value_is_the_integer_or_the_correctly_rounded_float(value):
    try:
        expected = _plain_two_steps(value)
    except OverflowError:  # a float too large: neither way can write it
        with pytest.raises(OverflowError):
            _plain(value)
        return
    got = _plain(value)
    assert (type(got), repr(got)) == (type(expected), repr(expected))


@given(st.sampled_from(["NaN", "Infinity", "-Infinity"]))
def test_a_number_that_is_not_finite_goes_the_two_step_way(text):
    value = Decimal(text)
    try:
        expected = repr(_plain_two_steps(value))
    except OverflowError:
        with pytest.raises(OverflowError):
            _plain(value)
        return
    assert repr(_plain(value)) == expected


class _Objects:
    """``PutObject`` on a list: what the change log writes, in order."""

    def __init__(self) -> None:
        self.put: list[tuple[str, bytes]] = []

    def put_object(self, *, Key: str, Body: bytes, **_) -> None:
        self.put.append((Key, Body))


@given(st.lists(st.sampled_from(["2026-01-01", "2026-01-02", "2026-01-03"]), max_size=12))
def test_the_log_writes_one_object_per_run_of_one_day_with_its_lines_in_order(days):
    handler = load_handler()
    objects = _Objects()
    entries = [
        handler.Logged(day, str(100 + n), f'{{"n": {n}}}'.encode()) for n, day in enumerate(days)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handler, "s3_client", lambda: objects)
        keys = handler.write_log(entries, "bucket")
    assert keys == [key for key, _ in objects.put]
    runs: list[list] = []
    for entry in entries:  # a new object wherever the day changes
        if runs and runs[-1][-1].day == entry.day:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    assert objects.put == [
        (
            f"changes/day={run[0].day}/{run[0].sequence_number}-{run[-1].sequence_number}.jsonl",
            b"".join(e.line + b"\n" for e in run),
        )
        for run in runs
    ]


@given(images | st.dictionaries(st.just("order_id"), attribute_values, max_size=1) | scalars)
def test_the_order_id_is_read_as_the_decoded_key_gives_it(keys):
    # The key's fast reader against the general way: decode the whole key, then look.
    try:
        expected = (change_module._image(keys) or {}).get("order_id")
    except PoisonChangeError:
        with pytest.raises(PoisonChangeError):
            change_module._order_id(keys)
        return
    assert change_module._order_id(keys) == expected


@pytest.mark.parametrize("number", ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"])
def test_a_change_that_is_not_a_json_line_is_poison_at_its_encoding(number):
    # The second guard: a change ``parse`` let through with a number JSON cannot hold.
    change = parse(stream_record(1, order("o-1")))._replace(new={"x": Decimal(number)})
    with pytest.raises(PoisonChangeError, match="cannot be a JSON line"):
        log_line(change)


def test_a_lone_surrogate_is_poison_at_its_encoding():
    change = parse(stream_record(1, {**order("o-1"), "x": {"S": "caf\ud800"}}))
    with pytest.raises(PoisonChangeError, match="cannot be a JSON line"):
        log_line(change)
