"""The change consumer's attribute-value decoders, any input: ``deserialize`` equals boto3's
``TypeDeserializer``; ``deserialize_item`` equals it with numbers held to DynamoDB's documented
range and precision
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, put_on_path

put_on_path(LAMBDA_ROOT / "dynamodb_cdc")

from attribute_values import (  # noqa: E402  (as in Lambda)
    NotADynamoDBNumberError,
    deserialize,
    deserialize_item,
)

_reference = TypeDeserializer()

#: The guide's bounds, as it writes them: "Positive range: 1E-130 to 9.99...E+125", and negative.
_SMALLEST, _LARGEST = Decimal("1E-130"), Decimal("9.9999999999999999999999999999999999999E+125")


class _DocumentedNumbers(TypeDeserializer):
    """``TypeDeserializer`` refusing a number the DynamoDB guide says an item cannot hold."""

    def _deserialize_n(self, value: Any) -> Decimal:
        number = super()._deserialize_n(value)
        size = number.copy_abs()  # exact (``abs`` would round to the context's precision)
        if not number.is_finite() or (number and not _SMALLEST <= size <= _LARGEST):
            raise NotADynamoDBNumberError(f"not a DynamoDB number: {str(value)[:48]!r}")
        return number


_item_reference = _DocumentedNumbers()

# Numbers DynamoDB accepts and ones it does not (too precise, out of range, not a number).
numbers = st.one_of(
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        ["1e126", "1e-131", "1" * 39, "0.1e-140", "abc", "", " 1", "sNaN", "-Infinity", "NaN"]
    ),
    st.sampled_from(["9" * 38 + "E+88", "9.9999999999999999999999999999999999999E+125"]),
    st.sampled_from(["1E-130", "-1E-130", "-0", "0.000", "1E+125", "-1E+126", "10E+125"]),
)
junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.binary(max_size=3)
)
kinds = st.sampled_from(
    ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M", "s", "n", "m", "X", ""]
)


def _values(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    well_formed = st.one_of(
        st.builds(lambda v: {"S": v}, st.text(max_size=5)),
        st.builds(lambda v: {"N": v}, numbers),
        st.builds(lambda v: {"B": v}, st.binary(max_size=4)),
        st.builds(lambda v: {"BOOL": v}, st.booleans()),
        st.just({"NULL": True}),
        st.builds(lambda v: {"SS": v}, st.lists(st.text(max_size=3), max_size=3)),
        st.builds(lambda v: {"NS": v}, st.lists(numbers, max_size=3)),
        st.builds(lambda v: {"BS": v}, st.lists(st.binary(max_size=3), max_size=3)),
        st.builds(lambda v: {"L": v}, st.lists(children, max_size=3)),
        st.builds(lambda v: {"M": v}, st.dictionaries(st.text(max_size=3), children, max_size=3)),
    )
    malformed = st.one_of(
        junk,
        st.just({}),
        st.dictionaries(kinds, st.one_of(junk, children, st.lists(junk, max_size=2)), max_size=3),
    )
    return st.one_of(well_formed, well_formed, malformed)


attribute_values = st.recursive(st.builds(lambda v: {"S": v}, st.text(max_size=3)), _values)


def _canonical(value: Any) -> str:
    """``repr`` with sets sorted: a NaN's hash is its identity, so set order can differ."""
    if isinstance(value, set):
        return "{" + ", ".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_canonical(v)}" for k, v in value.items()) + "}"
    return f"{type(value).__name__}:{value!r}"


def _outcome(decode: Any, value: Any) -> tuple[str, str]:
    try:
        return ("value", _canonical(decode(value)))
    except Exception as exc:  # the property compares the failures too
        return ("error", f"{type(exc).__name__}: {exc}")


@settings(max_examples=400)
@given(attribute_values)
def test_same_value_or_same_error_as_type_deserializer(value: Any) -> None:
    assert _outcome(deserialize, value) == _outcome(_reference.deserialize, value)


@settings(max_examples=400)
@given(attribute_values)
def test_the_item_decoder_is_the_same_but_refuses_numbers_dynamodb_cannot_store(value: Any) -> None:
    assert _outcome(deserialize_item, value) == _outcome(_item_reference.deserialize, value)


@pytest.mark.parametrize(
    "value",
    [
        {"N": "NaN"},
        {"N": "sNaN"},
        {"N": "Infinity"},
        {"N": "-Infinity"},
        {"N": "1e126"},
        {"N": "-1E-131"},
        {"N": "ten"},  # boto3 reads text that is not a number as NaN
        {"NS": ["1", "NaN"]},
        {"L": [{"M": {"x": {"N": "Infinity"}}}]},
        {"n": "NaN"},  # a spelling only boto3 tolerates: its own decoder, the same check
        {"l": [{"N": "1e126"}]},
    ],
)
def test_a_number_dynamodb_cannot_store_is_refused_at_any_depth(value: Any) -> None:
    assert deserialize(value) is not None  # boto3 reads it
    with pytest.raises(NotADynamoDBNumberError, match="not a DynamoDB number"):
        deserialize_item(value)


@pytest.mark.parametrize(
    "text", ["0", "-0", "1E-130", "-1E-130", "9.9999999999999999999999999999999999999E+125"]
)
def test_the_documented_bounds_are_numbers(text: str) -> None:
    assert deserialize_item({"N": text}) == Decimal(text)


def test_the_documented_shapes() -> None:
    item = {
        "S": {"S": "a"},
        "N": {"N": "1.50"},
        "L": {"L": [{"NULL": True}, {"BOOL": False}, {"SS": ["x"]}]},
        "M": {"M": {"ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"z"]}, "b": {"B": b"y"}}},
    }
    assert {k: deserialize(v) for k, v in item.items()} == {
        k: _reference.deserialize(v) for k, v in item.items()
    }
