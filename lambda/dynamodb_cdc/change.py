"""The pure part of the change consumer: read a DynamoDB stream record, derive its effects.

A record is poison (``PoisonChangeError``, with the reason) when applying it can never succeed:
no new image, an order without a string ``customer_id`` or with an ``amount`` that is not a
finite number, an image with a number DynamoDB cannot store (``NaN``, ``Infinity``, more than 38
digits, beyond its range: ``attribute_values``; the record did not come from DynamoDB), or a
change whose log line cannot be written as JSON in UTF-8.

Each change becomes one change-log line and the deltas it makes to the customers'
totals (an update's delta is new minus old, which is why the stream carries both images).
"""

from __future__ import annotations

import base64
import functools
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from attribute_values import deserialize_item_map
from boto3.dynamodb.types import Binary


class PoisonChangeError(ValueError):
    """A change that can never be applied; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Change(NamedTuple):
    """One stream record, decoded and checked.

    A named tuple: immutable like a frozen dataclass, and built several times faster, which
    counts at 1,000 records a batch (``bench/dynamodb_cdc.py``). The customers and amounts
    ``parse`` checked are kept, so ``deltas`` does not read the images again.
    """

    event_id: str
    event_name: str
    sequence_number: str
    created: int
    order_id: str
    old: dict[str, Any] | None
    new: dict[str, Any]
    new_customer: str
    new_amount: Decimal
    old_customer: str | None = None
    old_amount: Decimal | None = None

    @property
    def day(self) -> str:
        """The UTC day the change happened: the change log's partition."""
        return _utc_day(self.created // 86400)


@functools.lru_cache(maxsize=64)
def _utc_day(day_number: int) -> str:
    # A batch spans a day or two: format each day once (POSIX time has 86,400 s a day).
    return datetime.fromtimestamp(day_number * 86400, tz=UTC).strftime("%Y-%m-%d")


def _image(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PoisonChangeError("an image is not a map")
    try:
        return deserialize_item_map(raw)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise PoisonChangeError(f"an image is not DynamoDB JSON ({exc})") from exc
    except ArithmeticError as exc:  # a decimal signal: more than 38 digits, or out of range
        reason = f"an image holds a number DynamoDB cannot store (decimal {type(exc).__name__})"
        raise PoisonChangeError(reason) from exc


def _amount(image: dict[str, Any]) -> Decimal:
    amount = image.get("amount")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise PoisonChangeError("amount is missing or not a number")
    return amount


def _customer(image: dict[str, Any]) -> str:
    customer = image.get("customer_id")
    if not isinstance(customer, str) or not customer:
        raise PoisonChangeError("customer_id is missing or not a string")
    return customer


def _order_id(raw: Any) -> Any:
    """The key's ``order_id``, as ``(_image(raw) or {}).get("order_id")`` reads it."""
    if raw.__class__ is dict and len(raw) == 1:
        # The table's key is the one string attribute: its value read at once.
        value = raw.get("order_id")
        if value.__class__ is dict and len(value) == 1:
            order_id = value.get("S")
            if order_id.__class__ is str:
                return order_id
    return (_image(raw) or {}).get("order_id")


def _created(value: Any) -> int:
    """The change's time in whole seconds, if it has a UTC day (the log's partition)."""
    try:
        created = int(value)
        _utc_day(created // 86400)  # cached: a batch's day or two are formatted once
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise PoisonChangeError(f"ApproximateCreationDateTime is not a time ({exc})") from exc
    return created


def parse(record: dict[str, Any]) -> Change:
    """Decode a stream record from the Lambda event (raises ``PoisonChangeError``)."""
    stream = record.get("dynamodb")
    if not isinstance(stream, dict):
        raise PoisonChangeError("no dynamodb section")
    new = _image(stream.get("NewImage"))
    if new is None:
        raise PoisonChangeError("no new image (only inserts and updates are consumed)")
    order_id = _order_id(stream.get("Keys"))
    if not isinstance(order_id, str):
        raise PoisonChangeError("the key has no string order_id")
    old = _image(stream.get("OldImage"))
    new_customer, new_amount = _customer(new), _amount(new)
    old_customer, old_amount = (_customer(old), _amount(old)) if old is not None else (None, None)
    return Change(
        str(record.get("eventID", "")),
        str(record.get("eventName", "")),
        str(stream.get("SequenceNumber", "")),
        _created(stream.get("ApproximateCreationDateTime", 0)),
        order_id,
        old,
        new,
        new_customer,
        new_amount,
        old_customer,
        old_amount,
    )


def deltas(change: Change) -> list[tuple[str, int, Decimal]]:
    """``(customer_id, order count delta, amount delta)`` for each customer the change touches."""
    new_customer, new_amount = change.new_customer, change.new_amount
    if change.old is None:
        return [(new_customer, 1, new_amount)]
    old_customer, old_amount = change.old_customer, change.old_amount
    if old_customer == new_customer:
        return [(new_customer, 0, new_amount - old_amount)]
    return [(old_customer, -1, -old_amount), (new_customer, 1, new_amount)]


def _plain(value: Any) -> Any:
    """JSON for what DynamoDB JSON holds beyond JSON: numbers, sets, binary (base64)."""
    if isinstance(value, Decimal):
        try:
            # One exact ratio: an integer stays one; else int / int, rounded correctly as
            # float(value) is. A third of a log line's cost went to the two-step test before.
            numerator, denominator = value.as_integer_ratio()
            return numerator if denominator == 1 else numerator / denominator
        except (ValueError, OverflowError):  # NaN, infinities, beyond a float: the two steps
            return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) if not isinstance(v, str) else v for v in value), key=str)
    if isinstance(value, Binary):
        value = value.value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# One encoder for every line: ``json.dumps`` with options builds a new one per call. No NaN or
# Infinity: they are not JSON, and ``allow_nan=False`` raises rather than write them
# (https://docs.python.org/3/library/json.html#json.dump); ``parse`` refuses them already, so
# this is the second guard.
_ENCODER = json.JSONEncoder(default=_plain, ensure_ascii=False, allow_nan=False)


def log_line(change: Change) -> bytes:
    """The change's line in the change log (JSON, one line, UTF-8); poison if it cannot be one."""
    try:
        return _encoded(change).encode()
    except (ValueError, TypeError, ArithmeticError) as exc:
        # A number JSON cannot hold, a lone surrogate UTF-8 cannot (UnicodeEncodeError is a
        # ValueError): the change is refused here, before it is applied, never when the batch's
        # log object is written.
        raise PoisonChangeError(f"the change cannot be a JSON line ({exc})") from exc


def _encoded(change: Change) -> str:
    return _ENCODER.encode(
        {
            "eventID": change.event_id,
            "eventName": change.event_name,
            "sequenceNumber": change.sequence_number,
            "approximateCreationDateTime": change.created,
            "order_id": change.order_id,
            "old": change.old,
            "new": change.new,
        }
    )
