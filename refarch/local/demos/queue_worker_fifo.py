"""The local scenario of ``queue-worker -c fifo=true``: ordered per prefix, poison set aside.

What it does, in the order a reader meets it in the trace:

1. Two uploads, one under each message-group prefix: S3 sends each ``Object Created`` event to
   EventBridge, the prefix's rule sends it to the FIFO queue with the prefix as message group
   (as ``events.amazonaws.com``, if the queue's policy allows that rule). Lambda's poller
   processes and deletes both.
2. EventBridge delivers the first event again, same bytes, within 5 minutes: SQS accepts the
   send but drops the duplicate (content-based deduplication), although the first copy is
   already deleted.
3. More uploads, interleaved across the groups, in order; one of the ``orders`` files is in an
   archive storage class, so reading it fails (``InvalidObjectState``), a failure worth a
   retry. An upload under no group prefix is not queued. A producer puts a poison message (an
   event forged for another bucket) in the ``clicks`` group.
4. The poller drains the queue. The worker handles each batch with Powertools'
   ``SqsFifoPartialProcessor``: the archived file's failure returns the rest of the ``orders``
   group with it, so later orders wait, while ``clicks`` goes on; the poison message goes to
   the dead-letter queue at once with its reason. On its last receive (``maxReceiveCount``)
   the worker sends the archived file's message to the FIFO dead-letter queue with the reason,
   and the ``orders`` group resumes, in order, in the same invocation.
5. After the 5-minute interval EventBridge delivers the first event once more: now SQS accepts
   it, and the worker rewrites the same manifest (a manifest depends only on the version).
6. One upload's version is deleted before its event arrives: the worker's read of it finds no
   such version, which S3 tells only a caller allowed ``s3:ListBucket`` (403 AccessDenied
   otherwise: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), and the
   worker sends the message to the DLQ with its reason.

Then it checks: per group, messages handled in upload order; the failing message held back
only its own group; the duplicate dropped inside the interval and accepted after it; every
message accounted for (deleted after processing, those that could not be processed in the DLQ
with their original body and reason).
"""

from __future__ import annotations

import json

from refarch.local.landed import messages, objects, report_landed
from refarch.local.scenario import Check
from refarch.local.sources.event_source_mappings import PollReport
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace, brief

MANIFEST_PREFIX = "manifests/"
ORDERS = "landing/orders/"
CLICKS = "landing/clicks/"
CSV = b"id,amount\n1,2\n"
#: (key, archived): the uploads of step 3, in the order they are written.
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


def _processed_keys(report: PollReport) -> list[tuple[str, str]]:
    """(group, key) of each message the worker handled without failing, in processing order."""
    done = []
    for batch in report.batches:
        for record in batch.invocation.event["Records"]:
            if record["messageId"] in batch.result.failed:
                continue
            group = record["attributes"].get("MessageGroupId", "")
            if record["body"] == POISON:
                done.append((group, "(poison)"))
                continue
            done.append((group, json.loads(record["body"])["detail"]["object"]["key"]))
    return done


