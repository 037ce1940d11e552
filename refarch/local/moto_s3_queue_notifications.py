"""moto gap: S3's own delivery of object events to SQS queues and EventBridge, turned off.

moto 5.2.5 sends an object's notification to every configured queue itself
(``moto.s3.notifications.send_event``), without checking the queue's resource policy, without
``versionId`` or ``sequencer``, and with ``/`` URL-encoded in the key, unlike the event S3
documents (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
The runner's ``sources.s3`` delivers queue configurations instead, the way it delivers Lambda
configurations: documented shape, queue policy checked for ``s3.amazonaws.com``. Only object
events are affected: the ``s3:TestEvent`` S3 sends when a queue is configured still comes
from moto (``send_test_event``).

With EventBridge notifications on, moto also puts its own event straight to each rule's targets:
``eTag`` for ``etag``, a constant sequencer, ``reason`` ``ObjectCreated`` for ``PutObject``, and
no queue policy checked. The runner's ``sources.s3`` puts the documented event
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html) on its ``EventBus``
instead, which delivers it as ``events.amazonaws.com``. moto keeps the bucket's
``EventBridgeConfiguration`` but leaves it out of ``GetBucketNotificationConfiguration``'s answer,
so ``event_bridge_enabled`` reads it from moto's S3 backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3 import notifications
from moto.s3.models import s3_backends


@contextmanager
def s3_queue_notifications_left_to_runner() -> Iterator[None]:
    """While active, moto's ``send_event`` sends nothing to SQS or EventBridge."""
    original = notifications.send_event

    def send_event_without_queues(*args: Any, **kwargs: Any) -> None:
        with (
            mock.patch.object(notifications, "_send_sqs_message", lambda *a, **k: None),
            mock.patch.object(notifications, "_send_event_bridge_message", lambda *a, **k: None),
        ):
            original(*args, **kwargs)

    with mock.patch.object(notifications, "send_event", send_event_without_queues):
        yield


def event_bridge_enabled(account_id: str, partition: str, bucket: str) -> bool:
    """True if the bucket sends its events to EventBridge (``EventBridgeConfiguration`` set)."""
    configuration = s3_backends[account_id][partition].get_bucket(bucket).notification_configuration
    return configuration is not None and configuration.event_bridge is not None
