"""The queue worker on moto: its buckets and DLQ, SQS events in the shape Lambda sends them."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote_plus

from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module

INPUT_BUCKET = "queue-worker-input"
OUTPUT_BUCKET = "queue-worker-output"
DLQ_NAME = "queue-worker-dlq"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:queue-worker-work"
INPUT_PREFIX = "landing/"
MANIFEST_PREFIX = "manifests/"
SERVICE_NAME = "queue-worker"


def load_handler() -> ModuleType:
    """The queue worker's handler module (its siblings importable, as in Lambda)."""
    return load_lambda_module(LAMBDA_ROOT / "queue_worker", "handler", "queue_worker_handler")


def s3_body(
    key: str,
    *,
    bucket: str = INPUT_BUCKET,
    size: int = 10,
    version_id: str | None = None,
    event_name: str = "ObjectCreated:Put",
    sequencer: str = "0055AED6DCD90281E5",
) -> str:
    """An S3 notification body as S3 sends it to a queue (the key URL-encoded)."""
    s3_object: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
        "sequencer": sequencer,
    }
    if version_id:
        s3_object["versionId"] = version_id
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2024-06-01T09:15:00.000Z",
                    "eventName": event_name,
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "queue",
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": s3_object,
                    },
                }
            ]
        }
    )


def sqs_record(body: str, message_id: str | None = None) -> dict[str, Any]:
    """One record of the event Lambda's SQS poller sends (documented shape)."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1717233300000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1717233300001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


@dataclass
class QueueWorker:
    """The handler, its moto clients and the DLQ's URL."""

    handler: ModuleType
    s3: Any
    sqs: Any
    dlq_url: str
    context: FakeLambdaContext

    def run(self, *records: dict[str, Any]) -> dict[str, Any]:
        """Invoke the handler with one batch; return its partial batch response."""
        return self.handler.lambda_handler({"Records": list(records)}, self.context)

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the DLQ (received once, with attributes)."""
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return found
            found.extend(batch)

    def manifests(self) -> dict[str, dict[str, Any]]:
        """Every manifest record, by key."""
        listed = self.s3.list_objects_v2(Bucket=OUTPUT_BUCKET).get("Contents", [])
        return {
            o["Key"]: json.loads(
                self.s3.get_object(Bucket=OUTPUT_BUCKET, Key=o["Key"])["Body"].read()
            )
            for o in listed
        }
