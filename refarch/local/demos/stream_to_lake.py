"""The local scenario of ``stream-to-lake``: clickstream events in, hourly partitions out.

What it does, in the order a reader meets it in the trace:

1. The producer (the stack's producer role, assumed) puts 30 records on the encrypted stream with
   ``PutRecords``, the user as partition key: 24 valid events spread over three hours and two
   days, 3 copies of valid events (a producer retry: same data, new sequence numbers) and 3
   malformed records (bad JSON, no ``event_time``, not UTF-8).
2. Firehose drains the stream: the batch goes through the transform, valid events land under
   ``events/year=…/month=…/day=…/hour=…/`` (GZIP JSON Lines), the copies are dropped, the
   malformed records land under ``errors/processing-failed/`` with their original bytes.
3. Six more events arrive in a new hour and Firehose drains again: it reads only those (one
   checkpoint per shard).

Then it checks the lake against the inputs: the partitions are the events' hours, the objects hold
exactly what the transform answers for the valid events (PII gone), each event once, the
malformed records intact, and for each drain records in = delivered + dropped + failed.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refarch.local.landed import StoredObject, objects, report_landed
from refarch.local.scenario import Check
from refarch.local.sources.firehose import DrainReport
from refarch.local.sources.firehose.transformation import transformation_event
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace

STREAM = "ClickstreamStream"
DELIVERY_STREAM = "FirehoseDeliveryStream"
TRANSFORM = "TransformFunction"
LAKE = "LakeBucket"
EVENTS_PREFIX = "events/"
FAILED_PREFIX = "errors/processing-failed/"
#: Attributes producers send that the lake must never hold.
PII = ("user_id", "email", "ip_address", "user_agent")
EVENT_TYPES = ("page_view", "click", "add_to_cart", "purchase")


@dataclass(frozen=True)
class Produced:
    """One record the producer puts on the stream, and what should become of it."""

    partition_key: str
    data: bytes
    kind: str
    """``valid``, ``duplicate`` (a copy of a valid record) or ``malformed``."""


def click(number: int, event_time: str) -> Produced:
    """A valid clickstream event, with the PII the transform must remove."""
    user = f"user-{number % 5}"
    document = {
        "event_id": f"evt-{number:04d}",
        "event_type": EVENT_TYPES[number % len(EVENT_TYPES)],
        "event_time": event_time,
        "user_id": user,
        "session_id": f"session-{number % 7}",
        "page": f"/products/{number}",
        "email": f"{user}@example.com",
        "ip_address": f"203.0.113.{number}",
        "user_agent": "Mozilla/5.0",
    }
    return Produced(user, json.dumps(document).encode(), "valid")


#: 24 events over three hours of two days: 2024-06-01 22h and 23h, 2024-06-02 00h.
HOURS = ("2024-06-01T22", "2024-06-01T23", "2024-06-02T00")
FIRST_ROUND_VALID = tuple(
    click(i, f"{HOURS[i % 3]}:{(7 * i) % 60:02d}:{i % 60:02d}Z") for i in range(24)
)
#: A producer retry: the same data written again, under new sequence numbers.
DUPLICATES = tuple(
    Produced(FIRST_ROUND_VALID[i].partition_key, FIRST_ROUND_VALID[i].data, "duplicate")
    for i in (0, 9, 17)
)
MALFORMED = (
    Produced("user-1", b'{"event_id": "evt-bad-json", "event_type": "click"', "malformed"),
    Produced(
        "user-2",
        json.dumps(
            {"event_id": "evt-no-time", "event_type": "click", "user_id": "user-2"}
        ).encode(),
        "malformed",
    ),
    Produced(
        "user-3",
        '{"event_id": "evt-latin-1", "event_type": "click", "event_time": "2024-06-01T23:00:00Z",'
        ' "user_id": "user-3", "page": "/café"}'.encode("latin-1"),
        "malformed",
    ),
)
FIRST_ROUND = (
    *FIRST_ROUND_VALID[:12],
    DUPLICATES[0],
    MALFORMED[0],
    *FIRST_ROUND_VALID[12:],
    *DUPLICATES[1:],
    *MALFORMED[1:],
)
#: Six events an hour later, for the second drain.
SECOND_ROUND = tuple(click(100 + i, f"2024-06-02T01:{10 * i:02d}:00Z") for i in range(6))


def _partition(event_time: str) -> str:
    moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    return f"{EVENTS_PREFIX}year={moment:%Y}/month={moment:%m}/day={moment:%d}/hour={moment:%H}/"


def _folder(key: str) -> str:
    return key.rsplit("/", 1)[0] + "/"


def expected_lines(stack: LocalStack, reports: list[DrainReport]) -> list[str]:
    """What the transform answers for the valid events alone (each once), as JSON Lines.

    The deployed function is invoked directly with a Firehose event of those records, with the
    arrival times they had in the stream (the transform stamps ``ingested_at`` from them).
    """
    valid = {p.data for p in (*FIRST_ROUND_VALID, *SECOND_ROUND)}
    read = [r for report in reports for r in report.records]
    firsts = {}
    for record in read:
        if record.data in valid and record.data not in firsts:
            firsts[record.data] = record
    delivery = stack.firehose(DELIVERY_STREAM).config
    event = transformation_event(
        list(firsts.values()),
        invocation_id="expected-output",
        delivery_stream_arn=delivery.arn,
        source_stream_arn=delivery.source.stream_arn,
        region=stack.emulator.region,
    )
    function_arn = stack.resource(TRANSFORM).attributes["Arn"]
    result = stack.emulator.lambda_service.invoke(function_arn, event).result or {"records": []}
    return sorted(
        base64.b64decode(r["data"]).decode().rstrip("\n")
        for r in result["records"]
        if r["result"] == "Ok"
    )


def _error_documents(stored: dict[str, StoredObject]) -> list[dict[str, Any]]:
    return [json.loads(line) for item in stored.values() for line in item.lines]


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``StreamToLake`` stack; return its checks."""
    producer = stack.kinesis_producer(STREAM)
    firehose = stack.firehose(DELIVERY_STREAM)
    checks: list[Check] = []

    trace.section("Run: a producer puts 30 clickstream records (3 copies, 3 malformed)")
    first = producer.put_records((p.partition_key, p.data) for p in FIRST_ROUND)
    trace.section("Run: Firehose drains the stream through the transform into the lake")
    first_drain = firehose.drain()

    trace.section("Run: six more events, an hour later; Firehose drains again")
    second = producer.put_records((p.partition_key, p.data) for p in SECOND_ROUND)
    second_drain = firehose.drain()

    report_landed(stack, trace)
    drains = [first_drain, second_drain]
    produced = len(FIRST_ROUND) + len(SECOND_ROUND)
    checks.append(
        Check(
            f"producer: {produced} records written with PutRecords as {producer.identity}",
            first.ok and second.ok and len(first.written) + len(second.written) == produced,
            first.error or second.error,
        )
    )
    valid_first = len(FIRST_ROUND_VALID)
    checks.append(
        Check(
            f"drain 1: {first_drain.counts()}",
            first_drain.ok
            and first_drain.records_in == len(FIRST_ROUND)
            and (first_drain.delivered, first_drain.dropped, first_drain.failed)
            == (valid_first, len(DUPLICATES), len(MALFORMED)),
            first_drain.read_error or "",
        )
    )
    checks.append(
        Check(
            f"drain 2 reads only the {len(SECOND_ROUND)} new records (a checkpoint per shard): "
            f"{second_drain.counts()}",
            second_drain.ok
            and second_drain.records_in == len(SECOND_ROUND)
            and second_drain.delivered == len(SECOND_ROUND),
            second_drain.read_error or "",
        )
    )

    events = objects(stack, LAKE, EVENTS_PREFIX)
    lines = sorted(line for item in events.values() for line in item.lines)
    records = [json.loads(line) for line in lines]
    valid = (*FIRST_ROUND_VALID, *SECOND_ROUND)
    wanted = {_partition(json.loads(p.data)["event_time"]) for p in valid}
    folders = {_folder(key) for key in events}
    in_their_hour = all(
        _partition(json.loads(line)["event_time"]) == _folder(key)
        for key, item in events.items()
        for line in item.lines
    )
    checks.append(
        Check(
            f"{len(wanted)} hourly partitions over two days, each event under its own hour",
            folders == wanted and in_their_hour and all(k.endswith(".gz") for k in events),
            ", ".join(sorted(f.removeprefix(EVENTS_PREFIX) for f in folders)),
        )
    )
    expected = expected_lines(stack, drains)
    trace.line(
        f"(expected output: the transform invoked directly with the {len(valid)} valid events "
        "alone, at their arrival times)"
    )
    checks.append(
        Check(
            f"the lake holds exactly what the transform answers for the {len(valid)} valid "
            "events alone",
            lines == expected and len(expected) == len(valid),
            f"{len(lines)} lines in the lake, {len(expected)} expected",
        )
    )
    raw_pii = [
        json.dumps(json.loads(p.data)[key])  # quoted: "user-1" must not appear as a value
        for p in valid
        for key in ("user_id", "email", "ip_address")
    ]
    content = b"".join(item.content for item in events.values())
    checks.append(
        Check(
            f"PII absent: no {', '.join(PII)} in the lake",
            not any(key in record for record in records for key in PII)
            and not any(value.encode() in content for value in raw_pii),
        )
    )
    event_ids = [record.get("event_id") for record in records]
    checks.append(
        Check(
            f"the {len(DUPLICATES)} copies are dropped: each event_id once",
            len(event_ids) == len(set(event_ids)) == len(valid),
        )
    )
    failed = objects(stack, LAKE, FAILED_PREFIX)
    documents = _error_documents(failed)
    raw = sorted(base64.b64decode(d["rawData"]) for d in documents)
    function_arn = stack.resource(TRANSFORM).attributes["Arn"]
    checks.append(
        Check(
            f"the {len(MALFORMED)} malformed records are under {FAILED_PREFIX} with their "
            "original bytes",
            raw == sorted(p.data for p in MALFORMED)
            and all(d.get("errorCode") == "Lambda.ProcessingFailedStatus" for d in documents)
            and all(d.get("lambdaArn") == function_arn for d in documents),
            ", ".join(sorted({d.get("errorCode", "?") for d in documents})),
        )
    )
    delivered = sum(d.delivered for d in drains)
    dropped = sum(d.dropped for d in drains)
    failed_count = sum(d.failed for d in drains)
    checks.append(
        Check(
            f"nothing lost: {produced} in = {delivered} in the lake + {dropped} dropped + "
            f"{failed_count} in the error prefix",
            produced == delivered + dropped + failed_count
            and delivered == len(lines)
            and failed_count == len(documents),
        )
    )
    return checks
