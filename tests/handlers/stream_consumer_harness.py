"""The stream scrubber: Kinesis events in the shape Lambda sends them, and a table stand-in."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError
from lambda_harness import LAMBDA_ROOT, load_lambda_module

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/events"
ROLE_ARN = "arn:aws:iam::123456789012:role/scrubber"
TABLE_NAME = "scrubbed-events"
PII_FIELDS = "email,phone,name,address,ip_address,date_of_birth"


def load_handler() -> ModuleType:
    """The scrubber's handler module (its siblings importable, as in Lambda)."""
    return load_lambda_module(LAMBDA_ROOT / "stream_consumer", "handler", "stream_consumer_handler")


def kinesis_record(data: bytes, sequence: int, *, partition_key: str = "user-1") -> dict[str, Any]:
    """One record of the documented Kinesis event
    (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html)."""
    sequence_number = f"{49590338271490256608559692538361571095921575989136588898 + sequence}"
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": 1545084650.987,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-000000000006:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": ROLE_ARN,
        "awsRegion": "us-east-1",
        "eventSourceARN": STREAM_ARN,
    }


def kinesis_event(payloads: Iterable[bytes]) -> dict[str, Any]:
    """A batch: one record per payload, sequence numbers in order."""
    return {"Records": [kinesis_record(p, n) for n, p in enumerate(payloads)]}


class FakeTable:
    """DynamoDB's conditional put, in memory: ``attribute_not_exists(event_id)`` only."""

    def __init__(self, fail_ids: Iterable[str] = ()) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.fail_ids = set(fail_ids)
        self.puts = 0

    def put_item(self, *, Item: dict[str, Any], ConditionExpression: str) -> None:
        assert ConditionExpression == "attribute_not_exists(event_id)"
        self.puts += 1
        key = Item["event_id"]
        if key in self.fail_ids:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "PutItem",
            )
        if key in self.items:
            raise ClientError(
                {"Error": {"Code": "ConditionalCheckFailedException", "Message": "exists"}},
                "PutItem",
            )
        self.items[key] = Item
