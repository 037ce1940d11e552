"""Read an SQS message that S3 sent for an upload: which object versions to look at.

S3 puts its event notification in the message body as JSON, in the shape S3 documents
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):
``Records`` with ``eventName`` ``ObjectCreated:*``, the bucket and the URL-encoded key. When the
notification is configured S3 also sends one ``s3:TestEvent`` message, which has no records.

Through EventBridge (the FIFO variant: an EventBridge rule sends S3's events to the queue) the
body is the EventBridge event S3 documents instead
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html): ``source`` ``aws.s3``,
``detail-type`` ``Object Created``, and in ``detail`` the bucket name and the object's ``key``,
``size``, ``etag``, ``version-id`` and ``sequencer``. Its key is read URL-decoded, as AWS's own
Powertools reads it (``S3EventBridgeNotificationObject.key``,
https://github.com/aws-powertools/powertools-lambda-python/blob/develop/aws_lambda_powertools/utilities/data_classes/s3_event.py);
decoding a key with no ``%`` or ``+`` changes nothing.

A message that cannot be read as such, or that names a bucket or prefix this worker does not
serve, is a poison message: retrying cannot fix it, so it raises ``PoisonMessageError`` with
the reason and the handler sends it to the dead-letter queue at once.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

#: S3 object keys are at most 1,024 bytes of UTF-8
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
MAX_KEY_BYTES = 1024
#: A notification carries one record; more than this is not from S3.
MAX_RECORDS = 10


class PoisonMessageError(ValueError):
    """The message can never be processed; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ObjectVersion(NamedTuple):
    """One object version an upload created, as the notification describes it.

    A named tuple: immutable like a frozen dataclass, and built several times faster, which
    counts at 10,000 messages a batch (``bench/queue_worker.py``).
    """

    bucket: str
    key: str
    """Decoded (S3 URL-encodes keys in events)."""

    version_id: str | None
    size: int
    etag: str
    sequencer: str
    event_time: str
    event_name: str


def is_test_event(body: Any) -> bool:
    """True for the ``s3:TestEvent`` S3 sends when the notification is configured."""
    return isinstance(body, dict) and body.get("Event") == "s3:TestEvent"


def _text(record: dict[str, Any], *path: str) -> str:
    value: Any = record
    try:
        for step in path:
            value = value[step]
    except (KeyError, TypeError, IndexError):
        # Indexing a list, a string or None with a name raises TypeError: not the shape S3 sends.
        raise PoisonMessageError(f"missing {'.'.join(path)}") from None
    if value.__class__ is not str or not value:
        raise PoisonMessageError(f"{'.'.join(path)} is not a non-empty string")
    return value


def _checked(  # positional: 11 keyword arguments cost more than the checks, per message
    bucket: str,
    raw_key: str,
    s3_object: dict[str, Any],
    size_field: str,
    version_field: str,
    etag: Any,
    sequencer: Any,
    event_time: Any,
    event_name: str,
    input_bucket: str,
    input_prefix: str,
) -> ObjectVersion:
    """The object version, once bucket, key, size and version are what this worker serves."""
    if bucket != input_bucket:
        raise PoisonMessageError(f"bucket {bucket!r} is not the input bucket")
    # S3 encodes keys like a form (quote_plus): a key without '%' or '+' is already decoded.
    key = unquote_plus(raw_key) if "%" in raw_key or "+" in raw_key else raw_key
    if len(key) * 4 > MAX_KEY_BYTES and len(key.encode()) > MAX_KEY_BYTES:
        raise PoisonMessageError(f"key longer than {MAX_KEY_BYTES} bytes")
    if not key.startswith(input_prefix):
        raise PoisonMessageError(f"key {key[:200]!r} is outside {input_prefix!r}")
    size = s3_object.get(size_field, 0)
    if size.__class__ is not int or size < 0:
        # bool is a subclass of int: the exact-class check refuses true/false too.
        raise PoisonMessageError(f"object size {size!r} is not a non-negative integer")
    version = s3_object.get(version_field)
    if version is not None and (version.__class__ is not str or not version):
        raise PoisonMessageError(f"{version_field} is not a non-empty string")
    return ObjectVersion(
        bucket, key, version, size, str(etag), str(sequencer), str(event_time), event_name
    )


