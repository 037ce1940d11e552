"""S3 notifications for every object written to a stack's buckets, whoever writes it.

``S3NotificationSource.put_object`` uploads and notifies in one step, for the scenarios written
against the runner. A target scenario (``refarch.scenarios``) uploads with a plain ``PutObject``
instead, as a producer does in AWS, so here S3's side is played where moto records the write:
moto calls ``moto.s3.notifications.send_event`` for each object it creates (PutObject, POST,
copy, CompleteMultipartUpload), and inside ``notifications_on_write`` that call also hands the
object to the bucket's ``S3NotificationSource``, which matches the notification configuration
and delivers the documented event
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
It acts the same on a request made in-process or over HTTP to a moto server in this process
(both reach moto's one backend), and on writes by the pattern's own functions. moto's own
delivery stays as ``moto_patches`` and ``moto_s3_queue_notifications`` leave it (topics only).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.s3 import notifications

from refarch.local.sources.s3 import S3NotificationSource, Upload
from refarch.local.stack_resources import StackResources

#: moto's event names carry the ``s3:`` prefix; the event record's ``eventName`` does not.
CREATED = "s3:ObjectCreated:"


def _configured(bucket: Any) -> bool:
    """True if the bucket sends any notification (cheap: read on moto's bucket, no request)."""
    config = bucket.notification_configuration
    return config is not None and bool(
        config.cloud_function or config.queue or config.topic or config.event_bridge is not None
    )


@contextmanager
def notifications_on_write(stack: StackResources) -> Iterator[list[Upload]]:
    """While active, objects created in the stack's buckets are notified as S3 notifies them.

    Yields the list of uploads notified so far (what each matched and where it was delivered),
    for the runner's own reports; a scenario never reads it.
    """
    buckets = {b.physical_id: b.logical_id for b in stack.of_type("AWS::S3::Bucket")}
    sources: dict[str, S3NotificationSource] = {}
    uploads: list[Upload] = []
    original = notifications.send_event

    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        original(account_id, event_name, bucket, key)
        name = str(getattr(event_name, "value", event_name))
        if bucket.name not in buckets or not name.startswith(CREATED) or not _configured(bucket):
            return
        if bucket.name not in sources:
            sources[bucket.name] = S3NotificationSource(stack, buckets[bucket.name])
        version = key.version_id if key.version_id and key.version_id != "null" else None
        uploads.append(
            sources[bucket.name].notify(
                key.name,
                object_size=key.size,
                etag=key.etag,
                version_id=version,
                event_name=name.removeprefix("s3:"),
            )
        )

    with mock.patch.object(notifications, "send_event", send_event):
        yield uploads
