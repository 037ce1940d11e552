"""The change consumer: DynamoDB stream records in the shape Lambda sends them."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from lambda_harness import LAMBDA_ROOT, load_lambda_module

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2015-06-27T00:48:05.899"
TOTALS_TABLE = "customer-totals"
CHANGE_LOG_BUCKET = "change-log"
#: 2026-01-01T10:00:00Z
CREATED = 1767261600


def load_handler() -> ModuleType:
    """The change consumer's handler module (its siblings importable, as in Lambda)."""
    return load_lambda_module(LAMBDA_ROOT / "dynamodb_cdc", "handler", "dynamodb_cdc_handler")


def order(order_id: str, customer: Any = "c-1", amount: Any = "10") -> dict[str, Any]:
    """An order item in DynamoDB JSON (``None`` leaves an attribute out)."""
    item: dict[str, Any] = {"order_id": {"S": order_id}}
    if customer is not None:
        item["customer_id"] = customer if isinstance(customer, dict) else {"S": customer}
    if amount is not None:
        item["amount"] = amount if isinstance(amount, dict) else {"N": amount}
    return item


def stream_record(
    sequence: int,
    new: dict[str, Any] | None,
    old: dict[str, Any] | None = None,
    *,
    event_name: str | None = None,
    created: Any = CREATED,
) -> dict[str, Any]:
    """One record of the documented DynamoDB Streams event
    (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html)."""
    image = new or old or {"order_id": {"S": "o-x"}}
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": created,
        "Keys": {"order_id": image.get("order_id", {"S": "o-x"})},
        "SequenceNumber": str(100000000000000000000 + sequence),
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {
        "eventID": f"evt-{sequence}",
        "eventName": event_name or ("MODIFY" if old else "INSERT"),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": STREAM_ARN,
    }
