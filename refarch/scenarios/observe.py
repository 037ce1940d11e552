"""What a scenario can observe through AWS's APIs: objects, queue messages, log records.

Each reader takes a boto3 client, so the local runner's reports (``refarch.local.landed``) and
the target scenarios (``target.client(...)``) read the same way.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from refarch.trace import Trace, brief, size

#: Storage classes whose objects cannot be read before a restore
#: (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: The trace lists this many objects per bucket (moto writes an access log per request).
LISTED_OBJECTS = 8


@dataclass(frozen=True)
class StoredObject:
    """One current object of a bucket."""

    key: str
    size: int
    versions: int
    body: bytes

    @property
    def content(self) -> bytes:
        """Return the body, decompressed when the key says GZIP (``.gz``, as Firehose names)."""
        return gzip.decompress(self.body) if self.key.endswith(".gz") else self.body

    @property
    def lines(self) -> list[str]:
        """Return the non-empty lines of the content (JSON Lines records, CSV rows)."""
        return [line for line in self.content.decode("utf-8", "replace").splitlines() if line]

    def records(self) -> list[Any]:
        """Return the body parsed as JSON Lines."""
        return [json.loads(line) for line in self.lines]


@dataclass(frozen=True)
class QueuedMessage:
    """One message waiting in a queue (left visible)."""

    body: str
    attributes: dict[str, str]
    message_id: str = ""


def read_objects(
    s3: Any, bucket: str, prefix: str = "", *, limit: int | None = None
) -> dict[str, StoredObject]:
    """Return the current objects of a bucket (by name) under ``prefix``, by key.

    ``limit`` reads only the first objects' bodies (in key order).
    """
    found: dict[str, StoredObject] = {}
    versions: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            versions[version["Key"]] = versions.get(version["Key"], 0) + 1
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if limit is not None and len(found) >= limit:
                return found
            if item.get("StorageClass") in ARCHIVED:
                body = b""  # GetObject refuses it until restored (InvalidObjectState)
            else:
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"]] = StoredObject(
                item["Key"], item["Size"], versions.get(item["Key"], 1), body
            )
    return found


def peek_messages(sqs: Any, queue_url: str) -> list[QueuedMessage]:
    """Return up to 10 messages of a queue without consuming them (visibility timeout 0).

    SQS answers a short poll from a sample of its servers
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html),
    so a scenario that needs every message polls until the ones it expects have been seen.
    """
    received = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    return [
        QueuedMessage(
            body=message["Body"],
            attributes={
                key: value.get("StringValue", "")
                for key, value in message.get("MessageAttributes", {}).items()
            },
            message_id=message.get("MessageId", ""),
        )
        for message in received
    ]


def function_log_group(lambda_client: Any, function_name: str) -> str:
    """Return the log group a function writes to (its ``LoggingConfig``, else the default)."""
    config = lambda_client.get_function_configuration(FunctionName=function_name)
    return config.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{function_name}"


def log_records(logs: Any, log_group: str) -> list[dict[str, Any]]:
    """Return every event of a log group as a record: JSON lines parsed, text as ``message``.

    Lambda's JSON log format writes one JSON object per line; a text line becomes
    ``{"message": line}``. A group that does not exist yet (nothing logged) has no records.
    """
    records: list[dict[str, Any]] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=log_group):
            for event in page.get("events", []):
                records.append(_record(event.get("message", "")))
    except logs.exceptions.ResourceNotFoundException:
        return []
    return records


def _record(message: str) -> dict[str, Any]:
    try:
        parsed = json.loads(message)
    except ValueError:
        return {"message": message}
    return parsed if isinstance(parsed, dict) else {"message": message}


def report_landed(
    trace: Trace,
    s3: Any,
    sqs: Any,
    buckets: Iterable[tuple[str, str]],
    queues: Iterable[tuple[str, str]],
) -> None:
    """Write the objects of each bucket and the messages of each queue to the trace.

    ``buckets`` are (logical id, name) pairs; ``queues`` (logical id, URL) pairs.
    """
    trace.section("Landed")
    for logical_id, name in buckets:
        count = s3.list_objects_v2(Bucket=name).get("KeyCount", 0)
        trace.line(f"s3://{name} ({logical_id}): {count} objects")
        stored = read_objects(s3, name, limit=LISTED_OBJECTS)
        for item in stored.values():
            versions = f", {item.versions} versions" if item.versions > 1 else ""
            what = "Parquet" if item.key.endswith(".parquet") else f"{len(item.lines)} lines"
            trace.line(f"{item.key}  {size(item.size)}, {what}{versions}", 2)
        if count > len(stored):
            trace.line(f"… and {count - len(stored)} more", 2)
    for _, url in queues:
        queued = peek_messages(sqs, url)
        trace.line(f"queue {url.rsplit('/', 1)[-1]}: {len(queued)} messages")
        for message in queued:
            trace.line(f"{brief(message.attributes)} {brief(message.body, 120)}", 2)


class _Deployed(Protocol):
    """What holds a deployed stack's resources: a scenario's target, or the local stack."""

    def of_type(self, resource_type: str) -> Iterable[Any]: ...


def report_stack_landed(trace: Trace, s3: Any, sqs: Any, stack: _Deployed) -> None:
    """``report_landed`` for every bucket and every queue of ``stack``."""
    report_landed(
        trace,
        s3,
        sqs,
        [(b.logical_id, b.physical_id) for b in stack.of_type("AWS::S3::Bucket")],
        [(q.logical_id, q.physical_id) for q in stack.of_type("AWS::SQS::Queue")],
    )
