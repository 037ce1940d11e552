"""The change consumer on batches holding numbers DynamoDB cannot store, anywhere in a record.

DynamoDB numbers are finite, of at most 38 digits, and from 1E-130 to 9.99...E+125 in magnitude
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number),
so a stream record with ``NaN``, ``Infinity`` or a number out of range did not come from DynamoDB.
Whatever the batch, the invocation returns: every record is applied and logged, or reported in
``batchItemFailures`` (the first with its reason), and every line of the change log is JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from dynamodb_cdc_harness import load_handler, order, stream_record
from hypothesis import given
from hypothesis import strategies as st
from lambda_harness import FakeLambdaContext

#: Numbers an item cannot hold: not finite, out of range (too large, too small), 39 digits.
BAD_NUMBERS = st.one_of(
    st.sampled_from(
        ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e126", "-1E+126", "1E-131"]
    ),
    st.sampled_from(["1" * 39, "-123456789012345678901234567890123456789", "0.1e-140"]),
    st.decimals(allow_nan=True, allow_infinity=True).filter(lambda d: not d.is_finite()).map(str),
)
#: Numbers it can, the documented bounds included: these records must be applied.
GOOD_NUMBERS = st.one_of(
    st.sampled_from(
        ["0", "-0", "1E-130", "-1E-130", "9.9999999999999999999999999999999999999E+125"]
    ),
    st.sampled_from(["9" * 38, "-1E+125", "0.000"]),
    st.integers(-(10**6), 10**6).map(str),
)
#: Where a bad value goes: the key, the amount or another attribute (nested, in a set), in the new
#: or the old image; and a lone surrogate, a string UTF-8 cannot encode.
PLACES = [
    "key order_id",
    "key other",
    "new amount",
    "old amount",
    "new other",
    "old other",
    "new nested",
    "new number set",
    "new lone surrogate",
]


def _record(sequence: int, other: str, update: bool, bad: tuple[str, str] | None) -> dict:
    order_id = f"o-{sequence}"
    new = {**order(order_id, "c-1", "10"), "x": {"N": other}}
    old = {**order(order_id, "c-1", "7"), "x": {"N": other}} if update else None
    if bad is not None:
        place, number = bad
        if place.startswith("old") and old is None:
            old = order(order_id, "c-1", "7")
        image = old if place.startswith("old") else new
        value: Any = {"N": number}
        if place.endswith("nested"):
            value = {"M": {"items": {"L": [{"M": {"qty": {"N": number}}}]}}}
        elif place.endswith("number set"):
            value = {"NS": ["1", number]}
        elif place.endswith("surrogate"):
            value = {"S": "caf\ud800"}
        if place.endswith("amount"):
            image["amount"] = value
        elif not place.startswith("key"):
            image["y"] = value
    record = stream_record(sequence, new, old)
    if bad is not None and bad[0] == "key order_id":
        record["dynamodb"]["Keys"] = {"order_id": {"N": bad[1]}}
    elif bad is not None and bad[0] == "key other":
        record["dynamodb"]["Keys"]["sk"] = {"N": bad[1]}
    return record


records = st.tuples(
    GOOD_NUMBERS,
    st.booleans(),
    st.none() | st.tuples(st.sampled_from(PLACES), BAD_NUMBERS),
)


class _Aws:
    """``TransactWriteItems`` and ``PutObject`` on lists (every guard passes: sequences grow)."""

    def __init__(self) -> None:
        self.orders: list[str] = []
        self.bodies: list[bytes] = []

    def transact_write_items(self, *, TransactItems: list[dict]) -> None:
        self.orders.append(TransactItems[0]["Update"]["Key"]["pk"]["S"].removeprefix("order#"))

    def put_object(self, *, Body: bytes, **_: Any) -> None:
        self.bodies.append(Body)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@pytest.fixture(scope="module")
def handler() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_SERVICE_NAME", "dynamodb-cdc")
        patch.setenv("TOTALS_TABLE", "totals")
        patch.setenv("CHANGE_LOG_BUCKET", "log")
        yield load_handler()


@given(batch=st.lists(records, min_size=1, max_size=8))
def test_every_record_is_applied_or_reported_and_every_line_is_json(handler, batch):
    event = {"Records": [_record(n, *spec) for n, spec in enumerate(batch)]}
    bad = [spec[2] is not None for spec in batch]
    first_bad = bad.index(True) if True in bad else len(batch)
    aws, poison = _Aws(), []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handler, "dynamodb_client", lambda: aws)
        patch.setattr(handler, "s3_client", lambda: aws)
        patch.setattr(handler.logger, "warning", lambda msg, extra: poison.append(extra))
        response = handler.lambda_handler(event, FakeLambdaContext())  # never raises
    records = event["Records"]
    # Applied and logged: exactly the records before the first bad one, in order.
    assert aws.orders == [f"o-{n}" for n in range(first_bad)]
    lines = [
        json.loads(line, parse_constant=_no_constant)
        for body in aws.bodies
        for line in body.decode().splitlines()
    ]
    assert [line["eventID"] for line in lines] == [r["eventID"] for r in records[:first_bad]]
    # Reported: the bad one and every record after it (Lambda retries from the first).
    assert response["batchItemFailures"] == [
        {"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records[first_bad:]
    ]
    if first_bad < len(batch):
        [reported] = poison
        assert reported["sequence_number"] == records[first_bad]["dynamodb"]["SequenceNumber"]
        assert reported["reason"]
    else:
        assert not poison
