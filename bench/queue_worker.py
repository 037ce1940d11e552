"""Queue worker throughput: the handler on a full batch vs a bare decode-and-write floor.

One batch of 10,000 SQS messages (the largest batch Lambda gives a standard queue's function,
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html), each an S3
notification for a small CSV under ``landing/``. The floor, measured in the same run on the same
records, is what the issue defines: the records decoded and written with no validation. It
``json.loads`` the body, reads the object's first bytes (one ranged GET, as the worker) and
writes, under the same key, the record's facts the manifest carries (bucket, key, version,
size, ETag, sequencer, event time, content type) encoded as the manifest is (canonical JSON):
the same I/O and the same output encoding, without checking anything. (An earlier floor wrote
only ``{"key", "size"}``: it skipped most of the encoding every writer of such a record pays,
so it measured the JSON encoder as much as the validation.) The figure is the whole handler
(Powertools ``BatchProcessor``, parsing and validation, format sniffing, manifest, the batch's
log line and metrics). Both talk to the same in-memory S3 stand-in, so the ratio is the
handler's own processing cost; real S3 round trips would add the same latency to both and
bring the ratio closer to 1. Every object has the same CSV header, as one producer's files do,
so the worker's header caches are warm (the judgement of the header, and the manifest's
members that depend on it, encoded once: ``manifest.manifest_bytes``); ``--distinct-headers``
gives each object a header of its own, so neither cache ever hits. The floor keeps json's
encoder, the plain way to write canonical JSON; the worker writes the same bytes through its
per-header template (a property test holds they are the same bytes). So the bench also prints,
for reference, the ratio against the same floor writing through a template too (that one
counts only the worker's checks, sniffing and bookkeeping), and what Powertools'
``BatchProcessor`` costs alone, around a record handler that does nothing. Run alternately,
median of ``--repeat`` runs. Target: ratio handler / floor >= 0.7.

    python -m bench.queue_worker [--repeat 5] [--messages 10000] [--distinct-headers]
"""

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from json.encoder import encode_basestring as _string
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from bench.handler_ratio import LambdaContext, compare, load_function, report

TARGET_RATIO = 0.7
INPUT_BUCKET = "bench-input"
OUTPUT_BUCKET = "bench-output"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:bench-work"


CONTEXT = LambdaContext("queue-worker-bench", 512)


class _Body(io.BytesIO):
    """A streaming body: a context manager with ``read``."""


class MemoryS3:
    """The two S3 calls both workers make, on dictionaries (no network, no moto)."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.written: dict[str, bytes] = {}

    def get_object(self, *, Bucket: str, Key: str, Range: str = "", **_: Any) -> dict[str, Any]:
        """Return the object's bytes (the requested range only)."""
        data = self.objects[Key]
        if Range:
            end = int(Range.rsplit("-", 1)[1])
            data = data[: end + 1]
        return {"Body": _Body(data), "ContentType": "text/csv"}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        """Keep the written bytes."""
        self.written[Key] = Body
        return {}


