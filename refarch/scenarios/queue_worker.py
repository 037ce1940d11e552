"""The scenario of ``queue-worker``: uploads queued, processed in batches, poison kept.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``); it drives the stack only with ``PutObject``, ``DeleteObject`` and ``SendMessage``, and
reads the manifests (with their versions), the dead-letter queue and the work queue's counts. In
the order a reader meets it in the trace:

1. The notification configuration is given the time S3 documents to take effect.
2. Files of several formats are uploaded under ``landing/`` (a CSV, JSON Lines, Parquet, an
   empty file, a key with spaces and non-ASCII characters): S3 sends each event to the work
   queue, as ``s3.amazonaws.com``, if the queue's policy allows the bucket. A file outside the
   prefix is not queued. Two versions of one key are uploaded.
3. One upload's version is deleted right after it is written, before its event reaches the
   worker: the worker's read of it finds no such version, which S3 tells only a caller allowed
   ``s3:ListBucket`` (403 AccessDenied otherwise:
   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and the worker sends
   the message to the DLQ with its reason.
4. A producer puts two poison messages on the queue: a body that is not JSON and an event
   forged for another bucket.
5. Lambda's poller drains the queue with the mapping's batch size and batching window, under
   the function's role. The worker writes one manifest per object version, sends the poison
   messages to the DLQ with their reason and reports no failure for them, so the good messages
   of the same batch are deleted once and never retried. The scenario waits until the
   manifests and the DLQ show every message.
6. Two events are delivered again, as S3 may (standard queues and S3 deliver at least once):
   rebuilt from their manifests (version, size, ETag, sequencer, event time) and sent with
   ``SendMessage``, as an operator replays them: the first upload's event (a duplicate), and
   the older version's event of the late key, after the newer one's (out of order).

Then it checks: one manifest per queued object version (duplicates rewrite the same bytes),
none for the file outside the prefix, nothing retried, every message sent to the queue accounted
for (a manifest written, or in the DLQ with its original body and reason), the queue empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from refarch.scenarios.observe import (
    QueuedMessage,
    StoredObject,
    peek_messages,
    read_objects,
    report_stack_landed,
)
from refarch.scenarios.target import Check, Target
from refarch.trace import brief, size

INPUT_PREFIX = "landing/"
MANIFEST_PREFIX = "manifests/"

#: "After you create or change the notification configuration, it usually takes about five
#: minutes for the changes to take effect"
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-enable-disable-notification-intro.html).
NOTIFICATION_SETTLE_SECONDS = 300
#: S3 notifications are "typically delivered in seconds but can sometimes take a minute or
#: longer" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html);
#: the mapping's pollers "actively poll for new messages"
#: (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html) and invoke
#: once the stack's 5-second batching window ends
#: (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html). Poll every 5 s
#: (the batching window) for up to 5 minutes.
PROCESSED_POLL_SECONDS = 5
PROCESSED_TIMEOUT_SECONDS = 300
#: The queue's counts "may not achieve consistency until at least 1 minute after the producers
#: stop sending messages"
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html):
#: poll every 15 s for up to 3 minutes.
EMPTY_POLL_SECONDS = 15
EMPTY_TIMEOUT_SECONDS = 180
#: The counts that say a queue holds nothing (visible, in flight, delayed; same page).
QUEUE_COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True)
class Upload:
    """One file of the scenario and the manifest status it should get."""

    key: str
    body: bytes
    status: str


UPLOADS = (
    Upload(
        "landing/orders/2024-06-01.csv", b"order_id,amount,currency\nA-1,19.99,EUR\n", "accepted"
    ),
    Upload("landing/clicks/part-0001.jsonl", b'{"id": 1, "page": "/"}\n{"id": 2}\n', "accepted"),
    Upload("landing/curated/t.parquet", b"PAR1" + bytes(60) + b"PAR1", "accepted"),
    Upload("landing/orders/empty.csv", b"", "rejected"),
    Upload("landing/Bestellungen März (Köln) #1.csv", b"id;menge\n1;2\n", "accepted"),
)
OUTSIDE = Upload("elsewhere/orders.csv", b"order_id\n1\n", "")
LATE_KEY = "landing/orders/late.csv"
LATE_OLD = b"order_id\nA-1\n"
LATE_NEW = b"order_id,amount\nA-1,2\n"
WITHDRAWN_KEY = "landing/orders/withdrawn.csv"
POISON_BODIES = (
    "this is not an S3 event",
    json.dumps(
        {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "someone-elses-bucket"}, "object": {"key": "x"}},
                }
            ]
        }
    ),
)


def describe_response(result: Any) -> str:
    """Show the partial batch response briefly."""
    try:
        failures = result["batchItemFailures"]
    except (KeyError, TypeError):
        return brief(result)
    return f"batchItemFailures: {len(failures)}" + (
        f" ({', '.join(f['itemIdentifier'][:8] for f in failures)})" if failures else ""
    )


def replayed_event(manifest: dict[str, Any]) -> dict[str, Any]:
    """The S3 notification of a manifest's object version, as an operator rebuilds it.

    Every fact the manifest records comes from the event (key URL-encoded as S3 encodes it),
    so the worker writes the same bytes again
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
    """
    s3_object: dict[str, Any] = {
        "key": quote_plus(manifest["key"], safe="/"),
        "size": manifest["size"],
        "eTag": manifest["etag"],
        "sequencer": manifest["sequencer"],
    }
    if manifest.get("version_id"):
        s3_object["versionId"] = manifest["version_id"]
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventTime": manifest["event_time"],
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": manifest["bucket"]},
            "object": s3_object,
        },
    }
    return {"Records": [record]}


class QueueWorkerRun:
    """The scenario's handles: clients, names, and the reads it repeats while waiting."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.trace = target.trace
        self.s3, self.sqs = target.client("s3"), target.client("sqs")
        self.bucket = target.physical_id("InputBucket")
        self.output_bucket = target.physical_id("OutputBucket")
        self.queue = target.physical_id("WorkQueue")
        self.dlq = target.physical_id("DeadLetterQueue")
        self.dead: dict[str, QueuedMessage] = {}
        """Every DLQ message seen so far, by id (a short poll returns a sample)."""

    def put(self, key: str, body: bytes) -> str | None:
        """Upload as a producer does; return the new version id."""
        self.trace.line(f"→ PUT s3://{self.bucket}/{key} ({size(len(body))})")
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=body).get("VersionId")

    def send(self, body: str, note: str = "", *, group: str | None = None) -> str:
        """Put ``body`` on the work queue (in message ``group``, FIFO); return its message id."""
        self.trace.line(f"→ SendMessage {note or brief(body, 80)}")
        fifo = {"MessageGroupId": group} if group is not None else {}
        return str(
            self.sqs.send_message(QueueUrl=self.queue, MessageBody=body, **fifo)["MessageId"]
        )

    def manifests(self) -> dict[str, StoredObject]:
        """The output bucket's manifests, by key (with how many versions each has)."""
        return read_objects(self.s3, self.output_bucket, MANIFEST_PREFIX)

    def manifest_key(self, key: str, version: str | None) -> str:
        """Where the worker writes an object version's manifest (``manifest.manifest_key``)."""
        return f"{MANIFEST_PREFIX}{key}/{version or 'null'}.json"

    def dead_letters(self) -> dict[str, QueuedMessage]:
        """The DLQ's messages seen so far, polling once more."""
        for message in peek_messages(self.sqs, self.dlq):
            self.dead[message.message_id or message.body] = message
        return self.dead

    def queue_counts(self) -> dict[str, int]:
        """The work queue's message counts (``QUEUE_COUNTS``)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue, AttributeNames=list(QUEUE_COUNTS)
        )["Attributes"]
        return {name: int(attributes.get(name, 0)) for name in QUEUE_COUNTS}


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``QueueWorker`` stack; return its checks.

    The ordered variant (``-c fifo=true``) has its own scenario, run locally only.
    """
    run_ = QueueWorkerRun(target)
    trace = target.trace
    checks: list[Check] = []

    trace.section("Run: the notification configuration takes effect")
    target.let_settle("S3 applies a new notification configuration", NOTIFICATION_SETTLE_SECONDS)

    trace.section("Run: uploads under landing/ are queued")
    versions = {u.key: run_.put(u.key, u.body) for u in UPLOADS}
    run_.put(OUTSIDE.key, OUTSIDE.body)
    old = run_.put(LATE_KEY, LATE_OLD)
    new = run_.put(LATE_KEY, LATE_NEW)

    trace.section("Run: an upload's version is deleted before its event reaches the worker")
    withdrawn = run_.put(WITHDRAWN_KEY, b"order_id\nA-9\n")
    # Deleted at once: S3's notification and Lambda's 5-second batching window take longer.
    run_.s3.delete_object(Bucket=run_.bucket, Key=WITHDRAWN_KEY, VersionId=withdrawn)
    trace.line(f"→ DELETE s3://{run_.bucket}/{WITHDRAWN_KEY} (that version, permanently)")

    trace.section("Run: a producer puts poison messages on the queue")
    poison_ids = [run_.send(body) for body in POISON_BODIES]

    trace.section("Run: Lambda's poller drains the queue")
    expected = [run_.manifest_key(k, v) for k, v in versions.items()]
    expected += [run_.manifest_key(LATE_KEY, old), run_.manifest_key(LATE_KEY, new)]

    def drained() -> dict[str, StoredObject] | None:
        manifests = run_.manifests()
        dead = run_.dead_letters()
        done = all(k in manifests for k in expected) and len(dead) >= len(POISON_BODIES) + 1
        return manifests if done else None

    first = target.wait_until(
        "a manifest for every queued version, the poison and the withdrawn upload in the DLQ",
        drained,
        timeout=PROCESSED_TIMEOUT_SECONDS,
        interval=PROCESSED_POLL_SECONDS,
    )

    trace.section("Run: S3 delivers an event twice, and an older version's event late")
    duplicate_key = run_.manifest_key(UPLOADS[0].key, versions[UPLOADS[0].key])
    late_key = run_.manifest_key(LATE_KEY, old)
    replays = (duplicate_key, "(the same event again)"), (late_key, "(the older version's, late)")
    for manifest_key, note in replays:
        (record,) = first[manifest_key].records()
        run_.send(json.dumps(replayed_event(record)), f"{record['key']} {note}")

    def rewritten() -> dict[str, StoredObject] | None:
        manifests = run_.manifests()
        counts = run_.queue_counts()
        done = all(manifests[k].versions == 2 for k, _ in replays) and not any(counts.values())
        return manifests if done else None

    manifests = target.wait_until(
        "the replayed events' manifests rewritten, the work queue empty",
        rewritten,
        timeout=EMPTY_TIMEOUT_SECONDS,
        interval=EMPTY_POLL_SECONDS,
    )
    counts = run_.queue_counts()

    report_stack_landed(trace, run_.s3, run_.sqs, target)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for stored in manifests.values():
        for record in stored.records():
            by_key.setdefault(record["key"], []).append(record)

    stack = target.local_only("which messages Lambda invoked the function with is not observable")
    if stack is not None:
        function = target.physical_id("WorkerFunction")
        invocations = [
            i for i in stack.emulator.lambda_service.invocations if i.function_name == function
        ]
        delivered: dict[str, int] = {}
        for invocation in invocations:
            for message in (invocation.event or {}).get("Records", []):
                for key in _keys(message.get("body", "")):
                    delivered[key] = delivered.get(key, 0) + 1
        checks.append(
            Check(
                f"every upload under {INPUT_PREFIX} is queued once (the replayed one twice); "
                f"{OUTSIDE.key} is not",
                all(delivered.get(u.key) == (2 if u is UPLOADS[0] else 1) for u in UPLOADS)
                and OUTSIDE.key not in delivered,
                f"{sum(delivered.values())} object events delivered",
            )
        )
    checks.append(
        Check(
            f"no manifest for {OUTSIDE.key} (outside {INPUT_PREFIX})",
            OUTSIDE.key not in by_key,
        )
    )

    for upload in UPLOADS:
        found = by_key.get(upload.key, [])
        checks.append(
            Check(
                f"{upload.key}: one manifest for its version, {upload.status}",
                len(found) == 1
                and found[0]["status"] == upload.status
                and found[0]["version_id"] == versions[upload.key],
                found[0].get("reason", found[0].get("format", "")) if found else "none",
            )
        )
    duplicate = manifests.get(duplicate_key)
    checks.append(
        Check(
            "duplicate delivery: the same manifest rewritten with the same bytes",
            duplicate is not None
            and duplicate.versions == 2
            and duplicate.body == first[duplicate_key].body
            and len(by_key.get(UPLOADS[0].key, [])) == 1,
            f"{duplicate.versions} versions of the manifest" if duplicate else "",
        )
    )
    late = by_key.get(LATE_KEY, [])
    late_manifest = manifests.get(late_key)
    checks.append(
        Check(
            "out-of-order delivery: both versions of the late key have their own manifest; the "
            "older one's late event rewrites its own with the same bytes",
            sorted(m["version_id"] for m in late) == sorted([old, new])
            and late_manifest is not None
            and late_manifest.body == first[late_key].body,
        )
    )

    dead = list(run_.dead_letters().values())
    dead_by_id = {m.attributes.get("SourceMessageId"): m for m in dead}
    checks.append(
        Check(
            "poison messages are in the DLQ with their original body and the failure reason",
            all(
                i in dead_by_id
                and dead_by_id[i].body == body
                and dead_by_id[i].attributes.get("FailureReason")
                for i, body in zip(poison_ids, POISON_BODIES, strict=True)
            ),
            "; ".join(m.attributes.get("FailureReason", "") for m in dead),
        )
    )
    withdrawn_dead = [m for m in dead if WITHDRAWN_KEY in _keys(m.body)]
    checks.append(
        Check(
            "a version deleted before its event arrives: in the DLQ with the reason",
            len(withdrawn_dead) == 1
            and "no longer exists" in withdrawn_dead[0].attributes.get("FailureReason", "")
            and WITHDRAWN_KEY not in by_key,
            "; ".join(m.attributes.get("FailureReason", "") for m in withdrawn_dead),
        )
    )
    replayed = {k for k, _ in replays}
    checks.append(
        Check(
            "nothing retried: each manifest written once (the replayed ones twice), each dead "
            "letter sent once",
            all(m.versions == (2 if k in replayed else 1) for k, m in manifests.items())
            and len(dead_by_id) == len(dead),
            f"{sum(m.versions for m in manifests.values())} manifest writes, {len(dead)} dead "
            "letters",
        )
    )
    if stack is not None:
        batch_of_poison = [
            [r["messageId"] for r in i.event["Records"]]
            for i in invocations
            if set(poison_ids) & {r["messageId"] for r in i.event["Records"]}
        ]
        invoked = [r["messageId"] for i in invocations for r in i.event["Records"]]
        checks.append(
            Check(
                "partial batch: the poison's batch-mates are processed once, never retried",
                bool(batch_of_poison)
                and len(batch_of_poison[0]) > len(poison_ids)
                and len(invoked) == len(set(invoked))
                and all(i.succeeded and i.result == {"batchItemFailures": []} for i in invocations),
                f"{len(batch_of_poison[0]) if batch_of_poison else 0} messages in the batch "
                f"with the poison, {len(invocations)} invocation(s)",
            )
        )
    sent = len(UPLOADS) + 2 + 1 + len(POISON_BODIES) + len(replays)
    written = sum(m.versions for m in manifests.values())
    checks.append(
        Check(
            f"every message accounted for: {sent} sent = {written} manifests written + "
            f"{len(dead)} kept in the DLQ; queue empty",
            sent == written + len(dead)
            and len(dead) == len(POISON_BODIES) + 1
            and not any(counts.values()),
            ", ".join(f"{name} {count}" for name, count in counts.items()),
        )
    )
    return checks


def _keys(body: str) -> list[str]:
    """The decoded object keys an S3 notification in a message body names (none if not one)."""
    try:
        records = json.loads(body).get("Records", [])
        return [unquote_plus(r["s3"]["object"]["key"]) for r in records]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []
