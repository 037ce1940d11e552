"""What landed where: objects in a stack's buckets, messages in its queues, read as the deployer."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from refarch.local.stack import LocalStack
from refarch.local.trace import Trace, brief, size


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


#: Storage classes whose objects cannot be read before a restore
#: (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: The trace lists this many objects per bucket (moto writes an access log per request).
LISTED_OBJECTS = 8


def objects(
    stack: LocalStack, bucket: str, prefix: str = "", *, limit: int | None = None
) -> dict[str, StoredObject]:
    """Return the current objects of a bucket (logical id or name) under ``prefix``, by key.

    ``limit`` reads only the first objects' bodies (in key order).
    """
    name = stack.physical_id(bucket)
    s3 = stack.emulator.client("s3")
    found: dict[str, StoredObject] = {}
    versions: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name, Prefix=prefix):
        for version in page.get("Versions", []):
            versions[version["Key"]] = versions.get(version["Key"], 0) + 1
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix):
        for item in page.get("Contents", []):
            if limit is not None and len(found) >= limit:
                return found
            if item.get("StorageClass") in ARCHIVED:
                body = b""  # GetObject refuses it until restored (InvalidObjectState)
            else:
                body = s3.get_object(Bucket=name, Key=item["Key"])["Body"].read()
            found[item["Key"]] = StoredObject(
                item["Key"], item["Size"], versions.get(item["Key"], 1), body
            )
    return found


def messages(stack: LocalStack, queue: str) -> list[QueuedMessage]:
    """Return the messages of a queue (logical id or URL) without consuming them."""
    url = stack.physical_id(queue)
    sqs = stack.emulator.client("sqs")
    received = sqs.receive_message(
        QueueUrl=url,
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
        )
        for message in received
    ]


def report_landed(stack: LocalStack, trace: Trace) -> None:
    """Write every bucket's objects and every queue's messages of the stack to the trace."""
    trace.section("Landed")
    s3 = stack.emulator.client("s3")
    for bucket in stack.of_type("AWS::S3::Bucket"):
        count = s3.list_objects_v2(Bucket=bucket.physical_id).get("KeyCount", 0)
        trace.line(f"s3://{bucket.physical_id} ({bucket.logical_id}): {count} objects")
        stored = objects(stack, bucket.logical_id, limit=LISTED_OBJECTS)
        for item in stored.values():
            versions = f", {item.versions} versions" if item.versions > 1 else ""
            what = "Parquet" if item.key.endswith(".parquet") else f"{len(item.lines)} lines"
            trace.line(f"{item.key}  {size(item.size)}, {what}{versions}", 2)
        if count > len(stored):
            trace.line(f"… and {count - len(stored)} more", 2)
    for queue in stack.of_type("AWS::SQS::Queue"):
        queued = messages(stack, queue.logical_id)
        trace.line(f"queue {queue.attributes['QueueName']}: {len(queued)} messages")
        for message in queued:
            trace.line(f"{brief(message.attributes)} {brief(message.body, 120)}", 2)


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key/or/prefix`` → ``("bucket", "key/or/prefix")``."""
    parsed = urlparse(url)
    return parsed.netloc, parsed.path.lstrip("/")
