"""The scenario of ``queue-worker -c fifo=true``: ordered per prefix, poison set aside.

The same code runs on the local emulator (``refarch demo queue-worker -c fifo=true``) and, once
``refarch verify`` deploys a pattern's variants, in an account; it drives the stack only with
``PutObject``, ``DeleteObject`` and ``SendMessage``, and reads the manifests (with their
versions), the dead-letter queue and the work queue's counts. In the order a reader meets it:

1. The notification configuration is given the time S3 documents to take effect.
2. Two uploads, one under each message-group prefix: S3 sends each ``Object Created`` event to
   EventBridge, the prefix's rule sends it to the FIFO queue with the prefix as message group
   (as ``events.amazonaws.com``, if the queue's policy allows that rule). Lambda's poller
   processes and deletes both.
3. The ``clicks`` upload's event is delivered again, rebuilt from its manifest and sent with
   ``SendMessage`` in its group, as an operator replays it: processed, the manifest rewritten.
   The same bytes again within 5 minutes, although the first copy is deleted: SQS accepts the
   send but drops the duplicate (content-based deduplication).
4. More uploads, interleaved across the groups, in order; one of the ``orders`` files is in an
   archive storage class, so reading it fails (``InvalidObjectState``), a failure worth a
   retry. An upload under no group prefix is not queued. A producer puts a poison message (an
   event forged for another bucket) in the ``clicks`` group.
5. The poller drains the queue. The worker handles each batch with Powertools'
   ``SqsFifoPartialProcessor``: the archived file's failure returns the rest of the ``orders``
   group with it, so later orders wait, while ``clicks`` goes on; the poison message goes to
   the dead-letter queue at once with its reason. On its last receive (``maxReceiveCount``)
   the worker sends the archived file's message to the FIFO dead-letter queue with the reason,
   and the ``orders`` group resumes, in order.
6. After the 5-minute interval the same bytes are sent once more: now SQS accepts them, and the
   worker rewrites the same manifest (a manifest depends only on the version).
7. One upload's version is deleted right after it is written, before its event reaches the
   worker: the worker's read of it finds no such version, which S3 tells only a caller allowed
   ``s3:ListBucket`` (403 AccessDenied otherwise:
   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and the worker sends
   the message to the DLQ with its reason.

Then it checks: per group, messages handled in upload order and the failing message held back
only its own group (both local only: what each invocation received); the duplicate dropped inside
the interval and accepted after it; every message accounted for (a manifest written, or in the
DLQ with its original body and reason).
"""

from __future__ import annotations

import json
from typing import Any

from refarch.scenarios.observe import StoredObject, report_stack_landed
from refarch.scenarios.queue_worker import (
    EMPTY_POLL_SECONDS,
    EMPTY_TIMEOUT_SECONDS,
    NOTIFICATION_SETTLE_SECONDS,
    PROCESSED_POLL_SECONDS,
    PROCESSED_TIMEOUT_SECONDS,
    QueueWorkerRun,
)
from refarch.scenarios.target import Check, Target

ORDERS = "landing/orders/"
CLICKS = "landing/clicks/"
CSV = b"id,amount\n1,2\n"
#: (key, archived): the uploads of step 4, in the order they are written.
LATER_UPLOADS = (
    (ORDERS + "02.csv", True),
    (CLICKS + "02.csv", False),
    (ORDERS + "03.csv", False),
    (CLICKS + "03.csv", False),
    (ORDERS + "04.csv", False),
)
OUTSIDE_GROUPS = "landing/other/x.csv"
WITHDRAWN_KEY = ORDERS + "withdrawn.csv"
POISON = json.dumps(
    {
        "version": "0",
        "id": "forged",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": "someone-elses-bucket"}, "object": {"key": CLICKS + "x"}},
    }
)
#: SQS drops a message whose deduplication id it accepted within the last 5 minutes
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html).
DEDUPLICATION_INTERVAL_SECONDS = 300
#: A message that keeps failing is received ``maxReceiveCount`` times, one visibility timeout
#: apart (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html):
#: the wait for it lasts that long plus the processing allowance; polled every 30 s.
RETRIED_POLL_SECONDS = 30


