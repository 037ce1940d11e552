"""Copy each batch of the raw stream to S3, one JSON Lines object per batch.

The second, independent consumer of the stream: it reads every record the scrubber reads, with
its own event source mapping and checkpoint, and keeps them as they arrived (PII included, in a
bucket only this function writes). Each line is the record's metadata and its base64 data.

The key is ``raw/<shard>/<first sequence>-<last sequence>.jsonl``: a retried batch rewrites the
same object, so a retry adds no copy. Nothing in a record can make the copy fail; only S3 can,
and then the invocation fails and Lambda retries the batch.

Environment: ``ARCHIVE_BUCKET`` (required).
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

logger = Logger()


@functools.cache
def s3_client() -> Any:
    """The S3 client, created on first use."""
    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def archive_key(records: list[dict[str, Any]]) -> str:
    """Where a batch goes: its shard and its first and last sequence numbers."""
    shard = records[0]["eventID"].split(":", 1)[0]
    first = records[0]["kinesis"]["sequenceNumber"]
    last = records[-1]["kinesis"]["sequenceNumber"]
    return f"raw/{shard}/{first}-{last}.jsonl"


def archive_lines(records: list[dict[str, Any]]) -> bytes:
    """One JSON line per record: sequence number, partition key, arrival time, base64 data."""
    return b"".join(
        json.dumps(
            {
                "sequenceNumber": r["kinesis"]["sequenceNumber"],
                "partitionKey": r["kinesis"]["partitionKey"],
                "approximateArrivalTimestamp": r["kinesis"]["approximateArrivalTimestamp"],
                "data": r["kinesis"]["data"],
            },
            separators=(",", ":"),
        ).encode()
        + b"\n"
        for r in records
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Write the batch as one object; return where it went."""
    records = event.get("Records", [])
    if not records:
        return {"archived": 0}
    key = archive_key(records)
    s3_client().put_object(
        Bucket=os.environ["ARCHIVE_BUCKET"],
        Key=key,
        Body=archive_lines(records),
        ContentType="application/x-ndjson",
    )
    logger.info("archived", extra={"records": len(records), "key": key})
    return {"archived": len(records), "key": key}