def batch(count: int, *, distinct_headers: bool = False) -> tuple[dict[str, Any], dict[str, bytes]]:
    """An SQS event of ``count`` S3 notifications, and the objects they name.

    Every object has the same CSV header, as one producer's files do, unless
    ``distinct_headers`` (then each has a column name of its own: no header is met twice).
    """
    records, objects = [], {}
    for n in range(count):
        key = f"landing/orders/2026-01-01/part-{n:05d}.csv"
        last = f"currency_{n}" if distinct_headers else "currency"
        objects[key] = f"order_id,customer_id,amount,{last}\nA-{n},C-{n % 97},19.99,EUR\n".encode()
        body = {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-01-01T10:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "queue",
                        "bucket": {"name": INPUT_BUCKET, "arn": f"arn:aws:s3:::{INPUT_BUCKET}"},
                        "object": {
                            "key": quote_plus(key, safe="/"),
                            "size": len(objects[key]),
                            "eTag": "0123456789abcdef0123456789abcdef",
                            "versionId": f"v{n:08d}",
                            "sequencer": f"{n:018X}",
                        },
                    },
                }
            ]
        }
        records.append(
            {
                "messageId": f"059f36b4-87a3-44ab-83d2-{n:012x}",
                "receiptHandle": f"AQEB{n:040d}",
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767261600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1767261600001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}, objects


def floor_worker(s3: MemoryS3) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Decode each body, read the first bytes, write a record: no validation, no framework."""
    encoder = json.JSONEncoder(sort_keys=True, ensure_ascii=False)

    def work(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        for record in event["Records"]:
            notification = json.loads(record["body"])["Records"][0]
            s3_object = notification["s3"]["object"]
            key = unquote_plus(s3_object["key"])
            version = s3_object["versionId"]
            first = s3.get_object(
                Bucket=INPUT_BUCKET, Key=key, VersionId=version, Range="bytes=0-65535"
            )
            with first["Body"] as body:
                head = body.read(65536)
            facts = {
                "bucket": notification["s3"]["bucket"]["name"],
                "key": key,
                "version_id": version,
                "size": s3_object["size"],
                "etag": s3_object["eTag"],
                "sequencer": s3_object["sequencer"],
                "event_time": notification["eventTime"],
                "content_type": first["ContentType"],
                "bytes_read": len(head),
            }
            s3.put_object(
                Bucket=OUTPUT_BUCKET,
                Key=f"manifests/{key}/{version}.json",
                Body=(encoder.encode(facts) + "\n").encode(),
                ContentType="application/json",  # the same request as the worker's
            )
        return {"batchItemFailures": []}

    return work


def template_floor(s3: MemoryS3) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The floor, writing the same bytes through an f-string template, as the worker does.

    For reference only: the floor the issue defines writes its JSON the plain way (json's
    encoder). Against this one, the ratio counts only the worker's checks, sniffing and
    bookkeeping, not its faster writer.
    """

    def work(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        for record in event["Records"]:
            notification = json.loads(record["body"])["Records"][0]
            s3_object = notification["s3"]["object"]
            key = unquote_plus(s3_object["key"])
            version = s3_object["versionId"]
            first = s3.get_object(
                Bucket=INPUT_BUCKET, Key=key, VersionId=version, Range="bytes=0-65535"
            )
            with first["Body"] as body:
                head = body.read(65536)
            text = (  # the floor's members, in sorted order
                f'{{"bucket": {_string(notification["s3"]["bucket"]["name"])}'
                f', "bytes_read": {len(head)}, "content_type": {_string(first["ContentType"])}'
                f', "etag": {_string(s3_object["eTag"])}'
                f', "event_time": {_string(notification["eventTime"])}, "key": {_string(key)}'
                f', "sequencer": {_string(s3_object["sequencer"])}, "size": {s3_object["size"]}'
                f', "version_id": {_string(version)}}}\n'
            )
            s3.put_object(
                Bucket=OUTPUT_BUCKET,
                Key=f"manifests/{key}/{version}.json",
                Body=text.encode(),
                ContentType="application/json",
            )
        return {"batchItemFailures": []}

    return work


def _nothing(record: Any) -> None:
    """A record handler that does nothing."""


def powertools_alone() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Powertools' ``BatchProcessor`` around a record handler that does nothing: its own cost."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def work(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        return process_partial_response(
            event=event, record_handler=_nothing, processor=processor, context=context
        )

    return work


def load_handler(s3: MemoryS3) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Import the worker from its asset directory, as Lambda does, with the stack's settings."""
    os.environ.update(
        {
            "POWERTOOLS_SERVICE_NAME": "queue-worker",
            "POWERTOOLS_METRICS_NAMESPACE": "refarch-bench",
            "POWERTOOLS_LOG_LEVEL": "INFO",  # as deployed: one summary line per batch
            "INPUT_BUCKET": INPUT_BUCKET,
            "OUTPUT_BUCKET": OUTPUT_BUCKET,
            "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-dlq",
        }
    )
    handler = load_function("queue_worker")

    handler.s3_client = lambda: s3
    return handler.lambda_handler


def main(argv: list[str] | None = None) -> int:
    """Build the batch, check both write one record per message, time both; print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument(
        "--distinct-headers",
        action="store_true",
        help="a CSV header of its own per object (the worker's header caches never hit)",
    )
    args = parser.parse_args(argv)
    event, objects = batch(args.messages, distinct_headers=args.distinct_headers)
    handler_s3, floor_s3 = MemoryS3(objects), MemoryS3(objects)
    handler, floor = load_handler(handler_s3), floor_worker(floor_s3)
    with contextlib.redirect_stdout(io.StringIO()):
        answer = handler(event, CONTEXT)
    accepted = sum(b'"status": "accepted"' in body for body in handler_s3.written.values())
    if answer != {"batchItemFailures": []} or accepted != args.messages:
        raise RuntimeError(f"the handler did not accept every message: {answer}, {accepted}")
    templated_s3 = MemoryS3(objects)
    templated = template_floor(templated_s3)
    floor(event, CONTEXT)
    templated(event, CONTEXT)
    if templated_s3.written != floor_s3.written:
        raise RuntimeError("the template floor does not write the floor's bytes")
    comparison = compare(floor, handler, event, CONTEXT, args.repeat)
    status = report(
        comparison,
        label=f"{args.messages} messages",
        count=args.messages,
        unit="msg",
        repeat=args.repeat,
        target=TARGET_RATIO,
    )
    reference = compare(templated, handler, event, CONTEXT, args.repeat)
    print(
        f"reference, the floor writing its JSON through a template as the worker does: "
        f"ratio {reference.ratio:.2f}"
    )
    # What the framework the issue asks for costs by itself, on the same batch.
    framework = compare(floor, powertools_alone(), event, CONTEXT, args.repeat)
    print(
        f"Powertools BatchProcessor alone (a record handler doing nothing): "
        f"{framework.handler / args.messages * 1e6:.2f} us/msg, "
        f"{framework.handler / framework.floor:.0%} of the floor's time"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