def bridged_event(manifest: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge ``Object Created`` event of a manifest's object version, rebuilt.

    Every fact the manifest records comes from the event, so the worker writes the same bytes
    again (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
    """
    s3_object: dict[str, Any] = {
        "key": manifest["key"],
        "size": manifest["size"],
        "etag": manifest["etag"],
        "sequencer": manifest["sequencer"],
    }
    if manifest.get("version_id"):
        s3_object["version-id"] = manifest["version_id"]
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": manifest["event_time"],
        "detail": {
            "version": "0",
            "bucket": {"name": manifest["bucket"]},
            "object": s3_object,
            "reason": "PutObject",
        },
    }


def _detail_key(body: str) -> str:
    try:
        return str(json.loads(body)["detail"]["object"]["key"])
    except (ValueError, KeyError, TypeError):
        return ""


def _processed(invocations: list[Any]) -> list[tuple[str, str]]:
    """(group, key) of each message the worker handled without failing, in processing order."""
    done = []
    for invocation in invocations:
        if not invocation.succeeded:
            continue  # every message failed (Powertools raises): all of them come back
        failed = {
            f.get("itemIdentifier") for f in (invocation.result or {}).get("batchItemFailures", [])
        }
        for record in invocation.event["Records"]:
            if record["messageId"] in failed:
                continue
            group = record["attributes"].get("MessageGroupId", "")
            key = "(poison)" if record["body"] == POISON else _detail_key(record["body"])
            done.append((group, key))
    return done


def run(target: Target) -> list[Check]:
    """Drive the FIFO scenario on a deployed ``QueueWorker`` stack; return its checks."""
    run_ = QueueWorkerRun(target)
    trace = target.trace
    checks: list[Check] = []
    stack = target.local_only("which messages Lambda invoked the function with is not observable")
    function = target.physical_id("WorkerFunction")

    def invocations() -> list[Any]:
        if stack is None:
            return []
        return [i for i in stack.emulator.lambda_service.invocations if i.function_name == function]

    def wait_for(description: str, keys: list[tuple[str, str | None]]) -> Any:
        wanted = [run_.manifest_key(k, v) for k, v in keys]

        def done() -> dict[str, StoredObject] | None:
            manifests = run_.manifests()
            return manifests if all(k in manifests for k in wanted) else None

        return target.wait_until(
            description, done, timeout=PROCESSED_TIMEOUT_SECONDS, interval=PROCESSED_POLL_SECONDS
        )

    trace.section("Run: the notification configuration takes effect")
    target.let_settle("S3 applies a new notification configuration", NOTIFICATION_SETTLE_SECONDS)

    trace.section("Run: one upload per message group, through EventBridge")
    first = {key: run_.put(key, CSV) for key in (ORDERS + "01.csv", CLICKS + "01.csv")}
    manifests = wait_for("the manifests of both uploads", list(first.items()))
    checks.append(
        Check(
            "each upload's event reaches the FIFO queue through its prefix's rule: a manifest each",
            all(run_.manifest_key(k, v) in manifests for k, v in first.items()),
        )
    )

    trace.section("Run: the clicks event delivered again, and its bytes again within 5 minutes")
    replayed_key = run_.manifest_key(CLICKS + "01.csv", first[CLICKS + "01.csv"])
    (record,) = manifests[replayed_key].records()
    replay = json.dumps(bridged_event(record), sort_keys=True)
    original_manifest = manifests[replayed_key].body
    run_.send(replay, f"{CLICKS}01.csv (replayed, group {CLICKS})", group=CLICKS)
    target.wait_until(
        "the replayed event's manifest rewritten",
        lambda: run_.manifests()[replayed_key].versions == 2,
        timeout=PROCESSED_TIMEOUT_SECONDS,
        interval=PROCESSED_POLL_SECONDS,
    )
    run_.send(replay, "the same bytes again, within 5 minutes", group=CLICKS)

    trace.section("Run: interleaved uploads, one archived; a producer's poison message")
    later: dict[str, str | None] = {}
    for key, archived in LATER_UPLOADS:
        extra = {"StorageClass": "GLACIER"} if archived else {}
        run_.trace.line(f"→ PUT s3://{run_.bucket}/{key}" + (" (GLACIER)" if archived else ""))
        later[key] = run_.s3.put_object(Bucket=run_.bucket, Key=key, Body=CSV, **extra).get(
            "VersionId"
        )
    run_.put(OUTSIDE_GROUPS, CSV)
    poison_id = run_.send(POISON, f"(group {CLICKS}) a forged event", group=CLICKS)
    before_later = len(invocations())

    trace.section("Run: Lambda's poller drains the FIFO queue")
    attributes = run_.sqs.get_queue_attributes(
        QueueUrl=run_.queue, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
    )["Attributes"]
    receives = int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])
    retried_timeout = receives * int(attributes["VisibilityTimeout"]) + PROCESSED_TIMEOUT_SECONDS
    processed = [
        (k, v)
        for (k, archived), v in zip(LATER_UPLOADS, later.values(), strict=True)
        if not archived
    ]

    def retried() -> dict[str, StoredObject] | None:
        manifests = run_.manifests()
        done = all(run_.manifest_key(k, v) in manifests for k, v in processed)
        return manifests if done and len(run_.dead_letters()) >= 2 else None

    target.wait_until(
        f"the later uploads' manifests; the poison and the archived file ({receives} receives) "
        "in the DLQ",
        retried,
        timeout=retried_timeout,
        interval=RETRIED_POLL_SECONDS,
    )
    done = _processed(invocations()[before_later:])
    if stack is not None:
        for group in (ORDERS, CLICKS):
            handled = [key for g, key in done if g == group and key != "(poison)"]
            expected = [key for key, _ in LATER_UPLOADS if key.startswith(group)]
            checks.append(
                Check(
                    f"group {group}: handled in upload order (a file that keeps failing is "
                    "dead-lettered at its place, on its last receive)",
                    handled == expected,
                    ", ".join(k.rsplit("/", 1)[-1] for k in handled),
                )
            )
        orders_last = max((i for i, (g, _) in enumerate(done) if g == ORDERS), default=-1)
        clicks_last = max((i for i, (g, _) in enumerate(done) if g == CLICKS), default=-1)
        blocked = [
            i
            for i in invocations()[before_later:]
            if 0 < len((i.result or {}).get("batchItemFailures", [])) < len(i.event["Records"])
        ]
        checks.append(
            Check(
                "the failure held back only its own group: clicks finished before orders resumed",
                0 <= clicks_last < orders_last and bool(blocked),
                f"{len(invocations()) - before_later} invocations, {len(blocked)} held back",
            )
        )

    trace.section("Run: the same bytes once more, after 5 minutes")
    target.let_settle("the deduplication interval ends", DEDUPLICATION_INTERVAL_SECONDS)
    run_.send(replay, f"{CLICKS}01.csv (replayed after the interval)", group=CLICKS)
    target.wait_until(
        "the replayed event's manifest rewritten again",
        lambda: run_.manifests()[replayed_key].versions >= 3,
        timeout=PROCESSED_TIMEOUT_SECONDS,
        interval=PROCESSED_POLL_SECONDS,
    )

    trace.section("Run: an upload's version is deleted before its event reaches the worker")
    withdrawn = run_.put(WITHDRAWN_KEY, CSV)
    # Deleted at once: S3's event through EventBridge and Lambda's poll take longer.
    run_.s3.delete_object(Bucket=run_.bucket, Key=WITHDRAWN_KEY, VersionId=withdrawn)
    trace.line(f"→ DELETE s3://{run_.bucket}/{WITHDRAWN_KEY} (that version, permanently)")

    def drained() -> dict[str, StoredObject] | None:
        manifests = run_.manifests()
        empty = not any(run_.queue_counts().values())
        return manifests if len(run_.dead_letters()) >= 3 and empty else None

    manifests = target.wait_until(
        "the withdrawn version in the DLQ, the work queue empty",
        drained,
        timeout=EMPTY_TIMEOUT_SECONDS,
        interval=EMPTY_POLL_SECONDS,
    )
    counts = run_.queue_counts()

    report_stack_landed(trace, run_.s3, run_.sqs, target)
    named = {r["key"] for m in manifests.values() for r in m.records()}
    checks.append(
        Check(
            f"an upload under no group prefix ({OUTSIDE_GROUPS}) is not queued: no manifest",
            OUTSIDE_GROUPS not in named,
        )
    )
    rewritten = manifests.get(replayed_key)
    checks.append(
        Check(
            "the same bytes within 5 minutes are dropped (content-based deduplication); after "
            "the interval they are a new message: the manifest rewritten with the same bytes",
            rewritten is not None
            and rewritten.versions == 3
            and rewritten.body == original_manifest,
            f"{rewritten.versions if rewritten else 0} versions of the manifest (the upload, "
            "the replay, the replay after the interval)",
        )
    )
    dead = list(run_.dead_letters().values())
    reasons = [m.attributes.get("FailureReason", "") for m in dead]
    archived_key = LATER_UPLOADS[0][0]
    checks.append(
        Check(
            "the DLQ holds the poison message, the archived file's message and the deleted "
            "version's, each with its original body and reason",
            sorted(_detail_key(m.body) for m in dead if m.body != POISON)
            == sorted([archived_key, WITHDRAWN_KEY])
            and any(
                m.body == POISON and m.attributes.get("SourceMessageId") == poison_id for m in dead
            )
            and len(dead) == 3
            and all(reasons)
            and archived_key not in named
            and WITHDRAWN_KEY not in named,
            "; ".join(r for r in reasons if r),
        )
    )
    # Accepted: 2 uploads, the replay, the replay after the interval, 4 later uploads and the
    # archived one, the poison, the withdrawn upload (the duplicate inside the interval dropped).
    sent = len(first) + 2 + len(LATER_UPLOADS) + 1 + 1
    written = sum(m.versions for m in manifests.values())
    checks.append(
        Check(
            f"every message accounted for: {sent} accepted = {written} manifests written + "
            f"{len(dead)} kept in the DLQ; queue empty",
            sent == written + len(dead) and not any(counts.values()),
            ", ".join(f"{name} {count}" for name, count in counts.items()),
        )
    )
    return checks
