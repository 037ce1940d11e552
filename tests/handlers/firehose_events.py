"""Build Firehose data-transformation events for a Kinesis Data Streams source, as AWS sends them.

Independent of any handler, so every transform test (and the local runner) can share it. The
shape follows the AWS docs for a Kinesis-sourced delivery stream: ``invocationId``,
``deliveryStreamArn``, ``sourceKinesisStreamArn``, ``region`` and ``records[]`` with
``recordId``, ``approximateArrivalTimestamp`` (epoch ms), base64 ``data`` and
``kinesisRecordMetadata`` (``shardId``, ``partitionKey``, ``approximateArrivalTimestamp``,
``sequenceNumber``, ``subsequenceNumber``). Record ids are the sequence number followed by six
digits, as Firehose issues them for this source.
References: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html and
https://docs.aws.amazon.com/lambda/latest/dg/services-kinesisfirehose.html
"""

from __future__ import annotations

import base64
import json
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
STREAM_NAME = "clickstream"
DELIVERY_STREAM_NAME = "clickstream-to-lake"
SOURCE_STREAM_ARN = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{STREAM_NAME}"
DELIVERY_STREAM_ARN = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{DELIVERY_STREAM_NAME}"
ARRIVAL_MS = 1714557600000  # 2024-05-01T10:00:00Z
SHARD_ID = "shardId-000000000000"
# The shape of a Kinesis sequence number (56 digits); record n adds n.
_FIRST_SEQUENCE = 49546986683135544286507457936321625675700192471156785154


def sequence_number(n: int) -> str:
    """Return the n-th sequence number of a shard: later n, later record."""
    return str(_FIRST_SEQUENCE + n)


def encode_payload(payload: bytes | str | dict[str, Any] | list[Any]) -> str:
    """Base64-encode a record's data: bytes as they are, text as UTF-8, anything else as JSON."""
    if isinstance(payload, str):
        payload = payload.encode()
    elif not isinstance(payload, bytes):
        payload = json.dumps(payload).encode()
    return base64.b64encode(payload).decode("ascii")


def kinesis_record(
    payload: bytes | str | dict[str, Any] | list[Any],
    n: int = 0,
    *,
    arrival_ms: int = ARRIVAL_MS,
    partition_key: str = "user-1",
    shard_id: str = SHARD_ID,
    data: str | None = None,
) -> dict[str, Any]:
    """Return one record of the batch: the n-th record of the shard, carrying ``payload``.

    ``data`` overrides the encoded payload verbatim (for data that is not base64 at all).
    """
    sequence = sequence_number(n)
    return {
        "recordId": f"{sequence}{n:06d}",
        "approximateArrivalTimestamp": arrival_ms,
        "data": encode_payload(payload) if data is None else data,
        "kinesisRecordMetadata": {
            "shardId": shard_id,
            "partitionKey": partition_key,
            "approximateArrivalTimestamp": arrival_ms,
            "sequenceNumber": sequence,
            "subsequenceNumber": 0,
        },
    }


def firehose_event(*records: dict[str, Any], invocation_id: str = "invocation-1") -> dict[str, Any]:
    """Wrap records into the event Firehose invokes the transform with."""
    return {
        "invocationId": invocation_id,
        "deliveryStreamArn": DELIVERY_STREAM_ARN,
        "sourceKinesisStreamArn": SOURCE_STREAM_ARN,
        "region": REGION,
        "records": list(records),
    }


def firehose_event_of(*payloads: bytes | str | dict[str, Any] | list[Any]) -> dict[str, Any]:
    """Return a batch of one record per payload, numbered 0, 1, ... in shard order."""
    return firehose_event(*(kinesis_record(payload, n) for n, payload in enumerate(payloads)))


def decoded_data(entry: dict[str, Any]) -> bytes:
    """Return the bytes an answer entry (or an input record) carries."""
    return base64.b64decode(entry["data"], validate=True)