def _drain(stack: LocalStack) -> PollReport:
    (mapping,) = stack.of_type("AWS::Lambda::EventSourceMapping")
    return stack.emulator.event_source_mappings.poller(mapping.physical_id).drain()


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the FIFO scenario on a deployed ``QueueWorker`` stack; return its checks."""
    emu = stack.emulator
    source = stack.s3_source("InputBucket")
    queue_url = stack.physical_id("WorkQueue")
    sqs = emu.client("sqs")
    checks: list[Check] = []

    trace.section("Run: one upload per message group, through EventBridge")
    first = [source.put_object(ORDERS + "01.csv", CSV), source.put_object(CLICKS + "01.csv", CSV)]
    queued_first = all(len(u.bridged) == 1 and u.bridged[0].deliveries for u in first) and all(
        d.delivered for u in first for d in u.bridged[0].deliveries
    )
    early = _drain(stack)

    trace.section("Run: EventBridge delivers the first event again, within 5 minutes")
    emu.events.redeliver(first[1].bridged[0])
    in_queue = int(
        sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
    )
    checks.append(
        Check(
            "each upload's event reaches the FIFO queue through its prefix's rule; the same "
            "event again within 5 minutes is dropped by content-based deduplication",
            queued_first and len(early.deleted) == 2 and in_queue == 0,
            f"{in_queue} message(s) in the queue after the duplicate",
        )
    )

    trace.section("Run: interleaved uploads, one archived; a producer's poison message")
    later = []
    for key, archived in LATER_UPLOADS:
        extra = {"StorageClass": "GLACIER"} if archived else {}
        later.append(source.put_object(key, CSV, **extra))
    outside = source.put_object(OUTSIDE_GROUPS, CSV)
    sqs.send_message(QueueUrl=queue_url, MessageBody=POISON, MessageGroupId=CLICKS)
    trace.line(f"→ SendMessage (group {CLICKS}) {brief(POISON, 80)}")
    checks.append(
        Check(
            f"an upload under no group prefix ({OUTSIDE_GROUPS}) is not queued",
            not outside.bridged[0].deliveries,
        )
    )

    trace.section("Run: Lambda's poller drains the FIFO queue")
    report = _drain(stack)
    done = _processed_keys(report)
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
    blocked_batches = [
        b for b in report.batches if b.result.failed and len(b.result.failed) < len(b.message_ids)
    ]
    checks.append(
        Check(
            "the failure held back only its own group: clicks finished before orders resumed",
            0 <= clicks_last < orders_last and bool(blocked_batches),
            f"{len(report.batches)} invocations, {len(report.returned)} returns, "
            f"{report.waited_seconds:.0f} s of SQS time",
        )
    )

    trace.section("Run: EventBridge delivers the first event again, after 5 minutes")
    emu.events.redeliver(first[1].bridged[0])
    late = _drain(stack)

    trace.section("Run: an upload's version is deleted before its event arrives")
    withdrawn = source.put_object(WITHDRAWN_KEY, CSV, deliver=False)
    emu.client("s3").delete_object(
        Bucket=source.bucket, Key=WITHDRAWN_KEY, VersionId=withdrawn.created.version_id
    )
    trace.line(f"→ DELETE s3://{source.bucket}/{WITHDRAWN_KEY} (that version, permanently)")
    source.deliver(withdrawn)
    gone = _drain(stack)
    report_landed(stack, trace)
    manifests = objects(stack, "OutputBucket", MANIFEST_PREFIX)
    clicks_first = next(
        (m for k, m in manifests.items() if k.startswith(MANIFEST_PREFIX + CLICKS + "01.csv")),
        None,
    )
    checks.append(
        Check(
            "after the interval the same event is a new message: processed, the manifest "
            "rewritten with the same bytes",
            len(late.deleted) == 1 and clicks_first is not None and clicks_first.versions == 2,
            f"{clicks_first.versions if clicks_first else 0} versions of the manifest",
        )
    )

    dead = messages(stack, "DeadLetterQueue")
    reasons = [m.attributes.get("FailureReason", "") for m in dead]
    archived_body = later[0].bridged[0].event
    withdrawn_body = withdrawn.bridged[0].event
    checks.append(
        Check(
            "the DLQ holds the poison message, the archived file's message and the deleted "
            "version's, each with its original body and reason",
            sorted(m.body for m in dead)
            == sorted([json.dumps(archived_body), POISON, json.dumps(withdrawn_body)])
            and all(reasons)
            and not objects(stack, "OutputBucket", MANIFEST_PREFIX + LATER_UPLOADS[0][0]),
            "; ".join(r for r in reasons if r),
        )
    )
    sent = (
        2
        + 1
        + sum(1 for u in [*later, withdrawn] for d in u.bridged[0].deliveries if d.delivered)
        + 1
    )
    handled = len(early.deleted) + len(report.deleted) + len(late.deleted) + len(gone.deleted)
    checks.append(
        Check(
            f"every message accounted for: {sent} accepted = {handled} deleted after "
            f"processing, {len(dead)} of them kept in the DLQ; queue empty",
            handled == sent
            and len(dead) == 3
            and gone.left_in_queue == 0
            and not (report.error or gone.error),
            report.error,
        )
    )
    return checks
