"""The scenario of ``stream-to-lake``: clickstream events in, hourly partitions out.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``); it writes with ``PutRecords`` under the stack's producer role, reads the lake bucket,
the stream (``GetRecords``) and the delivery stream's configuration, and invokes the transform
directly. In the order a reader meets it in the trace:

1. The producer (the stack's producer role, assumed with ``sts:AssumeRole``) puts 30 records on
   the encrypted stream with ``PutRecords``, the user as partition key: 24 valid events spread
   over three hours and two days, 3 copies of valid events (a producer retry: same data, new
   sequence numbers) and 3 malformed records (bad JSON, no ``event_time``, not UTF-8).
2. Firehose reads the stream and, when its buffering interval has passed, delivers: the batch
   goes through the transform, valid events land under ``events/year=…/month=…/day=…/hour=…/``
   (GZIP JSON Lines), the copies are dropped, the malformed records land under
   ``errors/processing-failed/`` with their original bytes. The scenario waits for the lake to
   show them.
3. Six more events arrive in a new hour; after the next interval only those land (Firehose keeps
   one checkpoint per shard).

Then it checks the lake against the inputs and the stream: the partitions are the events' hours,
the objects hold exactly what the transform answers for the valid events (PII gone), each event
once, the malformed records intact, and every record of the stream is in the lake, a dropped
copy, or under the error prefix. Locally, Firehose's own accounting of each drain is checked too.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from refarch.scenarios.observe import read_objects, report_stack_landed
from refarch.scenarios.target import Check, Target
from refarch.trace import brief, size

STREAM = "ClickstreamStream"
DELIVERY_STREAM = "FirehoseDeliveryStream"
TRANSFORM = "TransformFunction"
PRODUCER_ROLE = "ProducerRole"
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


#: Firehose invokes the transform with batches it buffers by the processor's
#: ``BufferIntervalInSeconds``, then sends the result to S3 "when the specified destination
#: buffering size or buffering interval is reached, whichever happens first"
#: (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html;
#: https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html). Both intervals are
#: read from ``DescribeDeliveryStream`` (the stack sets 60 s and 300 s). The scenario polls the
#: lake at the transform's interval and gives up after ``DELIVERY_TIMEOUT_INTERVALS``
#: destination intervals (dynamic partitioning buffers in stages, up to about 1.5 intervals:
#: https://docs.aws.amazon.com/firehose/latest/dev/buffering.html; a failed invocation is
#: retried first: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html).
DELIVERY_TIMEOUT_INTERVALS = 3
#: The API's default processor ``BufferIntervalInSeconds``
#: (https://docs.aws.amazon.com/firehose/latest/APIReference/API_ProcessorParameter.html).
DEFAULT_PROCESSOR_INTERVAL_SECONDS = 60


#: A bound on the GetRecords pages read per shard (the scenario writes 36 records in all).
MAX_PAGES_PER_SHARD = 100


@dataclass(frozen=True)
class StreamRecord:
    """One record of the stream as ``GetRecords`` returns it."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival_ms: int


@dataclass(frozen=True)
class DeliveryConfig:
    """What ``DescribeDeliveryStream`` says of the delivery stream."""

    arn: str
    source_stream_arn: str
    lambda_arn: str
    interval_seconds: int
    processor_interval_seconds: int


def describe_delivery(target: Target) -> DeliveryConfig:
    """Read the delivery stream's source, transform and buffering intervals from Firehose."""
    name = target.physical_id(DELIVERY_STREAM)
    firehose = target.client("firehose")
    described = firehose.describe_delivery_stream(DeliveryStreamName=name)
    description = described["DeliveryStreamDescription"]
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    parameters: dict[str, str] = {}
    for processor in destination.get("ProcessingConfiguration", {}).get("Processors", []):
        if processor.get("Type") == "Lambda":
            parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    source = description.get("Source", {}).get("KinesisStreamSourceDescription", {})
    return DeliveryConfig(
        arn=description["DeliveryStreamARN"],
        source_stream_arn=source.get("KinesisStreamARN", ""),
        lambda_arn=parameters.get("LambdaArn", ""),
        interval_seconds=int(destination["BufferingHints"]["IntervalInSeconds"]),
        processor_interval_seconds=int(
            parameters.get("BufferIntervalInSeconds", DEFAULT_PROCESSOR_INTERVAL_SECONDS)
        ),
    )


