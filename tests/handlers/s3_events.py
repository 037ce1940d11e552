"""Build S3 event notifications the way S3 sends them (event structure version 2.1).

Independent of any handler, so every handler test (and the local runner's tests) can share it.
Reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

REGION = "us-east-1"
_FIRST_SEQUENCER = 0x0055AED6DCD90281E5  # the shape of the sequencer in AWS's sample event


def sequencer(n: int) -> str:
    """Return the n-th sequencer of a series: later n, later event (18 hex digits, like S3's)."""
    return f"{_FIRST_SEQUENCER + n:018X}"


def encode_key(key: str) -> str:
    """URL-encode an object key as S3 does in notifications (space -> '+', '/' kept)."""
    return quote_plus(key, safe="/")


def object_created_record(
    bucket: str,
    key: str,
    *,
    size: int = 0,
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    version_id: str | None = None,
    sequencer_value: str | None = None,
    event_name: str = "ObjectCreated:Put",
    event_time: str = "2024-05-01T10:00:00.000Z",
) -> dict[str, Any]:
    """Return one record of an S3 notification (``eventName`` without the ``s3:`` prefix)."""
    s3_object: dict[str, Any] = {"key": encode_key(key), "size": size, "eTag": etag}
    if version_id is not None:
        s3_object["versionId"] = version_id
    s3_object["sequencer"] = sequencer_value or sequencer(0)
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": event_time,
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLEUSER"},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {
            "x-amz-request-id": "C3D13FE58DE4C810",
            "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "csv-upload",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": s3_object,
        },
    }


def record_for_put(
    bucket: str, key: str, put_response: dict[str, Any], body: bytes, n: int = 0
) -> dict[str, Any]:
    """Return the record S3 would send for a ``put_object`` call and its response."""
    return object_created_record(
        bucket,
        key,
        size=len(body),
        etag=put_response["ETag"].strip('"'),
        version_id=put_response.get("VersionId"),
        sequencer_value=sequencer(n),
    )


def s3_event(*records: dict[str, Any]) -> dict[str, Any]:
    """Wrap records into a notification event."""
    return {"Records": list(records)}


def s3_test_event(bucket: str) -> dict[str, Any]:
    """Return the ``s3:TestEvent`` S3 sends when a notification configuration is saved."""
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2024-05-01T10:00:00.000Z",
        "Bucket": bucket,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }
