"""Read S3 event notifications into the list of source objects the handler acts on.

Every record of the event is read, not only ``Records[0]``, through the keys S3 sends:
``s3.bucket.name`` and ``s3.object.key`` (not ``source_bucket``/``source_key``, which S3 never
sends): https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
An event that is not a well-formed S3 notification raises ``MalformedEventError`` before anything
is written, so Lambda's retries and then the function's DLQ keep it; it is never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from s3_sequencer import is_sequencer

S3_EVENT_SOURCE = "aws:s3"
TEST_EVENT = "s3:TestEvent"
OBJECT_CREATED_PREFIX = "ObjectCreated:"


class MalformedEventError(ValueError):
    """The event is not an S3 event notification this handler can process."""


@dataclass(frozen=True)
class SourceObject:
    """One record of an S3 notification: which object version it is about and what happened.

    Attributes:
        event_name: As S3 sends it, e.g. ``ObjectCreated:Put`` (no ``s3:`` prefix in records).
        bucket: The bucket name.
        key: The object key, already URL-decoded.
        version_id: The version that triggered the event (``None`` for an unversioned bucket).
        sequencer: Orders events for this key; ``None`` if the record has none (a hand-made
            replay).
    """

    event_name: str
    bucket: str
    key: str
    version_id: str | None
    sequencer: str | None

    @property
    def is_object_created(self) -> bool:
        """Return True for ``ObjectCreated:*`` events, the only ones that carry new data."""
        return self.event_name.removeprefix("s3:").startswith(OBJECT_CREATED_PREFIX)

    def log_fields(self) -> dict[str, Any]:
        """Return the fields that identify this record in logs and in the handler's summary."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "sequencer": self.sequencer,
            "event_name": self.event_name,
        }


def is_test_event(event: Any) -> bool:
    """Return True for the ``s3:TestEvent`` S3 sends when a notification is configured."""
    return isinstance(event, Mapping) and event.get("Event") == TEST_EVENT


def parse_source_objects(event: Any) -> list[SourceObject]:
    """Return one ``SourceObject`` per record of an S3 event notification, in order.

    Raises:
        MalformedEventError: If the event is not a mapping, has no ``Records``, or a record
            lacks its source, bucket name or object key, or has a non-hexadecimal sequencer.

    Example:
        >>> record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        ...           "s3": {"bucket": {"name": "in"}, "object": {"key": "incoming/a+b.csv"}}}
        >>> parse_source_objects({"Records": [record]})[0].key
        'incoming/a b.csv'
    """
    if not isinstance(event, Mapping):
        raise MalformedEventError(f"event is a {type(event).__name__}, not an S3 notification")
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise MalformedEventError("event has no Records: not an S3 notification")
    s3_event = S3Event(dict(event))
    return [_source_object(index, record) for index, record in enumerate(s3_event.records)]


def _source_object(index: int, record: Any) -> SourceObject:
    try:
        source = record.event_source
        if source != S3_EVENT_SOURCE:
            raise MalformedEventError(
                f"record {index} comes from {source!r}, not {S3_EVENT_SOURCE}"
            )
        s3_object = record.s3.get_object
        bucket = record.s3.bucket.name
        # Powertools' S3Object.key is the raw, URL-encoded key (only S3Event.object_key, which
        # reads Records[0] alone, decodes it): decode each record's key here.
        key = unquote_plus(s3_object.key)
        event_name = record.event_name
        version_id = s3_object.version_id or None
        sequencer = s3_object.get("sequencer") or None
    except MalformedEventError:
        raise
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedEventError(
            f"record {index} is not an S3 event record: missing {exc}"
        ) from exc
    if not bucket or not key or not isinstance(bucket, str) or not isinstance(key, str):
        raise MalformedEventError(f"record {index} has no bucket name or object key")
    if sequencer is not None and not is_sequencer(sequencer):
        raise MalformedEventError(f"record {index} has a malformed sequencer: {sequencer!r}")
    return SourceObject(
        event_name=event_name,
        bucket=bucket,
        key=key,
        version_id=version_id,
        sequencer=sequencer,
    )