def stream_records(target: Target) -> list[StreamRecord]:
    """Every record of the stream (every shard, from the trim horizon), read by the caller."""
    kinesis = target.client("kinesis")
    stream = target.physical_id(STREAM)
    records: list[StreamRecord] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        pages = 0
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            for raw in page["Records"]:
                arrival = raw["ApproximateArrivalTimestamp"]
                records.append(
                    StreamRecord(
                        shard_id=shard["ShardId"],
                        sequence_number=raw["SequenceNumber"],
                        partition_key=raw["PartitionKey"],
                        data=raw["Data"],
                        arrival_ms=int(arrival.timestamp() * 1000),
                    )
                )
            # A page can be empty while records follow; MillisBehindLatest 0 is the shard's tip
            # (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html).
            caught_up = page.get("MillisBehindLatest", 0) == 0
            pages += 1
            iterator = (
                None if caught_up or pages >= MAX_PAGES_PER_SHARD else page.get("NextShardIterator")
            )
    return sorted(records, key=lambda r: (r.arrival_ms, r.shard_id, int(r.sequence_number)))


def transformation_event(records: list[StreamRecord], delivery: DeliveryConfig) -> dict[str, Any]:
    """The event Firehose sends the transform for records read from a Kinesis stream.

    Shape: https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html (the
    ``kinesisRecordMetadata`` of a Kinesis source).
    """
    return {
        "invocationId": "expected-output",
        "deliveryStreamArn": delivery.arn,
        "sourceKinesisStreamArn": delivery.source_stream_arn,
        "region": delivery.arn.split(":")[3],
        "records": [
            {
                "recordId": f"{record.shard_id}-{record.sequence_number}",
                "approximateArrivalTimestamp": record.arrival_ms,
                "data": base64.b64encode(record.data).decode(),
                "kinesisRecordMetadata": {
                    "shardId": record.shard_id,
                    "partitionKey": record.partition_key,
                    "approximateArrivalTimestamp": record.arrival_ms,
                    "sequenceNumber": record.sequence_number,
                    "subsequenceNumber": 0,
                },
            }
            for record in records
        ],
    }


def describe_transform_result(result: Any) -> str:
    """Show the transform's answer briefly: how many records of each result."""
    try:
        counts = Counter(r["result"] for r in result["records"])
    except (KeyError, TypeError):
        return brief(result)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no records"


def expected_lines(
    target: Target, records: list[StreamRecord], delivery: DeliveryConfig
) -> list[str]:
    """What the transform answers for the valid events alone (each once), as JSON Lines.

    The deployed function is invoked directly (``Invoke``) with a Firehose event of those
    records, with the arrival times they have in the stream (the transform stamps
    ``ingested_at`` from them).
    """
    valid = {p.data for p in (*FIRST_ROUND_VALID, *SECOND_ROUND)}
    firsts: dict[bytes, StreamRecord] = {}
    for record in records:
        if record.data in valid and record.data not in firsts:
            firsts[record.data] = record
    event = transformation_event(list(firsts.values()), delivery)
    function = target.physical_id(TRANSFORM)
    target.trace.line(f"→ Invoke (RequestResponse) {function} ({len(firsts)} records)")
    response = target.client("lambda").invoke(
        FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(event)
    )
    result = json.loads(response["Payload"].read() or b"null") or {"records": []}
    target.trace.line(f"← {describe_transform_result(result)}", 2)
    return sorted(
        base64.b64decode(r["data"]).decode().rstrip("\n")
        for r in result.get("records", [])
        if r.get("result") == "Ok"
    )


def _without_ingested_at(line: str) -> str:
    document = json.loads(line)
    document.pop("ingested_at", None)
    return json.dumps(document, sort_keys=True)


