"""Stream scrubber throughput: the handler on a 6 MB Kinesis batch vs a decode-and-write floor.

One batch as large as Lambda's synchronous payload allows (6 MB,
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html; at most 10,000 records,
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html) of JSON events
with PII fields, in the documented Kinesis event shape. The floor, measured in the same run on the
same records, does the least a consumer must: base64-decode, ``json.loads``, write the event
keyed by its id. The figure is the whole handler (Powertools ``BatchProcessor``, validation, PII
removal, canonical JSON, the conditional write, the batch's log line and metrics). Both write to
the same kind of in-memory table stand-in (a dictionary with DynamoDB's conditional put), so the
ratio is the handler's own processing cost; real DynamoDB round trips add the same latency to
both. Run alternately, median of ``--repeat`` runs. Target: ratio handler / floor >= 0.7.

    python -m bench.stream_consumer [--repeat 5] [--records 10000]
"""

import argparse
import base64
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from bench.handler_ratio import LambdaContext, compare, load_function, report
from refarch.local.sources.event_source_mappings.batching import Batch

TARGET_RATIO = 0.7
PII_FIELDS = "email,phone,name,address,ip_address,date_of_birth"
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/bench"


CONTEXT = LambdaContext("stream-consumer-bench", 256)


class MemoryTable:
    """DynamoDB's ``PutItem`` with ``attribute_not_exists`` on the key, on a dictionary."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(self, *, Item: dict[str, Any], ConditionExpression: str = "") -> None:
        """Keep the item unless its key is there and the write is conditional."""
        key = Item["event_id"]
        if ConditionExpression and key in self.items:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem")
        self.items[key] = Item


def batch(records: int = 10_000) -> dict[str, Any]:
    """A Kinesis event of JSON events filling 6 MB (or ``records``, at most 10,000)."""
    filling = Batch(records)
    sequence = 49590338271490256608559692538361571095921575989136588898
    n = 0
    while True:
        body = {
            "event_id": f"0190c7d2-{n:04x}-7000-8000-{n:012x}",
            "event_type": "page_view",
            "occurred_at": "2026-01-01T10:00:00.000Z",
            "page": f"/products/{n % 500}",
            "referrer": "https://www.example.com/search?q=shoes",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
            "email": f"user{n}@example.com",
            "phone": "+49 30 1234567",
            "name": "Ana Müller",
            "ip_address": "203.0.113.7",
            "cart": {"items": n % 7, "value": round(19.99 * (n % 7), 2), "currency": "EUR"},
        }
        record = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": f"user-{n % 1000}",
                "sequenceNumber": str(sequence + n),
                "data": base64.b64encode(json.dumps(body).encode()).decode(),
                "approximateArrivalTimestamp": 1767261600.0 + n / 1000,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"shardId-000000000000:{sequence + n}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/bench",
            "awsRegion": "us-east-1",
            "eventSourceARN": STREAM_ARN,
        }
        if not filling.fits(record):
            return filling.event()
        filling.add(record)
        n += 1


def floor_consumer(table: MemoryTable) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Decode each record and write it keyed by its id: no validation, no framework.

    The same write the handler must make (the item's four attributes, conditional on its id), so
    the two differ only by the handler's checks, scrubbing, framework and accounting.
    """

    def work(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        for record in event["Records"]:
            body = json.loads(base64.b64decode(record["kinesis"]["data"]))
            table.put_item(
                Item={
                    "event_id": body["event_id"],
                    "event_type": body.get("event_type", "unknown"),
                    "body": json.dumps(body),
                    "source_sequence": record["kinesis"]["sequenceNumber"],
                },
                ConditionExpression="attribute_not_exists(event_id)",
            )
        return {"batchItemFailures": []}

    return work


def load_handler(table: MemoryTable) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Import the scrubber from its asset directory, as Lambda does, with the stack's settings."""
    os.environ.update(
        {
            "POWERTOOLS_SERVICE_NAME": "stream-consumer",
            "POWERTOOLS_METRICS_NAMESPACE": "refarch-bench",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "TABLE_NAME": "bench",
            "PII_FIELDS": PII_FIELDS,
        }
    )
    handler = load_function("stream_consumer")

    handler.table = lambda: table
    return handler.lambda_handler


def main(argv: list[str] | None = None) -> int:
    """Build the batch, check both write every event once, time both; print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--records", type=int, default=10_000, help="at most this many (the 6 MB fill first)"
    )
    args = parser.parse_args(argv)
    event = batch(args.records)
    count = len(event["Records"])
    size_mb = len(json.dumps(event).encode()) / 1024 / 1024
    handler_table, floor_table = MemoryTable(), MemoryTable()
    handler, floor = load_handler(handler_table), floor_consumer(floor_table)
    with contextlib.redirect_stdout(io.StringIO()):
        answer = handler(event, CONTEXT)
    leaked = [i for i in handler_table.items.values() if '"email"' in i["body"]]
    if answer != {"batchItemFailures": []} or len(handler_table.items) != count or leaked:
        raise RuntimeError(f"the handler did not write every event once, scrubbed: {answer}")

    def empty_tables() -> None:
        """Every repeat writes: none meets an earlier repeat's items as duplicates."""
        floor_table.items.clear()
        handler_table.items.clear()

    comparison = compare(floor, handler, event, CONTEXT, args.repeat, reset=empty_tables)
    return report(
        comparison,
        label=f"{count} records ({size_mb:.2f} MB)",
        count=count,
        unit="rec",
        repeat=args.repeat,
        target=TARGET_RATIO,
    )


if __name__ == "__main__":
    sys.exit(main())
