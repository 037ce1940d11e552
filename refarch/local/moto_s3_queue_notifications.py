"""moto gap: S3's own delivery of object events to SQS queues, turned off.

moto 5.2.5 sends an object's notification to every configured queue itself
(``moto.s3.notifications.send_event``), without checking the queue's resource policy, without
``versionId`` or ``sequencer``, and with ``/`` URL-encoded in the key, unlike the event S3
documents (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
The runner's ``sources.s3`` delivers queue configurations instead, the way it delivers Lambda
configurations: documented shape, queue policy checked for ``s3.amazonaws.com``. Only object
events are affected: the ``s3:TestEvent`` S3 sends when a queue is configured still comes
from moto (``send_test_event``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3 import notifications


@contextmanager
def s3_queue_notifications_left_to_runner() -> Iterator[None]:
    """While active, moto's ``send_event`` sends nothing to SQS (Lambda and SNS unchanged)."""
    original = notifications.send_event

    def send_event_without_queues(*args: Any, **kwargs: Any) -> None:
        with mock.patch.object(notifications, "_send_sqs_message", lambda *a, **k: None):
            original(*args, **kwargs)

    with mock.patch.object(notifications, "send_event", send_event_without_queues):
        yield