def _iso_millis(millis: int) -> str:
    """Epoch milliseconds as the transform writes ``ingested_at``: ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def _error_documents(stored: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for item in stored.values() for line in item.lines]


def _put_records(target: Target, kinesis: Any, role: str, batch: tuple[Produced, ...]) -> int:
    """``PutRecords`` one batch as the producer; return how many records the stream took."""
    stream = target.physical_id(STREAM)
    response = kinesis.put_records(
        StreamName=stream,
        Records=[{"PartitionKey": p.partition_key, "Data": p.data} for p in batch],
    )
    written = [r for r in response["Records"] if not r.get("ErrorCode")]
    shards = Counter(r["ShardId"] for r in written)
    spread = ", ".join(f"{shard}: {count}" for shard, count in sorted(shards.items()))
    total = sum(len(p.data) for p in batch)
    target.trace.line(
        f"→ PutRecords {stream} as {role}: {len(written)}/{len(batch)} records ({size(total)}) "
        f"in 1 call ({spread or 'no shard'})"
    )
    return len(written)


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``StreamToLake`` stack; return its checks."""
    trace = target.trace
    s3 = target.client("s3")
    lake = target.physical_id(LAKE)
    role = target.physical_id(PRODUCER_ROLE)
    role_arn = target.client("iam").get_role(RoleName=role)["Role"]["Arn"]
    delivery = describe_delivery(target)
    checks: list[Check] = []

    def landed() -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
        events = read_objects(s3, lake, EVENTS_PREFIX)
        lines = sorted(line for item in events.values() for line in item.lines)
        return events, lines, _error_documents(read_objects(s3, lake, FAILED_PREFIX))

    def wait_for(description: str, lines: int, failed: int) -> None:
        def arrived() -> bool:
            _, now_lines, documents = landed()
            return len(now_lines) >= lines and len(documents) >= failed

        target.wait_until(
            description,
            arrived,
            timeout=DELIVERY_TIMEOUT_INTERVALS * delivery.interval_seconds,
            interval=delivery.processor_interval_seconds,
        )

    trace.section("Run: a producer puts 30 clickstream records (3 copies, 3 malformed)")
    trace.line(f"→ AssumeRole {role} (the producer application's role)")
    kinesis = target.client_as(role_arn, "kinesis", session_name="refarch-producer")
    first = _put_records(target, kinesis, role, FIRST_ROUND)
    trace.section("Run: Firehose drains the stream through the transform into the lake")
    wait_for(
        f"{len(FIRST_ROUND_VALID)} events in the lake and {len(MALFORMED)} under {FAILED_PREFIX}",
        len(FIRST_ROUND_VALID),
        len(MALFORMED),
    )
    _, first_lines, first_documents = landed()

    trace.section("Run: six more events, an hour later; Firehose drains again")
    second = _put_records(target, kinesis, role, SECOND_ROUND)
    valid = (*FIRST_ROUND_VALID, *SECOND_ROUND)
    wait_for(f"{len(valid)} events in the lake", len(FIRST_ROUND_VALID) + len(SECOND_ROUND), 0)

    report_stack_landed(trace, s3, target.client("sqs"), target)
    produced = len(FIRST_ROUND) + len(SECOND_ROUND)
    checks.append(
        Check(
            f"producer: {produced} records written with PutRecords as {role}",
            first + second == produced,
            f"{first + second} written",
        )
    )
    first_ids = [json.loads(line).get("event_id") for line in first_lines]
    checks.append(
        Check(
            f"first delivery: {len(FIRST_ROUND)} records in = {len(FIRST_ROUND_VALID)} in the "
            f"lake + {len(DUPLICATES)} copies dropped + {len(MALFORMED)} under {FAILED_PREFIX}",
            sorted(first_ids) == sorted(json.loads(p.data)["event_id"] for p in FIRST_ROUND_VALID)
            and len(first_documents) == len(MALFORMED),
            f"{len(first_lines)} lines, {len(first_documents)} error records",
        )
    )
    events, lines, documents = landed()
    new_lines = sorted(set(lines) - set(first_lines))
    second_ids = sorted(json.loads(line).get("event_id") for line in new_lines)
    checks.append(
        Check(
            f"the second delivery holds only the {len(SECOND_ROUND)} new records (a checkpoint "
            "per shard)",
            second_ids == sorted(json.loads(p.data)["event_id"] for p in SECOND_ROUND)
            and len(lines) == len(valid)
            and len(documents) == len(first_documents),
            f"{len(new_lines)} new lines, {len(documents) - len(first_documents)} new errors",
        )
    )
    stack = target.local_only("Firehose's own accounting of each delivery is not observable")
    if stack is not None:
        drains = stack.firehose(DELIVERY_STREAM).reports
        checks.append(
            Check(
                "Firehose delivered twice; each delivery balanced: "
                + "; ".join(d.counts() for d in drains),
                len(drains) == 2
                and all(d.ok for d in drains)
                and drains[0].records_in == len(FIRST_ROUND)
                and (drains[0].delivered, drains[0].dropped, drains[0].failed)
                == (len(FIRST_ROUND_VALID), len(DUPLICATES), len(MALFORMED))
                and drains[1].records_in == drains[1].delivered == len(SECOND_ROUND),
                "; ".join(d.read_error or "" for d in drains).strip("; "),
            )
        )

    records = [json.loads(line) for line in lines]
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
    trace.section("Run: the transform is asked directly what the valid events become")
    in_stream = stream_records(target)
    valid_data = {p.data for p in valid}
    expected = expected_lines(target, in_stream, delivery)
    trace.line(
        f"(expected output: the transform invoked directly with the {len(valid)} valid events "
        "alone, at their arrival times)"
    )
    # Firehose passes the transform each record's approximateArrivalTimestamp, which the
    # transform stamps as ingested_at; for a Kinesis source it is Firehose's own reading of the
    # record's arrival, so live the scenario requires only that it is not before the stream's.
    arrivals: dict[str, int] = {}  # the first arrival of each event (a copy arrives later)
    for record in in_stream:
        if record.data in valid_data:
            arrivals.setdefault(json.loads(record.data)["event_id"], record.arrival_ms)
    stamps = [(record.get("event_id"), record.get("ingested_at", "")) for record in records]
    checks.append(
        Check(
            f"the lake holds exactly what the transform answers for the {len(valid)} valid "
            "events alone (ingested_at: not before the record reached the stream)",
            sorted(map(_without_ingested_at, lines)) == sorted(map(_without_ingested_at, expected))
            and len(expected) == len(valid)
            and all(
                event_id in arrivals and stamp >= _iso_millis(arrivals[event_id])
                for event_id, stamp in stamps
            ),
            f"{len(lines)} lines in the lake, {len(expected)} expected",
        )
    )
    if target.local_only("the arrival time Firehose passes the transform is not observable"):
        checks.append(
            Check(
                "locally the lines are byte for byte the transform's answer (Firehose passes "
                "the stream's arrival time)",
                lines == expected,
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
    raw = sorted(base64.b64decode(d["rawData"]) for d in documents)
    checks.append(
        Check(
            f"the {len(MALFORMED)} malformed records are under {FAILED_PREFIX} with their "
            "original bytes",
            raw == sorted(p.data for p in MALFORMED)
            and all(d.get("errorCode") == "Lambda.ProcessingFailedStatus" for d in documents)
            and all(d.get("lambdaArn") == delivery.lambda_arn for d in documents),
            ", ".join(sorted({d.get("errorCode", "?") for d in documents})),
        )
    )
    # A copy is a record whose data an earlier record of the stream already carried.
    seen: set[bytes] = set()
    copies = 0
    for record in in_stream:
        copies += record.data in seen
        seen.add(record.data)
    checks.append(
        Check(
            f"nothing lost: {len(in_stream)} records in the stream = {len(lines)} in the lake + "
            f"{copies} copies dropped + {len(documents)} in the error prefix",
            len(in_stream) == produced == len(lines) + copies + len(documents)
            and copies == len(DUPLICATES),
        )
    )
    return checks
