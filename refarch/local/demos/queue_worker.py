"""The local scenario of ``queue-worker``: uploads queued, processed in batches, poison kept.

What it does, in the order a reader meets it in the trace:

1. Files of several formats are uploaded under ``landing/`` (a CSV, JSON Lines, Parquet, an
   empty file, a key with spaces and non-ASCII characters): S3 sends each event to the work
   queue, as ``s3.amazonaws.com``, if the queue's policy allows the bucket. A file outside the
   prefix is not queued.
2. S3 delivers one event twice, and two versions of one key are queued newest first. One
   upload's version is deleted before its event arrives: the worker's read of it finds no
   such version, which S3 tells only a caller allowed ``s3:ListBucket`` (403 AccessDenied
   otherwise: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and the
   worker sends the message to the DLQ with its reason.
3. A producer puts two poison messages on the queue: a body that is not JSON and an event
   forged for another bucket.
4. Lambda's poller drains the queue with the mapping's batch size and batching window, under
   the function's role. The worker writes one manifest per object version, sends the poison
   messages to the DLQ with their reason and reports no failure for them, so the good messages
   of the same batch are deleted once and never retried.

Then it checks: one manifest per queued object version (duplicates rewrite the same bytes),
every message sent to the queue accounted for (deleted after success, or in the DLQ with its
original body and reason), the queue empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from refarch.local.demos import queue_worker_fifo
from refarch.local.landed import messages, objects, report_landed
from refarch.local.scenario import Check
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace, brief

INPUT_PREFIX = "landing/"
MANIFEST_PREFIX = "manifests/"


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


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``QueueWorker`` stack; return its checks.

    The ordered variant (``-c fifo=true``, a FIFO work queue) has its own scenario.
    """
    emu = stack.emulator
    emu.lambda_service.describe_result = describe_response
    if stack.resource("WorkQueue").properties.get("FifoQueue"):
        return queue_worker_fifo.run(stack, trace)
    source = stack.s3_source("InputBucket")
    queue_url = stack.physical_id("WorkQueue")
    sqs = emu.client("sqs")
    checks: list[Check] = []

    trace.section("Run: uploads under landing/ are queued")
    uploads = {u.key: source.put_object(u.key, u.body) for u in UPLOADS}
    outside = source.put_object(OUTSIDE.key, OUTSIDE.body)
    checks.append(
        Check(
            f"every upload under {INPUT_PREFIX} is queued once; {OUTSIDE.key} is not",
            all(len(u.queued) == 1 for u in uploads.values()) and not outside.queued,
        )
    )

    trace.section("Run: S3 delivers an event twice, and an older version's event late")
    redelivered = uploads[UPLOADS[0].key]
    source.redeliver(redelivered)
    old = source.put_object(LATE_KEY, LATE_OLD, deliver=False)
    new = source.put_object(LATE_KEY, LATE_NEW, deliver=False)
    source.deliver(new)
    source.deliver(old)
    withdrawn = source.put_object(WITHDRAWN_KEY, b"order_id\nA-9\n", deliver=False)
    emu.client("s3").delete_object(
        Bucket=source.bucket, Key=WITHDRAWN_KEY, VersionId=withdrawn.created.version_id
    )
    trace.line(f"→ DELETE s3://{source.bucket}/{WITHDRAWN_KEY} (that version, permanently)")
    source.deliver(withdrawn)

    trace.section("Run: a producer puts poison messages on the queue")
    poison_ids = []
    for body in POISON_BODIES:
        poison_ids.append(sqs.send_message(QueueUrl=queue_url, MessageBody=body)["MessageId"])
        trace.line(f"→ SendMessage {brief(body, 80)}")

    trace.section("Run: Lambda's poller drains the queue")
    (mapping,) = stack.of_type("AWS::Lambda::EventSourceMapping")
    report = emu.event_source_mappings.poller(mapping.physical_id).drain()

    report_landed(stack, trace)
    manifests = objects(stack, "OutputBucket", MANIFEST_PREFIX)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for stored in manifests.values():
        for record in stored.records():
            by_key.setdefault(record["key"], []).append(record)

    for upload in UPLOADS:
        found = by_key.get(upload.key, [])
        version = uploads[upload.key].created.version_id
        checks.append(
            Check(
                f"{upload.key}: one manifest for its version, {upload.status}",
                len(found) == 1
                and found[0]["status"] == upload.status
                and found[0]["version_id"] == version,
                found[0].get("reason", found[0].get("format", "")) if found else "none",
            )
        )
    duplicate = next(
        (m for k, m in manifests.items() if k.startswith(MANIFEST_PREFIX + UPLOADS[0].key)), None
    )
    checks.append(
        Check(
            "duplicate delivery: the same manifest rewritten with the same bytes",
            duplicate is not None and duplicate.versions == 2 and len(by_key[UPLOADS[0].key]) == 1,
            f"{duplicate.versions} versions of the manifest" if duplicate else "",
        )
    )
    late = by_key.get(LATE_KEY, [])
    checks.append(
        Check(
            "out-of-order delivery: both versions of the late key have their own manifest",
            sorted(m["version_id"] for m in late)
            == sorted([old.created.version_id, new.created.version_id]),
        )
    )

    dead = messages(stack, "DeadLetterQueue")
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
    withdrawn_dead = [m for m in dead if m.body and WITHDRAWN_KEY.rsplit("/", 1)[-1] in m.body]
    checks.append(
        Check(
            "a version deleted before its event arrives: in the DLQ with the reason",
            len(withdrawn_dead) == 1
            and "no longer exists" in withdrawn_dead[0].attributes.get("FailureReason", "")
            and WITHDRAWN_KEY not in by_key,
            "; ".join(m.attributes.get("FailureReason", "") for m in withdrawn_dead),
        )
    )
    batch_of_poison = [b for b in report.batches if set(poison_ids) & set(b.message_ids)]
    invoked = [i for b in report.batches for i in b.message_ids]
    checks.append(
        Check(
            "partial batch: the poison's batch-mates are processed once, never retried",
            bool(batch_of_poison)
            and len(batch_of_poison[0].message_ids) > len(poison_ids)
            and len(invoked) == len(set(invoked))
            and not report.returned,
            f"{len(batch_of_poison[0].message_ids) if batch_of_poison else 0} messages in the "
            f"batch with the poison, {len(report.batches)} invocation(s)",
        )
    )
    sent = (
        sum(len(u.queued) for u in [*uploads.values(), old, new, withdrawn])
        + 1
        + len(POISON_BODIES)
    )
    checks.append(
        Check(
            f"every message accounted for: {sent} sent = {len(report.deleted)} deleted after "
            f"processing, {len(dead)} of them kept in the DLQ; queue empty",
            len(report.deleted) == sent
            and len(dead) == len(POISON_BODIES) + 1
            and report.left_in_queue == 0
            and not report.error,
            report.error,
        )
    )
    return checks
