"""The local scenario of ``stream-consumer``: PII scrubbed once per event, a poison record isolated.

What it does, in the order a reader meets it in the trace:

1. A producer puts 40 events on the encrypted stream (``PutRecords``, the user as partition
   key), each with PII fields; one of them is put twice (a producer retry: same event id, new
   sequence number); and one poison record (not JSON) is put among them, with events of the same
   user after it.
2. Lambda's poller for the scrubber reads each shard with the function's role. The poison record
   fails; its batch is retried from it and bisected until the poison is alone; after the retries
   its shard position goes to the on-failure queue, and every record after it is processed.
3. The second mapping (the archiver) reads the same records on its own checkpoint and copies
   each batch to S3.
4. Five more events arrive; the scrubber takes them at once, but the archiver is behind by two
   hours: past its ``MaximumRecordAgeInSeconds`` Lambda discards them and sends their position to
   the on-failure queue.

Then it checks: each event id once in the table, no PII field in it, the duplicate not counted,
only the poison discarded by the scrubber (alone, nothing after it skipped), every record of each
mapping processed or discarded, the archive complete.
"""

from __future__ import annotations

import json
from typing import Any

from refarch.local.landed import messages, objects, report_landed
from refarch.local.scenario import Check
from refarch.local.sources.event_source_mappings import StreamPoller
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace, brief

USERS = 8
EVENTS = 40
LATE_EVENTS = 5
PII = {"email": "ana@example.com", "phone": "+49 30 1234567", "name": "Ana Müller"}
POISON = b"\x00 not json at all"
POISON_USER = "user-3"
#: How far the archiver falls behind in step 4: more than the mapping's maximum record age.
ARCHIVER_LAG_SECONDS = 2 * 60 * 60


def event(n: int) -> tuple[str, bytes]:
    """The n-th event: (partition key, JSON bytes with PII fields)."""
    user = f"user-{n % USERS}"
    body = {"event_id": f"evt-{n:04d}", "event_type": "page_view", "user": user, **PII}
    return user, json.dumps(body).encode()


def describe_response(result: Any) -> str:
    """Show the partial batch response briefly."""
    try:
        failures = result["batchItemFailures"]
    except (KeyError, TypeError):
        return brief(result)
    return f"batchItemFailures: {len(failures)}"


