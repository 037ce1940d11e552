"""Properties of the change consumer's pure part over generated stream records and histories."""

from __future__ import annotations

from decimal import Decimal

from dynamodb_cdc_harness import order, stream_record
from hypothesis import given
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, put_on_path

put_on_path(LAMBDA_ROOT / "dynamodb_cdc")

from change import PoisonChangeError, deltas, log_line, parse  # noqa: E402  (as in Lambda)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.binary(max_size=4)
)
attribute_values = st.one_of(
    st.dictionaries(
        st.sampled_from(["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "ZZ"]), scalars, max_size=2
    ),
    scalars,
)
images = st.one_of(st.none(), st.dictionaries(st.text(max_size=12), attribute_values, max_size=4))


@given(
    st.dictionaries(st.text(max_size=12), st.one_of(scalars, images), max_size=4), images, images
)
def test_any_record_parses_or_is_poison(top, new, old):
    record = {**top, "dynamodb": {"NewImage": new, "OldImage": old, "Keys": new or {}}}
    try:
        change = parse(record)
    except PoisonChangeError as exc:
        assert exc.reason
        return
    assert deltas(change)
    assert log_line(change).count("\n") == 0


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
