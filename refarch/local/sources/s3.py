"""S3 event notifications, delivered the way S3 delivers them.

After an upload the source reads the bucket's notification configuration from moto (what the
stack's custom resource put there), keeps the ``LambdaFunctionConfigurations`` whose event names
and prefix/suffix filter rules match, and builds for each the event S3 documents
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):
``eventVersion`` 2.1, the key URL-encoded (``quote_plus``, ``/`` kept), ``versionId`` for
versioned buckets and a ``sequencer`` that grows with every event of the bucket. Delivery is
asynchronous and needs the function's ``AWS::Lambda::Permission`` for ``s3.amazonaws.com`` with
the bucket as source. S3 delivers at least once and in no particular order: ``deliver=False``
plus ``deliver()`` and ``redeliver()`` reproduce late and duplicate deliveries.

Queue configurations are delivered the same way, as ``s3.amazonaws.com``: the event (same
shape) is sent to the queue only if the queue's policy allows the bucket to send
(``sources.queue_delivery``); moto's own queue delivery is off
(``moto_s3_queue_notifications``). Topic configurations are left to moto.

With EventBridge notifications on (``EventBridgeConfiguration``), S3 also sends every object event
to the account's default bus, whatever the other configurations say
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html): the source puts the
``Object Created`` event S3 documents
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html) on the emulator's
``EventBus``, which matches the rules and delivers to their targets. The key is URL-encoded as in
the notification (AWS's Powertools decodes it the same way, ``S3EventBridgeNotificationObject``).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from refarch.local.lambda_runtime.invocation import LostEvent
from refarch.local.moto_s3_queue_notifications import event_bridge_enabled
from refarch.local.sources.base import Delivery, EventSource
from refarch.local.sources.events import PutEvent
from refarch.local.sources.queue_delivery import send_as_service
from refarch.local.trace import size

if TYPE_CHECKING:
    from refarch.local.stack_resources import StackResources

S3_PRINCIPAL = "s3.amazonaws.com"
#: S3 sequencers are hexadecimal; AWS's are 16-18 digits, these are 18.
SEQUENCER_DIGITS = 18


@dataclass(frozen=True)
class ObjectCreated:
    """What S3 knows about one object creation when it emits the event."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None
    sequencer: str
    event_name: str
    """Without the ``s3:`` prefix, e.g. ``ObjectCreated:Put``."""

    event_time: str
    request_id: str
    host_id: str
    principal_id: str
    """Who wrote the object, e.g. ``AWS:AIDA…``."""


@dataclass
class Upload:
    """An object written by the producer, and the notifications it gave rise to."""

    created: ObjectCreated
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(function ARN, event) for each matching Lambda configuration."""

    deliveries: list[Delivery] = field(default_factory=list)

    queue_events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(queue ARN, event) for each matching queue configuration."""

    queued: list[str] = field(default_factory=list)
    """Queue ARNs the event was sent to (once per delivery)."""

    to_event_bridge: bool = False
    """True when the bucket sends its events to EventBridge."""

    bridged: list[PutEvent] = field(default_factory=list)
    """The events put on the default bus for it (once per delivery), with their deliveries."""


def filter_rules(configuration: dict[str, Any]) -> dict[str, str]:
    """Return a configuration's key filter as ``{"prefix": …, "suffix": …}`` (names lowered)."""
    rules = configuration.get("Filter", {}).get("Key", {}).get("FilterRules", [])
    return {rule["Name"].lower(): rule["Value"] for rule in rules}


def matches(configuration: dict[str, Any], event_name: str, key: str) -> bool:
    """Return True if a notification configuration selects this event for this key.

    ``event_name`` is e.g. ``ObjectCreated:Put``; configured events are ``s3:ObjectCreated:*``
    or exact names. Prefix and suffix compare against the (decoded) key.
    """
    wanted = f"s3:{event_name}"
    if not any(
        wanted == configured or (configured.endswith(":*") and wanted.startswith(configured[:-1]))
        for configured in configuration.get("Events", [])
    ):
        return False
    rules = filter_rules(configuration)
    return key.startswith(rules.get("prefix", "")) and key.endswith(rules.get("suffix", ""))


