"""The clickstream transform's input corpus: every record of every batch ends in a stated result.

Each case sends one AWS-shaped Firehose batch (Kinesis Data Streams source) and states the result
of each record. For every case the contract holds (``assert_every_record_answered_once``): each
input recordId is answered exactly once, in order; a record not delivered carries its original
bytes (so the error output prefix keeps it intact); a delivered one is a JSON Lines record of
allow-listed fields with its partition keys. Every record not delivered is logged with its
recordId and the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from clickstream_transform_harness import (
    ClickstreamTransform,
    answered_line,
    assert_every_record_answered_once,
)
from firehose_batch import MAX_RECORD_BYTES, MalformedEventError
from firehose_events import ARRIVAL_MS, decoded_data, firehose_event, kinesis_record

_DELETE = object()
DAY_MS = 86_400_000


def click(**changes: Any) -> dict[str, Any]:
    """A valid clickstream event as a producer sends it, with fields changed or deleted."""
    event = {
        "event_id": "evt-1",
        "event_type": "page_view",
        "event_time": "2024-05-01T09:59:58.250Z",
        "user_id": "user-42",
        "session_id": "s-1",
        "page": "/home",
    }
    event.update(changes)
    return {name: value for name, value in event.items() if value is not _DELETE}


def user_key(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:32]


def batch(*payloads: Any) -> dict[str, Any]:
    """A batch with one record per payload, records 0, 1, ... of the shard."""
    return firehose_event(*(kinesis_record(payload, n) for n, payload in enumerate(payloads)))


@dataclass(frozen=True)
class Case:
    """One batch and the result of each of its records, in order.

    ``reasons``: for each record not delivered, in order, text its logged reason contains.
    ``check``: further assertions on the answer entries.
    """

    event: dict[str, Any]
    results: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    check: Callable[[list[dict[str, Any]]], None] | None = None


@dataclass(frozen=True)
class Raises:
    """The whole invocation raises: Firehose retries, then writes the batch to the error prefix."""

    event: Any
    error: type[BaseException] = MalformedEventError
    match: str = field(default="")


def _exact_single(entries: list[dict[str, Any]]) -> None:
    (entry,) = entries
    assert decoded_data(entry) == (
        b'{"event_id":"evt-1","event_time":"2024-05-01T09:59:58.250Z","event_type":"page_view",'
        b'"ingested_at":"2024-05-01T10:00:00.000Z","page":"/home","session_id":"s-1",'
        b'"user_key":"' + user_key("user-42").encode() + b'"}\n'
    )
    assert entry["metadata"] == {
        "partitionKeys": {"year": "2024", "month": "05", "day": "01", "hour": "09"}
    }


def _time_and_partition(event_time: str, partition: tuple[str, str, str, str]) -> Callable:
    def check(entries: list[dict[str, Any]]) -> None:
        (entry,) = entries
        assert answered_line(entry)["event_time"] == event_time
        keys = entry["metadata"]["partitionKeys"]
        assert (keys["year"], keys["month"], keys["day"], keys["hour"]) == partition

    return check


def _event_ids(*expected: str) -> Callable:
    def check(entries: list[dict[str, Any]]) -> None:
        delivered = [answered_line(e)["event_id"] for e in entries if e["result"] == "Ok"]
        assert delivered == list(expected)

    return check


def _fields_gone(*names: str, absent_text: tuple[str, ...] = ()) -> Callable:
    def check(entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            line = answered_line(entry)
            assert not set(names) & set(line), line
            for text in absent_text:
                assert text.encode() not in decoded_data(entry)

    return check


def _pseudonymised(entries: list[dict[str, Any]]) -> None:
    lines = [answered_line(entry) for entry in entries]
    assert [line["user_key"] for line in lines] == [
        user_key("user-42"),
        user_key("user-42"),
        user_key("user-7"),
    ]
    assert lines[0]["user_key"] != lines[2]["user_key"]
    for entry, line in zip(entries, lines, strict=True):
        assert "user_id" not in line
        assert b"user-42" not in decoded_data(entry) and b"user-7" not in decoded_data(entry)


def _json_lines(entries: list[dict[str, Any]]) -> None:
    # Firehose concatenates the answers into one S3 object: it must read as JSON Lines.
    body = b"".join(decoded_data(entry) for entry in entries)
    assert body.endswith(b"\n") and not body.endswith(b"\n\n")
    assert [json.loads(line)["event_id"] for line in body.splitlines()] == ["a", "b", "c"]


def _same_data_other_sequence(event: dict[str, Any]) -> dict[str, Any]:
    first, second = event["records"][0], event["records"][2]
    assert first["data"] == second["data"]
    assert (
        first["kinesisRecordMetadata"]["sequenceNumber"]
        != second["kinesisRecordMetadata"]["sequenceNumber"]
    )
    return event


CASES = [
    pytest.param(Case(batch(click()), ("Ok",), check=_exact_single), id="valid-single"),
    pytest.param(
        Case(
            batch(
                click(event_id="a", event_type="page_view"),
                click(event_id="b", event_type="click"),
                click(event_id="c", event_type="add_to_cart"),
                click(event_id="d", event_type="purchase"),
            ),
            ("Ok", "Ok", "Ok", "Ok"),
            check=_event_ids("a", "b", "c", "d"),
        ),
        id="valid-batch",
    ),
    pytest.param(
        Case(
            batch(click(event_id="a"), click(event_id="b"), click(event_id="a", page="/other")),
            ("Ok", "Ok", "Dropped"),
            reasons=("event_id already delivered in this batch",),
            check=_event_ids("a", "b"),
        ),
        id="duplicate-event-id-in-batch",
    ),
    pytest.param(
        # A producer retry writes identical data under a new sequence number:
        # https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-processor-duplicates.html
        Case(
            _same_data_other_sequence(
                batch(click(event_id="a"), click(event_id="b"), click(event_id="a"))
            ),
            ("Ok", "Ok", "Dropped"),
            reasons=("event_id already delivered",),
            check=_event_ids("a", "b"),
        ),
        id="producer-retry-different-sequence-numbers",
    ),
    pytest.param(
        Case(
            batch(click(event_id="a"), b'{"event_id": "b", "event_type": ', click(event_id="c")),
            ("Ok", "ProcessingFailed", "Ok"),
            reasons=("not JSON",),
        ),
        id="malformed-json-among-valid",
    ),
    pytest.param(
        Case(
            batch('{"event_id":"caf\xe9"}'.encode("latin-1")),
            ("ProcessingFailed",),
            reasons=("not UTF-8",),
        ),
        id="non-utf8-bytes",
    ),
    pytest.param(
        Case(
            firehose_event(kinesis_record(b"", data="not base64!"), kinesis_record(click(), 1)),
            ("ProcessingFailed", "Ok"),
            reasons=("not base64",),
        ),
        id="invalid-base64",
    ),
    pytest.param(
        Case(
            batch([click()]), ("ProcessingFailed",), reasons=("not a JSON object (got an array)",)
        ),
        id="json-array",
    ),
    pytest.param(
        Case(
            batch(b'"just a string"'),
            ("ProcessingFailed",),
            reasons=("not a JSON object (got a string)",),
        ),
        id="json-string",
    ),
    pytest.param(
        Case(
            batch(click(event_id=_DELETE)), ("ProcessingFailed",), reasons=("event_id is missing",)
        ),
        id="missing-event-id",
    ),
    pytest.param(
        Case(
            batch(click(event_id="x" * 129), click(event_id="   ")),
            ("ProcessingFailed", "ProcessingFailed"),
            reasons=("event_id longer than 128", "event_id is missing or empty"),
        ),
        id="event-id-too-long-or-blank",
    ),
    pytest.param(
        Case(
            batch(click(event_time=_DELETE)),
            ("ProcessingFailed",),
            reasons=("event_time is missing",),
        ),
        id="missing-event-time",
    ),
    pytest.param(
        Case(
            batch(
                click(event_time="01/05/2024 10:00"),
                click(event_time="2024-05-01"),
                click(event_time="2024-13-01T10:00:00Z"),
                click(event_time=True),
            ),
            ("ProcessingFailed",) * 4,
            reasons=(
                "not an ISO-8601 date and time (got a string)",
                "not an ISO-8601 date and time (got a string)",
                "not an ISO-8601 date and time (got a string)",
                "not an ISO-8601 string or epoch millis (got a boolean)",
            ),
        ),
        id="unparseable-event-time",
    ),
    pytest.param(
        Case(
            batch(click(event_time=1714557598250)),
            ("Ok",),
            check=_time_and_partition("2024-05-01T09:59:58.250Z", ("2024", "05", "01", "09")),
        ),
        id="epoch-millis-time",
    ),
    pytest.param(
        # 01:30 at +02:00 is the previous day in UTC: the partition moves to 2024-04-30, hour 23.
        Case(
            batch(click(event_time="2024-05-01T01:30:00+02:00")),
            ("Ok",),
            check=_time_and_partition("2024-04-30T23:30:00.000Z", ("2024", "04", "30", "23")),
        ),
        id="time-with-offset",
    ),
    pytest.param(
        Case(
            batch(click(event_time="2024-05-01 09:15:00.123456")),
            ("Ok",),
            check=_time_and_partition("2024-05-01T09:15:00.123Z", ("2024", "05", "01", "09")),
        ),
        id="naive-time",
    ),
    pytest.param(
        Case(
            batch(click(event_time=ARRIVAL_MS + DAY_MS + 1), click(event_time=ARRIVAL_MS + DAY_MS)),
            ("ProcessingFailed", "Ok"),
            reasons=("more than a day after the record arrived",),
        ),
        id="far-future-time",
    ),
    pytest.param(
        Case(
            batch(click(event_time="1999-12-31T23:59:59.999Z"), click(event_time=0)),
            ("ProcessingFailed", "ProcessingFailed"),
            reasons=("before 2000", "before 2000"),
        ),
        id="pre-2000-time",
    ),
    pytest.param(
        Case(
            batch(click(event_type="tap"), click(event_type="Click"), click(event_type=_DELETE)),
            ("ProcessingFailed",) * 3,
            reasons=(
                "event_type is not one of add_to_cart, click, page_view, purchase (got a string)",
                "event_type is not one of",
                "event_type is missing",
            ),
        ),
        id="unknown-event-type",
    ),
    pytest.param(
        Case(
            batch(click(event_id="big", padding="x" * MAX_RECORD_BYTES), click(event_id="small")),
            ("ProcessingFailed", "Ok"),
            reasons=(f"record larger than {MAX_RECORD_BYTES} bytes",),
        ),
        id="oversized-record",
    ),
    pytest.param(Case(batch(), ()), id="empty-batch"),
    pytest.param(
        Case(
            batch(
                click(ip_address="203.0.113.9", email="ana@example.com", user_agent="Mozilla/5.0")
            ),
            ("Ok",),
            check=_fields_gone(
                "ip_address",
                "email",
                "user_agent",
                absent_text=("203.0.113.9", "ana@example.com", "Mozilla"),
            ),
        ),
        id="pii-fields-removed",
    ),
    pytest.param(
        Case(
            batch(click(referrer="https://example.com/", screen={"w": 1920}, debug=None)),
            ("Ok",),
            check=_fields_gone("referrer", "screen", "debug", absent_text=("example.com",)),
        ),
        id="unknown-fields-removed",
    ),
    pytest.param(
        Case(
            batch(
                click(event_id="a", user_id="user-42"),
                click(event_id="b", user_id="user-42"),
                click(event_id="c", user_id="user-7"),
            ),
            ("Ok", "Ok", "Ok"),
            check=_pseudonymised,
        ),
        id="user-id-pseudonymised-deterministically",
    ),
    pytest.param(
        Case(
            batch(
                click(event_id="a"),
                click(event_id="b", page="/line\nbreak"),
                click(event_id="c"),
            ),
            ("Ok", "Ok", "Ok"),
            check=_json_lines,
        ),
        id="trailing-newline",
    ),
    pytest.param(
        Case(
            batch(click(event_time="2024-03-05T07:08:09Z")),
            ("Ok",),
            check=_time_and_partition("2024-03-05T07:08:09.000Z", ("2024", "03", "05", "07")),
        ),
        id="partition-keys-zero-padded",
    ),
    pytest.param(
        Case(
            batch(
                click(session_id=None, page=_DELETE),
                click(event_id="b", page=42),
                click(event_id="c", user_id=""),
                click(event_id="d", user_id=12345),
            ),
            ("Ok", "ProcessingFailed", "ProcessingFailed", "ProcessingFailed"),
            reasons=(
                "page is not a string (got a number)",
                "user_id is missing",
                "user_id is not a string (got a number)",
            ),
            check=_fields_gone("session_id", "page"),
        ),
        id="optional-and-user-fields",
    ),
    pytest.param(
        Case(
            batch(click(event_id=_DELETE, event_type="tap", event_time="soon", user_id=None)),
            ("ProcessingFailed",),
            reasons=("event_id is missing or empty; event_type is not one of",),
        ),
        id="every-broken-rule-reported",
    ),
    pytest.param(
        Case(
            batch(
                b'{"event_id":"a\\ud800","event_type":"click",'
                b'"event_time":"2024-05-01T09:00:00Z","user_id":"u"}'
            ),
            ("ProcessingFailed",),
            reasons=("lone surrogate",),
            # Valid JSON, but a lone surrogate has no UTF-8 form: the kept field can't be written.
        ),
        id="lone-surrogate",
    ),
    pytest.param(
        # An invalid first copy does not make the valid later one a duplicate.
        Case(
            batch(click(event_id="a", event_type="tap"), click(event_id="a")),
            ("ProcessingFailed", "Ok"),
            reasons=("event_type is not one of",),
        ),
        id="invalid-first-copy-then-valid",
    ),
    pytest.param(
        # A list or object is unhashable: testing it against the set of types once raised
        # TypeError and failed the whole batch.
        Case(
            batch(
                click(event_type=["click"]),
                click(event_type={"type": "click"}),
                click(event_id="ok"),
            ),
            ("ProcessingFailed", "ProcessingFailed", "Ok"),
            reasons=("event_type is not one of", "(got an object)"),
        ),
        id="event-type-unhashable",
    ),
    pytest.param(
        Case(
            batch(
                click(event_id=["evt-1"]),
                click(user_id={"id": 42}),
                click(event_time=["2024-05-01T09:00:00Z"]),
                click(session_id=[1], page={"path": "/"}),
            ),
            ("ProcessingFailed",) * 4,
            reasons=(
                "event_id is not a string (got an array)",
                "user_id is not a string (got an object)",
                "event_time is not an ISO-8601 string or epoch millis (got an array)",
                "page is not a string (got an object); session_id is not a string (got an array)",
            ),
        ),
        id="fields-of-the-wrong-json-type",
    ),
    pytest.param(
        Case(
            batch(b"null", b"42", b"true", b'"ana@example.com"'),
            ("ProcessingFailed",) * 4,
            reasons=(
                "not a JSON object (got null)",
                "not a JSON object (got a number)",
                "not a JSON object (got a boolean)",
                "not a JSON object (got a string)",
            ),
        ),
        id="json-null-number-boolean",
    ),
    pytest.param(
        # Personal data in a validated field: the reason names the field and type, not the value.
        Case(
            batch(
                click(event_type="ana@example.com"),
                click(event_time="ana@example.com"),
                click(user_id=["ana@example.com"], page=["ana@example.com"]),
            ),
            ("ProcessingFailed",) * 3,
            reasons=("(got a string)", "(got a string)", "(got an array)"),
        ),
        id="personal-data-in-a-failed-field",
    ),
    pytest.param(Raises({"detail": {}}, match="no records list"), id="not-a-firehose-event"),
    pytest.param(
        Raises({"Records": [{"eventSource": "aws:s3"}]}, match="no records list"),
        id="s3-event-instead",
    ),
]


# A raising invocation adds no metric, and Powertools warns about the empty flush.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@pytest.mark.parametrize("case", CASES)
def test_every_record_has_a_stated_result(
    clickstream_transform: ClickstreamTransform, case: Case | Raises
):
    if isinstance(case, Raises):
        with pytest.raises(case.error, match=case.match):
            clickstream_transform.invoke(case.event)
        return

    answer = clickstream_transform.invoke(case.event)

    entries = assert_every_record_answered_once(case.event, answer)
    assert tuple(entry["result"] for entry in entries) == case.results
    not_delivered = [entry for entry in entries if entry["result"] != "Ok"]
    assert len(case.reasons) == len(not_delivered)
    for entry, reason in zip(not_delivered, case.reasons, strict=True):
        (logged,) = clickstream_transform.logs_for(entry["recordId"])
        assert reason in logged["reason"], (reason, logged["reason"])
        assert logged["level"] == ("INFO" if entry["result"] == "Dropped" else "WARNING")
        assert logged["sequence_number"] and logged["shard_id"]
    # Reasons name fields and types: no producer value reaches the logs.
    assert "ana@example.com" not in clickstream_transform.log_stream.getvalue()
    if case.check:
        case.check([entry for entry in entries if entry["result"] == "Ok"])