def _object_version(record: Any, *, input_bucket: str, input_prefix: str) -> ObjectVersion:
    if record.__class__ is not dict:
        raise PoisonMessageError("a record is not an object")
    source = record.get("eventSource")
    if source != "aws:s3":
        raise PoisonMessageError(f"eventSource is {source!r}, not 'aws:s3'")
    try:
        # S3's shape, read at once; any step missing or not a non-empty string: read step by
        # step below, which names the first one wrong.
        event_name = record["eventName"]
        s3 = record["s3"]
        bucket = s3["bucket"]["name"]
        s3_object = s3["object"]
        raw_key = s3_object["key"]
        well_formed = (
            event_name.__class__ is str
            and bucket.__class__ is str
            and raw_key.__class__ is str
            and event_name
            and bucket
            and raw_key
        )
    except (KeyError, TypeError, IndexError):
        well_formed = False
    if not well_formed:
        event_name = _text(record, "eventName")
    if not event_name.startswith("ObjectCreated:"):
        raise PoisonMessageError(f"{event_name} is not an ObjectCreated event")
    if not well_formed:
        bucket = _text(record, "s3", "bucket", "name")
        raw_key = _text(record, "s3", "object", "key")
        s3_object = record["s3"]["object"]
    return _checked(
        bucket,
        raw_key,
        s3_object,
        "size",
        "versionId",
        s3_object.get("eTag", ""),
        s3_object.get("sequencer", ""),
        record.get("eventTime", ""),
        event_name,
        input_bucket,
        input_prefix,
    )


#: The EventBridge detail type of S3's object-creation events.
OBJECT_CREATED = "Object Created"


def is_eventbridge_event(document: Any) -> bool:
    """True for an event EventBridge delivered (it has ``detail-type`` and ``detail``)."""
    return document.__class__ is dict and "detail-type" in document and "detail" in document


def _bridged_version(
    event: dict[str, Any], *, input_bucket: str, input_prefix: str
) -> ObjectVersion:
    if event.get("source") != "aws.s3":
        raise PoisonMessageError(f"source is {event.get('source')!r}, not 'aws.s3'")
    if event["detail-type"] != OBJECT_CREATED:
        raise PoisonMessageError(f"detail-type {event['detail-type']!r} is not {OBJECT_CREATED!r}")
    bucket = _text(event, "detail", "bucket", "name")
    raw_key = _text(event, "detail", "object", "key")
    s3_object = event["detail"]["object"]
    reason = event["detail"].get("reason")
    # The notification's event name for the same write: reason PutObject → ObjectCreated:Put.
    action = reason.removesuffix("Object") if isinstance(reason, str) else ""
    return _checked(
        bucket,
        raw_key,
        s3_object,
        "size",
        "version-id",
        s3_object.get("etag", ""),
        s3_object.get("sequencer", ""),
        event.get("time", ""),
        f"ObjectCreated:{action}",
        input_bucket,
        input_prefix,
    )


def parse_upload_message(
    body: str, *, input_bucket: str, input_prefix: str
) -> list[ObjectVersion] | None:
    """Return the object versions of an S3 notification message, or None for a test event.

    Example:
        >>> body = json.dumps({"Records": [{"eventSource": "aws:s3",
        ...     "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "in"},
        ...     "object": {"key": "landing/a+b.csv", "size": 3}}}]})
        >>> parse_upload_message(body, input_bucket="in", input_prefix="landing/")[0].key
        'landing/a b.csv'

    Raises:
        PoisonMessageError: The body is not such a notification for this bucket and prefix.
    """
    try:
        document = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise PoisonMessageError(f"body is not JSON ({exc.__class__.__name__})") from exc
    if document.__class__ is dict:
        if document.get("Event") == "s3:TestEvent":  # is_test_event, without the call
            return None
        if "detail-type" in document and "detail" in document:  # is_eventbridge_event
            return [
                _bridged_version(document, input_bucket=input_bucket, input_prefix=input_prefix)
            ]
    if document.__class__ is not dict or document.get("Records").__class__ is not list:
        raise PoisonMessageError("body is not an S3 event notification (no Records list)")
    records = document["Records"]
    if not records or len(records) > MAX_RECORDS:
        raise PoisonMessageError(f"{len(records)} records (S3 sends 1 to {MAX_RECORDS})")
    if len(records) == 1:  # what S3 sends: no comprehension (a frame of its own) for one
        return [_object_version(records[0], input_bucket=input_bucket, input_prefix=input_prefix)]
    return [
        _object_version(record, input_bucket=input_bucket, input_prefix=input_prefix)
        for record in records
    ]
