"""The scenario of ``stream-consumer``: PII scrubbed once per event, a poison record isolated.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``); it writes with ``PutRecords`` and reads the table, the raw archive and the on-failure
queue. In the order a reader meets it in the trace:

1. A producer (the deployer) puts 40 events on the encrypted stream (``PutRecords``, the user as
   partition key), each with PII fields; one of them is put twice (a producer retry: same event
   id, new sequence number); and one poison record (not JSON) is put among them, with events of
   the same user after it.
2. Lambda's poller for the scrubber reads each shard with the function's role. The poison record
   fails; its batch is retried from it and bisected until the poison is alone; after the retries
   its shard position goes to the on-failure queue, and every record after it is processed. The
   second mapping (the archiver) reads the same records on its own checkpoint and copies each
   batch to S3. The scenario waits until the table, the archive and the queue show it.
3. Five more events arrive; the scrubber takes them at once. Locally the archiver is then two
   hours behind: past its ``MaximumRecordAgeInSeconds`` Lambda discards them and sends their
   position to the on-failure queue. AWS has no API to hold one mapping back, so live both
   mappings take them on time (the step is skipped, saying so).

Then it checks, against the sequence numbers ``PutRecords`` returned: each event id once in the
table, no PII field in it, the duplicate not counted, only the poison discarded by the scrubber
(alone, nothing after it skipped, its data read back from the stream at the position the
on-failure queue gives), every record of each mapping processed or discarded, the
archive complete but for what was discarded as too old.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from refarch.scenarios.observe import peek_messages, read_objects, report_stack_landed
from refarch.scenarios.target import Check, Target
from refarch.trace import brief, size

USERS = 8
EVENTS = 40
LATE_EVENTS = 5
PII = {"email": "ana@example.com", "phone": "+49 30 1234567", "name": "Ana Müller"}
POISON = b"\x00 not json at all"
POISON_USER = "user-3"
#: How far the archiver falls behind in step 3 (locally): more than the mapping's maximum
#: record age (one hour, the stack's ``max_record_age``).
ARCHIVER_LAG_SECONDS = 2 * 60 * 60
#: Lambda polls each shard "at a base rate of once per second" and retries a failed batch at once
#: (bisected, up to the mapping's retry attempts); a new mapping can take a few minutes to start
#: (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html). Poll every 5 s for up to
#: 10 minutes.
CONSUMED_POLL_SECONDS = 5
CONSUMED_TIMEOUT_SECONDS = 600
#: The on-failure record's conditions (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass(frozen=True)
class Written:
    """One record ``PutRecords`` accepted: its data and where it landed."""

    data: bytes
    shard_id: str
    sequence_number: str

    @property
    def position(self) -> tuple[str, str]:
        """(shard id, sequence number): sequence numbers are unique within a shard only."""
        return self.shard_id, self.sequence_number

    @property
    def event_id(self) -> str | None:
        """The event id in the data, if the data is a JSON event."""
        try:
            return json.loads(self.data).get("event_id")
        except (ValueError, AttributeError):
            return None


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


def put_records(target: Target, stream_arn: str, records: list[tuple[str, bytes]]) -> list[Written]:
    """Put ``(partition key, data)`` records in one ``PutRecords`` call; return what it accepted.

    One call takes up to 500 records
    (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html).
    """
    response = target.client("kinesis").put_records(
        StreamARN=stream_arn,
        Records=[{"PartitionKey": key, "Data": data} for key, data in records],
    )
    written = [
        Written(data, entry["ShardId"], entry["SequenceNumber"])
        for (_, data), entry in zip(records, response["Records"], strict=True)
        if not entry.get("ErrorCode")
    ]
    shards: dict[str, int] = {}
    for record in written:
        shards[record.shard_id] = shards.get(record.shard_id, 0) + 1
    spread = ", ".join(f"{shard}: {count}" for shard, count in sorted(shards.items()))
    total = sum(len(data) for _, data in records)
    target.trace.line(
        f"→ PutRecords {stream_arn.rsplit('/', 1)[-1]}: {len(written)}/{len(records)} records "
        f"({size(total)}) ({spread or 'no shard'})"
    )
    return written


def _in_batch(record: Written, info: dict[str, Any]) -> bool:
    """True if ``record`` is in the shard range an on-failure record describes."""
    return info.get("shardId") == record.shard_id and int(
        info.get("startSequenceNumber", -1)
    ) <= int(record.sequence_number) <= int(info.get("endSequenceNumber", -1))


def replay(kinesis: Any, stream_arn: str, info: dict[str, Any]) -> list[bytes]:
    """Read back the records an on-failure record points at, as an operator replays them.

    The on-failure record holds the batch's position, not its data: the data is read from the
    stream at that position while the stream retains it
    (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
    """
    iterator = kinesis.get_shard_iterator(
        StreamARN=stream_arn,
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    records = kinesis.get_records(
        StreamARN=stream_arn, ShardIterator=iterator, Limit=info["batchSize"]
    )["Records"]
    return [record["Data"] for record in records]


def _discarded(records: Iterable[Written], infos: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {r.position for r in records if any(_in_batch(r, i) for i in infos)}


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``StreamConsumer`` stack; return its checks."""
    trace = target.trace
    kinesis = target.client("kinesis")
    s3, sqs, dynamodb = target.client("s3"), target.client("sqs"), target.client("dynamodb")
    stream_name = target.physical_id("EventsStream")
    stream_arn = kinesis.describe_stream_summary(StreamName=stream_name)[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    table = target.physical_id("ScrubbedEvents")
    archive = target.physical_id("RawArchiveBucket")
    failure_queue = target.physical_id("OnFailureQueue")
    # What Ref gives for a function: its name.
    functions = {
        "scrubber": target.physical_id("ScrubberFunction"),
        "archiver": target.physical_id("ArchiverFunction"),
    }
    checks: list[Check] = []

    trace.section("Run: a producer puts events, a retried event and a poison record")
    first = [event(n) for n in range(EVENTS // 2)]
    rest = [event(n) for n in range(EVENTS // 2, EVENTS)]
    written = put_records(target, stream_arn, [*first, (POISON_USER, POISON), *rest, event(7)])
    poison = next(r for r in written if r.data == POISON)
    after_poison = [
        r
        for r in written
        if r.shard_id == poison.shard_id and int(r.sequence_number) > int(poison.sequence_number)
    ]

    failures: dict[str, dict[str, Any]] = {}

    def scrubbed() -> list[dict[str, Any]]:
        # Strongly consistent: a write acknowledged before the scan is in it
        # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
        pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        return [item for page in pages for item in page["Items"]]

    def table_ids() -> list[str]:
        return [item["event_id"]["S"] for item in scrubbed()]

    def archived() -> list[tuple[str, str]]:
        # The archiver names each object raw/<shard>/<first>-<last>.jsonl.
        stored = read_objects(s3, archive, "raw/")
        return [
            (key.split("/")[1], line["sequenceNumber"])
            for key, item in stored.items()
            for line in item.records()
        ]

    def failure_infos(function: str, condition: str) -> list[dict[str, Any]]:
        for message in peek_messages(sqs, failure_queue):
            failures[message.message_id or message.body] = json.loads(message.body)
        return [
            body.get("KinesisBatchInfo", {})
            for body in failures.values()
            if _function_name(body.get("requestContext", {}).get("functionArn", ""))
            == functions[function]
            and body.get("requestContext", {}).get("condition") == condition
        ]

    def consumed(records: list[Written], *, poisoned: bool) -> bool:
        ids = set(table_ids())
        in_table = all(r.event_id in ids for r in records if r.event_id is not None)
        isolated = bool(failure_infos("scrubber", RETRIES_EXHAUSTED)) or not poisoned
        aged = _discarded(records, failure_infos("archiver", RECORD_AGE_EXCEEDED))
        copied = (set(archived()) | aged) >= {r.position for r in records}
        return in_table and isolated and copied

    trace.section("Run: Lambda's pollers read the stream into the scrubber and the archiver")
    target.wait_until(
        "the table, the archive and the on-failure queue show every record",
        lambda: consumed(written, poisoned=True),
        timeout=CONSUMED_TIMEOUT_SECONDS,
        interval=CONSUMED_POLL_SECONDS,
    )

    trace.section("Run: five more events (locally, the archiver is two hours behind)")
    late = put_records(target, stream_arn, [event(n) for n in range(EVENTS, EVENTS + LATE_EVENTS)])
    stack = target.local_only(
        "holding the archiver's mapping two hours behind the scrubber's: AWS has no API to delay "
        "one mapping, so live both read the late events on time"
    )
    if stack is not None:
        # The scrubber reads them now; the archiver only after its maximum record age.
        _drain(stack, "Scrubber")
        stack.emulator.queue_clock.advance(ARCHIVER_LAG_SECONDS)
        _drain(stack, "Archiver")
    target.wait_until(
        "the late events are scrubbed and archived (or discarded as too old)",
        lambda: consumed(late, poisoned=False),
        timeout=CONSUMED_TIMEOUT_SECONDS,
        interval=CONSUMED_POLL_SECONDS,
    )

    report_stack_landed(trace, s3, sqs, target)
    items = scrubbed()
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
    checks.append(
        Check(
            "the producer's retry of one event is not counted twice",
            ids.count("evt-0007") == 1
            and len(written) == EVENTS + 2
            and [r.event_id for r in written].count("evt-0007") == 2,
        )
    )
    exhausted = failure_infos("scrubber", RETRIES_EXHAUSTED)
    stack = target.local_only("which batches Lambda invoked the scrubber with is not observable")
    if stack is not None:
        sizes = _batches_with(stack, functions["scrubber"], poison)
        checks.append(
            Check(
                "the poison record is bisected until alone, then only it is discarded",
                len(sizes) > 1
                and sizes[0] > 1
                and sizes[-1] == 1
                and _discarded(written, exhausted) == {poison.position},
                f"invoked with it {len(sizes)} times, batch sizes {sizes}",
            )
        )
    ids_now = set(ids)
    checks.append(
        Check(
            f"nothing after the poison in its shard is skipped ({len(after_poison)} records)",
            all(r.event_id in ids_now for r in after_poison),
        )
    )
    archive_now = set(archived())
    aged = failure_infos("archiver", RECORD_AGE_EXCEEDED)
    for name, records in (
        ("scrubber", written),
        ("archiver", written),
        ("scrubber (late events)", late),
        ("archiver (late events)", late),
    ):
        if name.startswith("scrubber"):
            discarded = _discarded(records, exhausted)
            processed = {r.position for r in records if r.event_id in ids_now}
        else:
            discarded = _discarded(records, aged)
            processed = {r.position for r in records} & archive_now
        checks.append(
            Check(
                f"{name}: every record processed or discarded "
                f"({len(processed)} + {len(discarded)} = {len(records)})",
                processed | discarded == {r.position for r in records}
                and not processed & discarded,
            )
        )
    replayed = [replay(kinesis, stream_arn, info) for info in exhausted]
    checks.append(
        Check(
            "the on-failure queue holds the poison's shard position; its data is read back from "
            "the stream there",
            len(exhausted) == 1
            and {
                "shardId": poison.shard_id,
                "startSequenceNumber": poison.sequence_number,
                "endSequenceNumber": poison.sequence_number,
                "batchSize": 1,
            }.items()
            <= exhausted[0].items()
            and replayed == [[POISON]],
            json.dumps(exhausted)[:160],
        )
    )
    if target.local_only("the archiver falls behind only locally (step 3)") is not None:
        checks.append(
            Check(
                f"the archiver's {LATE_EVENTS} late records are described there as too old",
                sum(info.get("batchSize", 0) for info in aged) == LATE_EVENTS,
                f"{len(aged)} message(s)",
            )
        )
    aged_late = _discarded(late, aged)
    on_time = {r.position: r.data for r in [*written, *late] if r.position not in aged_late}
    stored = read_objects(s3, archive, "raw/")
    lines = [
        ((key.split("/")[1], line["sequenceNumber"]), base64.b64decode(line["data"]))
        for key, item in stored.items()
        for line in item.records()
    ]
    checks.append(
        Check(
            "the archive holds every record read on time, as it arrived",
            len(lines) == len(on_time) and dict(lines) == on_time,
            f"{len(lines)} lines in {len(stored)} objects",
        )
    )
    return checks


def _drain(stack: Any, function_prefix: str) -> None:
    """Let one mapping's poller read what its stream holds (local only)."""
    for mapping in stack.of_type("AWS::Lambda::EventSourceMapping"):
        if mapping.logical_id.startswith(function_prefix):
            stack.emulator.event_source_mappings.poller(mapping.physical_id).drain()
            return
    raise LookupError(function_prefix)


def _function_name(function_arn: str) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`` → ``<name>``."""
    parts = function_arn.split(":")
    return parts[6] if len(parts) > 6 else function_arn


def _batches_with(stack: Any, function_name: str, record: Written) -> list[int]:
    """The sizes of the batches the function was invoked with that held ``record``."""
    sizes = []
    for invocation in stack.emulator.lambda_service.invocations:
        if invocation.function_name != function_name:
            continue
        records = (invocation.event or {}).get("Records", [])
        if any(
            r.get("eventID", "").split(":", 1)[0] == record.shard_id
            and r.get("kinesis", {}).get("sequenceNumber") == record.sequence_number
            for r in records
        ):
            sizes.append(len(records))
    return sizes