def _poller(stack: LocalStack, function_prefix: str) -> StreamPoller:
    emu = stack.emulator
    for mapping in stack.of_type("AWS::Lambda::EventSourceMapping"):
        if mapping.logical_id.startswith(function_prefix):
            poller = emu.event_source_mappings.poller(mapping.physical_id)
            assert isinstance(poller, StreamPoller)
            return poller
    raise LookupError(function_prefix)


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``StreamConsumer`` stack; return its checks."""
    emu = stack.emulator
    emu.lambda_service.describe_result = describe_response
    producer = stack.kinesis_producer("EventsStream")
    checks: list[Check] = []

    trace.section("Run: a producer puts events, a retried event and a poison record")
    first = [event(n) for n in range(EVENTS // 2)]
    rest = [event(n) for n in range(EVENTS // 2, EVENTS)]
    put = producer.put_records([*first, (POISON_USER, POISON), *rest, event(7)])
    poison = next(r for r in put.results if r.data == POISON)
    after_poison = [
        r
        for r in put.written
        if r.shard_id == poison.shard_id and int(r.sequence_number) > int(poison.sequence_number)
    ]

    trace.section("Run: Lambda's poller drains the stream into the scrubber")
    scrubber = _poller(stack, "Scrubber").drain()
    trace.section("Run: the second mapping drains the same stream into the archiver")
    archiver = _poller(stack, "Archiver").drain()

    trace.section("Run: five more events; the archiver is two hours behind")
    late = producer.put_records([event(n) for n in range(EVENTS, EVENTS + LATE_EVENTS)])
    late_scrubbed = _poller(stack, "Scrubber").drain()
    emu.queue_clock.advance(ARCHIVER_LAG_SECONDS)
    late_archived = _poller(stack, "Archiver").drain()

    report_landed(stack, trace)
    items = emu.client("dynamodb").scan(TableName=stack.physical_id("ScrubbedEvents"))["Items"]
    ids = [item["event_id"]["S"] for item in items]
    expected = {f"evt-{n:04d}" for n in range(EVENTS + LATE_EVENTS)}
    checks.append(
        Check(
            f"each of the {len(expected)} events is in the table once",
            sorted(ids) == sorted(expected),
            f"{len(ids)} items",
        )
    )
    leaked = [i for i in items if set(PII) & {k for k in json.loads(i["body"]["S"])}]
    checks.append(Check("no PII field reaches the table", not leaked, f"{len(leaked)} leaked"))
    retried = [b for b in scrubber.batches if poison.sequence_number in b.sequence_numbers]
    checks.append(
        Check(
            "the producer's retry of one event is not counted twice",
            ids.count("evt-0007") == 1 and len(put.written) == EVENTS + 2,
        )
    )
    checks.append(
        Check(
            "the poison record is bisected until alone, then only it is discarded",
            scrubber.discarded_sequence_numbers == [poison.sequence_number]
            and len(retried) > 1
            and len(retried[0].sequence_numbers) > 1
            and retried[-1].sequence_numbers == [poison.sequence_number],
            f"invoked with it {len(retried)} times, batch sizes "
            f"{[len(b.sequence_numbers) for b in retried]}",
        )
    )
    processed = set(scrubber.processed)
    checks.append(
        Check(
            f"nothing after the poison in its shard is skipped ({len(after_poison)} records)",
            all(r.sequence_number in processed for r in after_poison),
        )
    )
    for name, report, records in (
        ("scrubber", scrubber, put.written),
        ("archiver", archiver, put.written),
        ("scrubber (late events)", late_scrubbed, late.written),
        ("archiver (late events)", late_archived, late.written),
    ):
        done = set(report.processed) | set(report.discarded_sequence_numbers)
        checks.append(
            Check(
                f"{name}: every record processed or discarded "
                f"({len(set(report.processed))} + {len(report.discarded_sequence_numbers)} "
                f"= {len(records)})",
                done == {r.sequence_number for r in records}
                and not report.error
                and all(not d.error for d in report.discarded),
                report.error,
            )
        )
    failures = [json.loads(m.body) for m in messages(stack, "OnFailureQueue")]
    by_condition: dict[str, list[dict[str, Any]]] = {}
    for body in failures:
        by_condition.setdefault(body["requestContext"]["condition"], []).append(body)
    exhausted = by_condition.get("RetryAttemptsExhausted", [])
    infos = [body.get("KinesisBatchInfo", {}) for body in exhausted]
    expected_info = {
        "shardId": poison.shard_id,
        "startSequenceNumber": poison.sequence_number,
        "endSequenceNumber": poison.sequence_number,
        "batchSize": 1,
    }
    checks.append(
        Check(
            "the on-failure queue holds the poison's shard position (its data stays in the stream)",
            len(infos) == 1 and expected_info.items() <= infos[0].items(),
            json.dumps(infos)[:160],
        )
    )
    aged = by_condition.get("RecordAgeExceeded", [])
    checks.append(
        Check(
            f"the archiver's {LATE_EVENTS} late records are described there as too old",
            sum(b.get("KinesisBatchInfo", {}).get("batchSize", 0) for b in aged) == LATE_EVENTS,
            f"{len(aged)} message(s)",
        )
    )
    archived = objects(stack, "RawArchiveBucket", "raw/")
    lines = [line for stored in archived.values() for line in stored.records()]
    checks.append(
        Check(
            "the archive holds every record read on time, as it arrived",
            sorted(line["sequenceNumber"] for line in lines)
            == sorted(r.sequence_number for r in put.written),
            f"{len(lines)} lines in {len(archived)} objects",
        )
    )
    return checks
