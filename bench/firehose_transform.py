"""Firehose transform throughput: the clickstream handler vs a bare decode/re-encode of the batch.

One ~6 MB Firehose event (Lambda's synchronous payload limit, AWS docs) of valid clickstream
records, shaped as producers send them (allow-listed fields plus PII and extra attributes the
transform drops). The floor, measured in the same run on the same records, is the least any
transform must do: base64-decode, ``json.loads``, ``json.dumps``, base64-encode. The figure is
the whole handler (Powertools decorators, validation, masking, dedupe, answer, metrics). Both run
in-process, timed with ``time.perf_counter``, alternately, median of ``--repeat`` runs.
Target: throughput ratio handler / floor >= 0.8. A second batch of records that carry only the
fields the lake keeps (so nothing is dropped before re-encoding) is reported for information.

    python -m bench.firehose_transform [--repeat 9] [--batch-mb 6]
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

from bench.handler_ratio import LambdaContext, compare, load_function

TARGET_RATIO = 0.8
ARRIVAL_MS = 1767261600000  # 2026-01-01T10:00:00Z
SHARD_ID = "shardId-000000000000"
FIRST_SEQUENCE = 49546986683135544286507457936321625675700192471156785154
EVENT_TYPES = ("page_view", "page_view", "page_view", "click", "click", "add_to_cart", "purchase")
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


CONTEXT = LambdaContext("clickstream-transform-bench", 1024)


def click_event(n: int, *, full: bool) -> dict[str, Any]:
    """The n-th event of a day of traffic: ~2,000 users, mixed time formats, like producers send."""
    user = n % 1999
    second = n % 86_400
    if n % 3 == 0:
        event_time: Any = ARRIVAL_MS - 3_600_000 + n % 3_600_000  # epoch millis
    elif n % 3 == 1:
        event_time = f"2026-01-01T{second // 3600 % 10:02d}:{second // 60 % 60:02d}:{n % 60:02d}Z"
    else:
        event_time = f"2026-01-01 {second // 3600 % 10 + 2:02d}:{n % 60:02d}:00.123+02:00"
    event: dict[str, Any] = {
        "event_id": f"0f8fad5b-d9cb-469f-a165-{n:012x}",
        "event_type": EVENT_TYPES[n % len(EVENT_TYPES)],
        "event_time": event_time,
        "user_id": f"user-{user:06d}",
        "session_id": f"sess-{user:06d}-{n // 50:05d}",
        "page": f"/products/sku-{n % 5000:05d}?ref=home",
    }
    if full:
        event.update(
            {
                "ip_address": f"203.0.113.{n % 250}",
                "email": f"user{user}@example.com",
                "user_agent": USER_AGENT,
                "referrer": "https://www.example.com/search?q=running+shoes",
                "locale": "en-GB",
                "screen": {"width": 1920, "height": 1080},
                "app_version": "4.12.0",
            }
        )
    return event


def firehose_batch(batch_bytes: int, *, full: bool) -> dict[str, Any]:
    """A Kinesis-sourced Firehose event whose JSON is about ``batch_bytes`` long."""
    records, size, n = [], 200, 0
    while True:
        sequence = str(FIRST_SEQUENCE + n)
        record = {
            "recordId": f"{sequence}{n:06d}",
            "approximateArrivalTimestamp": ARRIVAL_MS,
            "data": base64.b64encode(json.dumps(click_event(n, full=full)).encode()).decode(),
            "kinesisRecordMetadata": {
                "shardId": SHARD_ID,
                "partitionKey": f"user-{n % 1999:06d}",
                "approximateArrivalTimestamp": ARRIVAL_MS,
                "sequenceNumber": sequence,
                "subsequenceNumber": 0,
            },
        }
        size += len(json.dumps(record)) + 2
        if size > batch_bytes:
            break
        records.append(record)
        n += 1
    return {
        "invocationId": "bench",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/bench",
        "sourceKinesisStreamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/bench",
        "region": "us-east-1",
        "records": records,
    }


def floor_transform(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The least a transform does: decode, parse, serialise, encode every record."""
    return {
        "records": [
            {
                "recordId": record["recordId"],
                "result": "Ok",
                "data": base64.b64encode(
                    json.dumps(json.loads(base64.b64decode(record["data"]))).encode()
                ).decode(),
            }
            for record in event["records"]
        ]
    }


def load_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Import the handler from its asset directory, as Lambda does, quiet but fully working.

    Logging at WARNING hides the one INFO line per batch (valid records log nothing else); the
    metrics are still built and flushed, to a buffer.
    """
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "clickstream-transform")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "refarch-bench")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    handler = load_function("clickstream_transform")

    return handler.lambda_handler


def main(argv: list[str] | None = None) -> int:
    """Build the batches, check the handler answers every record Ok, time both; print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--batch-mb", type=float, default=6.0)
    args = parser.parse_args(argv)
    handler = load_handler()
    batch_bytes = int(args.batch_mb * 1024 * 1024)
    results = {}
    for name, full in (("producer records", True), ("allow-listed only", False)):
        event = firehose_batch(batch_bytes, full=full)
        with contextlib.redirect_stdout(io.StringIO()):
            answer = handler(event, CONTEXT)
        outcomes = {entry["result"] for entry in answer["records"]}
        if outcomes != {"Ok"} or len(answer["records"]) != len(event["records"]):
            raise RuntimeError(f"{name}: the handler did not answer every record Ok: {outcomes}")
        size_mb = len(json.dumps(event)) / 1e6
        comparison = compare(floor_transform, handler, event, CONTEXT, args.repeat)
        floor, figure = comparison.floor, comparison.handler
        results[name] = comparison.ratio
        count = len(event["records"])
        print(
            f"{name:<18} {count} records, {size_mb:.2f} MB event: "
            f"floor {size_mb / floor:6.1f} MB/s ({floor * 1e3:.0f} ms), "
            f"handler {size_mb / figure:6.1f} MB/s ({figure * 1e3:.0f} ms), "
            f"median of {args.repeat}"
        )
    ratio = results["producer records"]
    print(
        f"throughput ratio handler / floor: {ratio:.2f} (target >= {TARGET_RATIO}); "
        f"allow-listed-only records (information): {results['allow-listed only']:.2f}"
    )
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
