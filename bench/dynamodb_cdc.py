"""Change consumer throughput: the handler on 1,000 stream records vs a decode-and-write floor.

One batch of 1,000 DynamoDB stream records (inserts and updates of orders, in the documented
event shape, https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html). The floor, measured in
the same run on the same records, does the least a consumer must: deserialize the new image,
write one aggregate update per record and the records as one JSON Lines object, with no
validation. The figure is the whole handler (parsing and validation, deltas from new and old
images, the guarded transaction, the change-log lines). Both write to the same in-memory
stand-ins for DynamoDB and S3, so the ratio is the handler's own processing cost; real round
trips add the same latency to both. Median of ``--repeat`` runs. Target: ratio >= 0.7.

    python -m bench.dynamodb_cdc [--repeat 5] [--records 1000]
"""

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from bench.handler_ratio import LambdaContext, compare, load_function, report
from refarch import LAMBDA_ROOT

TARGET_RATIO = 0.7


CONTEXT = LambdaContext("dynamodb-cdc-bench", 256)


class MemoryAws:
    """``TransactWriteItems``, ``UpdateItem`` and ``PutObject`` on dictionaries."""

    def __init__(self) -> None:
        self.updates = 0
        self.objects: dict[str, bytes] = {}

    def transact_write_items(self, *, TransactItems: list[dict[str, Any]]) -> None:
        """Count the updates (no guard is ever refused: every record is new)."""
        self.updates += len(TransactItems)

    def update_item(self, **_: Any) -> None:
        """Count the update."""
        self.updates += 1

    def put_object(self, *, Key: str, Body: bytes, **_: Any) -> None:
        """Keep the object."""
        self.objects[Key] = Body


def batch(count: int) -> dict[str, Any]:
    """``count`` stream records: inserts, then updates of the same orders."""
    records = []
    for n in range(count):
        order_id = f"o-{n % (count // 2 or 1)}"
        new = {
            "order_id": {"S": order_id},
            "customer_id": {"S": f"c-{n % 50}"},
            "amount": {"N": f"{10 + n % 90}.{n % 100:02d}"},
            "status": {"S": "PLACED"},
            "items": {"L": [{"M": {"sku": {"S": f"sku-{n % 7}"}, "qty": {"N": "1"}}}]},
        }
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": 1767261600 + n,
            "Keys": {"order_id": {"S": order_id}},
            "NewImage": new,
            "SequenceNumber": str(100000000000000000000 + n),
            "SizeBytes": 200,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        updating = n >= count // 2
        if updating:
            change["OldImage"] = {**new, "amount": {"N": "10"}}
        records.append(
            {
                "eventID": f"evt-{n}",
                "eventName": "MODIFY" if updating else "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": change,
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/o/stream/x",
            }
        )
    return {"Records": records}


def floor_consumer(aws: MemoryAws) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Decode both images, write each change's transaction and the lines: no validation.

    The same writes the handler must make (one transaction per change: the order's guard and the
    customer's delta; one change-log object with the same fields per line), decoded with the
    handler's own decoder in its unchecked form (``deserialize_map``: no check of DynamoDB's
    number range), and with none of its checks, outcomes or logging.
    """
    sys.path.insert(0, str(LAMBDA_ROOT / "dynamodb_cdc"))
    from attribute_values import deserialize_map  # the handler's decoder, as Lambda imports it

    def work(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        lines = []
        for record in event["Records"]:
            stream = record["dynamodb"]
            new = deserialize_map(stream["NewImage"])
            old = deserialize_map(stream["OldImage"]) if "OldImage" in stream else None
            delta = new["amount"] - old["amount"] if old else new["amount"]
            aws.transact_write_items(
                TransactItems=[
                    {"Update": {"Key": {"pk": {"S": f"order#{stream['Keys']['order_id']['S']}"}}}},
                    {
                        "Update": {
                            "Key": {"pk": {"S": f"customer#{new['customer_id']}"}},
                            "ExpressionAttributeValues": {":amount": {"N": str(delta)}},
                        }
                    },
                ]
            )
            line = {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "sequenceNumber": stream["SequenceNumber"],
                "approximateCreationDateTime": stream["ApproximateCreationDateTime"],
                "order_id": stream["Keys"]["order_id"]["S"],
                "old": old,
                "new": new,
            }
            lines.append(json.dumps(line, default=str))
        aws.put_object(Bucket="b", Key="changes/floor.jsonl", Body="\n".join(lines).encode())
        return {"batchItemFailures": []}

    return work


def load_handler(aws: MemoryAws) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Import the consumer from its asset directory, as Lambda does, with the stack's settings."""
    os.environ.update(
        {
            "POWERTOOLS_SERVICE_NAME": "dynamodb-cdc",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "TOTALS_TABLE": "bench-totals",
            "CHANGE_LOG_BUCKET": "bench-log",
        }
    )
    handler = load_function("dynamodb_cdc")

    handler.dynamodb_client = lambda: aws
    handler.s3_client = lambda: aws
    return handler.lambda_handler


def main(argv: list[str] | None = None) -> int:
    """Build the batch, check the handler applies and logs every record, time both."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args(argv)
    event = batch(args.records)
    handler_aws, floor_aws = MemoryAws(), MemoryAws()
    handler, floor = load_handler(handler_aws), floor_consumer(floor_aws)
    with contextlib.redirect_stdout(io.StringIO()):
        answer = handler(event, CONTEXT)
    lines = sum(body.count(b"\n") for body in handler_aws.objects.values())
    if answer != {"batchItemFailures": []} or lines != args.records:
        raise RuntimeError(f"the handler did not apply and log every record: {answer}, {lines}")
    comparison = compare(floor, handler, event, CONTEXT, args.repeat)
    return report(
        comparison,
        label=f"{args.records} records",
        count=args.records,
        unit="rec",
        repeat=args.repeat,
        target=TARGET_RATIO,
    )


if __name__ == "__main__":
    sys.exit(main())