def s3_event(
    created: ObjectCreated,
    *,
    region: str,
    partition: str,
    owner_id: str,
    configuration_id: str,
) -> dict[str, Any]:
    """Build the event S3 sends for one notification configuration (one record)."""
    s3_object: dict[str, Any] = {
        "key": quote_plus(created.key, safe="/"),
        "size": created.size,
        "eTag": created.etag,
    }
    if created.version_id:
        s3_object["versionId"] = created.version_id
    s3_object["sequencer"] = created.sequencer
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": created.event_time,
                "eventName": created.event_name,
                "userIdentity": {"principalId": created.principal_id},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": created.request_id,
                    "x-amz-id-2": created.host_id,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": created.bucket,
                        "ownerIdentity": {"principalId": owner_id},
                        "arn": f"arn:{partition}:s3:::{created.bucket}",
                    },
                    "object": s3_object,
                },
            }
        ]
    }


class S3NotificationSource(EventSource):
    """Upload to one bucket as a producer, and deliver the notifications S3 would send.

    Parameters
    ----------
    stack:
        The deployed stack.
    bucket:
        The bucket's logical id (or unique prefix, e.g. ``InputBucket``) or name.
    """

    def __init__(self, stack: StackResources, bucket: str) -> None:
        super().__init__(stack)
        resource = stack.resource(bucket)
        self.bucket = resource.physical_id
        self.bucket_arn = resource.attributes["Arn"]
        self._s3 = self.emulator.client("s3")
        self._principal_id = ""
        self._owner_id = ""

    def _next_sequencer(self) -> str:
        # Time-based like AWS's, and strictly greater than the last one of this bucket.
        candidate = time.time_ns() // 1000 << 8
        last = self.emulator.s3_sequencers.get(self.bucket, 0)
        value = max(candidate, last + 1)
        self.emulator.s3_sequencers[self.bucket] = value
        return f"{value:0{SEQUENCER_DIGITS}X}"

    def _identities(self) -> tuple[str, str]:
        if not self._principal_id:
            caller = self.emulator.client("sts").get_caller_identity()
            self._principal_id = f"AWS:{caller['UserId']}"
            self._owner_id = self._s3.list_buckets()["Owner"]["ID"]
        return self._principal_id, self._owner_id

    def put_object(
        self, key: str, body: bytes, *, deliver: bool = True, **put_arguments: Any
    ) -> Upload:
        """Upload ``body`` to ``key`` (as the deployer) and deliver the matching notifications.

        Parameters
        ----------
        key:
            The object key, as a producer writes it (not encoded).
        body:
            The object's bytes.
        deliver:
            False holds the notifications back: ``deliver(upload)`` sends them later, the way
            S3 sometimes delivers an older event after a newer one.
        **put_arguments:
            Passed to ``PutObject`` (e.g. ``ContentType``).
        """
        response = self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, **put_arguments)
        metadata = response.get("ResponseMetadata", {})
        version = f", version {response['VersionId']}" if response.get("VersionId") else ""
        self.emulator.trace.line(f"→ PUT s3://{self.bucket}/{key} ({size(len(body))}{version})")
        return self.notify(
            key,
            object_size=len(body),
            etag=response["ETag"],
            version_id=response.get("VersionId"),
            request_id=metadata.get("RequestId"),
            host_id=metadata.get("HostId"),
            deliver=deliver,
        )

    def notify(
        self,
        key: str,
        *,
        object_size: int,
        etag: str,
        version_id: str | None,
        event_name: str = "ObjectCreated:Put",
        request_id: str | None = None,
        host_id: str | None = None,
        deliver: bool = True,
    ) -> Upload:
        """Emit the notifications of an object just written to the bucket (by anyone).

        ``put_object`` calls it after its own upload; ``s3_on_write`` calls it for every object
        written through the S3 API while a target scenario runs, as S3 itself would.
        """
        principal_id, _ = self._identities()
        created = ObjectCreated(
            bucket=self.bucket,
            key=key,
            size=object_size,
            etag=etag.strip('"'),
            version_id=version_id,
            sequencer=self._next_sequencer(),
            event_name=event_name,
            event_time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            request_id=request_id or secrets.token_hex(8).upper(),
            host_id=host_id or base64.b64encode(secrets.token_bytes(48)).decode(),
            principal_id=principal_id,
        )
        upload = Upload(created=created)
        self._match(upload)
        if deliver:
            self._deliver(upload)
        elif upload.events:
            self.emulator.trace.line("(notification held back: S3 delivers it later)", 2)
        return upload

    def _match(self, upload: Upload) -> None:
        created = upload.created
        configuration = self._s3.get_bucket_notification_configuration(Bucket=self.bucket)
        lambdas = configuration.get("LambdaFunctionConfigurations", [])
        _, owner_id = self._identities()
        for config in configuration.get("QueueConfigurations", []):
            if not matches(config, created.event_name, created.key):
                continue
            event = s3_event(
                created,
                region=self.emulator.region,
                partition=self.emulator.partition,
                owner_id=owner_id,
                configuration_id=config.get("Id") or "notification",
            )
            upload.queue_events.append((config["QueueArn"], event))
        for config in lambdas:
            rules = filter_rules(config)
            described = ", ".join(
                [*config.get("Events", []), *(f"{k} {v!r}" for k, v in sorted(rules.items()))]
            )
            if not matches(config, created.event_name, created.key):
                self.emulator.trace.line(f"notification ({described}) does not match", 2)
                continue
            config_id = config.get("Id") or "notification"
            self.emulator.trace.line(
                f"notification {config_id[:24]} ({described}) matches "
                f"→ {config['LambdaFunctionArn'].rsplit(':', 1)[-1]}",
                2,
            )
            event = s3_event(
                created,
                region=self.emulator.region,
                partition=self.emulator.partition,
                owner_id=owner_id,
                configuration_id=config_id,
            )
            upload.events.append((config["LambdaFunctionArn"], event))
        upload.to_event_bridge = event_bridge_enabled(
            self.emulator.account_id, self.emulator.partition, self.bucket
        )
        if not upload.events and not upload.queue_events and not upload.to_event_bridge:
            self.emulator.trace.line("no notification configuration matches: no invocation", 2)

    def deliver(self, upload: Upload) -> list[Delivery]:
        """Deliver the notifications of an upload made with ``deliver=False``."""
        created = upload.created
        version = f"version {created.version_id}, " if created.version_id else ""
        self.emulator.trace.line(
            f"→ S3 delivers the held event for s3://{self.bucket}/{created.key} "
            f"({version}sequencer {created.sequencer})"
        )
        return self._deliver(upload)

    def _event_bridge_detail(self, created: ObjectCreated) -> dict[str, Any]:
        s3_object: dict[str, Any] = {
            "key": quote_plus(created.key, safe="/"),
            "size": created.size,
            "etag": created.etag,
        }
        if created.version_id:
            s3_object["version-id"] = created.version_id
        s3_object["sequencer"] = created.sequencer
        return {
            "version": "0",
            "bucket": {"name": created.bucket},
            "object": s3_object,
            "request-id": created.request_id,
            "requester": self.emulator.account_id,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        }

    def _deliver(self, upload: Upload) -> list[Delivery]:
        created = upload.created
        if upload.to_event_bridge:
            upload.bridged.append(
                self.emulator.events.put(
                    source="aws.s3",
                    detail_type="Object Created",
                    detail=self._event_bridge_detail(created),
                    resources=[self.bucket_arn],
                )
            )
        for queue_arn, event in upload.queue_events:
            name = queue_arn.rsplit(":", 1)[-1]
            if send_as_service(
                self.emulator,
                queue_arn,
                json.dumps(event),
                principal=S3_PRINCIPAL,
                source_arn=self.bucket_arn,
            ):
                upload.queued.append(queue_arn)
                self.emulator.trace.line(f"→ SQS {name} ({created.event_name})", 2)
            else:
                reason = f"the queue's policy does not let {S3_PRINCIPAL} send for {self.bucket}"
                self.emulator.lambda_service.lost.append(
                    LostEvent(f"s3://{self.bucket}", event, reason)
                )
                self.emulator.trace.line(f"✗ LOST: {reason}", 2)
        deliveries = [
            self.deliver_async(
                source=f"s3://{self.bucket}",
                source_arn=self.bucket_arn,
                principal=S3_PRINCIPAL,
                description=f"{created.event_name} {created.key}",
                target=target,
                event=event,
            )
            for target, event in upload.events
        ]
        upload.deliveries.extend(deliveries)
        return deliveries

    def redeliver(self, upload: Upload) -> list[Delivery]:
        """Deliver the same events once more: S3 delivers at least once, sometimes twice."""
        self.emulator.trace.line(
            f"→ S3 delivers the event for s3://{self.bucket}/{upload.created.key} again "
            f"(same sequencer {upload.created.sequencer})"
        )
        return self._deliver(upload)
