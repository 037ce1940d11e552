"""DynamoDB JSON to Python, as boto3's ``TypeDeserializer`` does it, without its per-value cost.

``TypeDeserializer.deserialize`` looks its decoder up with ``getattr`` on a built name for every
value; a stream record's images are many small values, so that lookup dominated the consumer.
Here the ten type descriptors DynamoDB sends
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValue.html) map
straight to their decoders; anything else (a spelling only boto3 tolerates, an empty or malformed
value) goes to ``TypeDeserializer`` itself, so results and errors are the same for every input
(a Hypothesis property in the tests holds this).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT, Binary, TypeDeserializer

_deserializer = TypeDeserializer()
_number = DYNAMODB_CONTEXT.create_decimal


def deserialize(value: Any) -> Any:
    """The Python value of one DynamoDB JSON attribute value (``TypeDeserializer`` semantics)."""
    if type(value) is dict and value:
        kind = next(iter(value))  # the first key, as TypeDeserializer reads it
        if kind == "S":
            return value["S"]
        decode = _DECODERS.get(kind)
        if decode is not None:
            return decode(value[kind])
    return _deserializer.deserialize(value)


def deserialize_map(raw: dict[str, Any]) -> dict[str, Any]:
    """An item (or image): each attribute's Python value."""
    return {k: deserialize(v) for k, v in raw.items()}


def _list(value: Any) -> list[Any]:
    return [deserialize(v) for v in value]


def _map(value: Any) -> dict[str, Any]:
    return {k: deserialize(v) for k, v in value.items()}


_DECODERS: dict[Any, Callable[[Any], Any]] = {
    "N": _number,
    "BOOL": lambda value: value,
    "NULL": lambda value: None,
    "B": Binary,
    "SS": set,
    "NS": lambda value: set(map(_number, value)),
    "BS": lambda value: set(map(Binary, value)),
    "L": _list,
    "M": _map,
}
