"""DynamoDB JSON to Python, as boto3's ``TypeDeserializer`` does it, without its per-value cost.

``TypeDeserializer.deserialize`` looks its decoder up with ``getattr`` on a built name for every
value; a stream record's images are many small values, so that lookup dominated the consumer.
Here the ten type descriptors DynamoDB sends
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html) map
straight to their decoders; anything else (a spelling only boto3 tolerates, an empty or malformed
value) goes to ``TypeDeserializer`` itself, so results and errors are the same for every input
(a Hypothesis property in the tests holds this).

Two decoders are built the same way. ``deserialize``/``deserialize_map`` are exactly
``TypeDeserializer``. ``deserialize_item``/``deserialize_item_map`` also hold every number (``N``
and ``NS``, at any depth) to what DynamoDB stores: "Numbers can be positive, negative, or zero",
up to 38 digits of precision, magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number).
``TypeDeserializer`` accepts ``NaN``, ``sNaN``, ``Infinity`` (and any non-numeric text, as
``NaN``) and exponents up to 126: none can be in an item, so an image holding one did not come
from DynamoDB, and the strict decoder raises ``NotADynamoDBNumberError`` for it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary, TypeDeserializer

_deserializer = TypeDeserializer()
_number = DYNAMODB_CONTEXT.create_decimal

#: DynamoDB's magnitudes, as adjusted exponents (the exponent of the leading digit): with at most
#: 38 digits (the context traps more), 1E-130 <= |n| <= 9.99...E+125 is -130 <= adjusted <= 125.
_MIN_ADJUSTED, _MAX_ADJUSTED = -130, 125


class NotADynamoDBNumberError(ValueError):
    """An ``N`` value DynamoDB cannot store: not finite, or out of its range."""


def _dynamodb_number(value: Any) -> Decimal:
    """The number as ``TypeDeserializer`` reads it, if DynamoDB could have stored it."""
    number = _number(value)
    if number.is_finite() and (not number or _MIN_ADJUSTED <= number.adjusted() <= _MAX_ADJUSTED):
        return number
    raise NotADynamoDBNumberError(f"not a DynamoDB number: {str(value)[:48]!r}")


class _DynamoDBNumbers(TypeDeserializer):
    """``TypeDeserializer`` with the number check (its ``NS``, ``L`` and ``M`` come back here)."""

    def _deserialize_n(self, value: Any) -> Decimal:
        return _dynamodb_number(value)


def _decoder(
    number: Callable[[Any], Decimal], general: TypeDeserializer
) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], dict[str, Any]]]:
    """``(deserialize, deserialize_map)``: ``number`` decodes ``N``, ``general`` the rest."""

    def deserialize(value: Any) -> Any:
        if type(value) is dict and value:
            kind = next(iter(value))  # the first key, as TypeDeserializer reads it
            if kind == "S":
                return value["S"]
            decode = decoders.get(kind)
            if decode is not None:
                return decode(value[kind])
        return general.deserialize(value)

    def deserialize_map(raw: dict[str, Any]) -> dict[str, Any]:
        return {k: deserialize(v) for k, v in raw.items()}

    decoders: dict[Any, Callable[[Any], Any]] = {
        "N": number,
        "BOOL": lambda value: value,
        "NULL": lambda value: None,
        "B": Binary,
        "SS": set,
        "NS": lambda value: set(map(number, value)),
        "BS": lambda value: set(map(Binary, value)),
        "L": lambda value: [deserialize(v) for v in value],
        "M": lambda value: {k: deserialize(v) for k, v in value.items()},
    }
    return deserialize, deserialize_map


deserialize, deserialize_map = _decoder(_number, _deserializer)
deserialize.__doc__ = "The Python value of one attribute value (``TypeDeserializer`` semantics)."
deserialize_map.__doc__ = "An item (or image): each attribute's Python value."
deserialize_item, deserialize_item_map = _decoder(_dynamodb_number, _DynamoDBNumbers())
deserialize_item.__doc__ = "``deserialize``, refusing a number DynamoDB cannot store."
deserialize_item_map.__doc__ = "``deserialize_map``, refusing a number DynamoDB cannot store."
