"""The clickstream transform handler: metrics, logs, malformed events, retries, the 6 MB answer."""

from __future__ import annotations

import copy
import json

import pytest
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent
from clickstream_transform_harness import (
    ClickstreamTransform,
    answered_line,
    assert_every_record_answered_once,
)
from firehose_batch import MAX_RESPONSE_BYTES, MalformedEventError, response_size_bound
from firehose_events import (
    ARRIVAL_MS,
    SOURCE_STREAM_ARN,
    firehose_event,
    firehose_event_of,
    kinesis_record,
    sequence_number,
)
from lambda_harness import emf_documents

NO_METRICS = "ignore:No application metrics to publish"  # a raising invocation counts nothing


def click(event_id: str, **changes) -> dict:
    return {
        "event_id": event_id,
        "event_type": "click",
        "event_time": "2024-05-01T09:00:00Z",
        "user_id": "user-1",
        **changes,
    }


def test_builder_events_read_as_powertools_kinesis_firehose_events():
    event = firehose_event(kinesis_record(click("a"), 3, partition_key="user-9"))
    parsed = KinesisFirehoseEvent(event)
    assert parsed.source_kinesis_stream_arn == SOURCE_STREAM_ARN
    assert parsed.invocation_id == "invocation-1"
    (record,) = parsed.records
    assert record.record_id.startswith(sequence_number(3))
    assert record.approximate_arrival_timestamp == ARRIVAL_MS
    assert record.metadata is not None
    assert record.metadata.sequence_number == sequence_number(3)
    assert record.metadata.partition_key == "user-9"
    assert json.loads(record.data_as_text) == click("a")


def test_metrics_count_each_result(clickstream_transform: ClickstreamTransform, capsys):
    event = firehose_event_of(click("a"), click("b"), click("a"), b"oops", [1])
    capsys.readouterr()
    clickstream_transform.invoke(event)
    emf = emf_documents(capsys.readouterr().out)
    assert len(emf) == 1
    (directive,) = emf[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "refarch-test"
    counts = {name: sum(emf[0][name]) for name in ("RecordsOk", "RecordsDropped", "RecordsFailed")}
    assert counts == {"RecordsOk": 2, "RecordsDropped": 1, "RecordsFailed": 2}


def test_duplicate_is_logged_with_both_record_ids_and_the_event_id(
    clickstream_transform: ClickstreamTransform,
):
    event = firehose_event_of(click("a"), click("a"))
    answer = clickstream_transform.invoke(event)
    first, retry = assert_every_record_answered_once(event, answer)
    (logged,) = clickstream_transform.logs_for(retry["recordId"])
    assert logged["message"] == "duplicate dropped"
    assert logged["event_id"] == "a"
    assert logged["first_record_id"] == first["recordId"]
    assert logged["sequence_number"] == sequence_number(1)
    assert logged["service"] == "clickstream-transform"
    assert logged["function_request_id"] == clickstream_transform.context.aws_request_id
    assert clickstream_transform.logs_for(first["recordId"]) == []  # Ok records are not logged


def test_batch_summary_is_logged(clickstream_transform: ClickstreamTransform):
    event = firehose_event_of(click("a"), b"{")
    clickstream_transform.invoke(event)
    (summary,) = [e for e in clickstream_transform.logs() if e["message"] == "batch transformed"]
    assert summary["invocation_id"] == "invocation-1"
    assert summary["source_kinesis_stream_arn"] == SOURCE_STREAM_ARN
    assert (summary["records"], summary["ok"], summary["dropped"], summary["failed"]) == (
        2,
        1,
        0,
        1,
    )


def test_ingested_at_is_each_records_arrival_time(clickstream_transform: ClickstreamTransform):
    event = firehose_event(
        kinesis_record(click("a"), 0, arrival_ms=ARRIVAL_MS),
        kinesis_record(click("b"), 1, arrival_ms=ARRIVAL_MS + 1_234),
    )
    entries = assert_every_record_answered_once(event, clickstream_transform.invoke(event))
    assert [answered_line(entry)["ingested_at"] for entry in entries] == [
        "2024-05-01T10:00:00.000Z",
        "2024-05-01T10:00:01.234Z",
    ]


def test_a_retried_batch_gets_the_identical_answer(clickstream_transform: ClickstreamTransform):
    # Firehose re-sends a batch whose invocation failed: the lake must get the same bytes again.
    event = firehose_event_of(click("a", page="/é"), click("b"), click("a"), b"bad")
    first = clickstream_transform.invoke(copy.deepcopy(event))
    second = clickstream_transform.invoke(copy.deepcopy(event))
    assert first == second
    assert_every_record_answered_once(event, first)


def _without(key: str) -> dict:
    record = kinesis_record(click("a"))
    del record[key]
    return firehose_event(record)


def _with(key: str, value) -> dict:
    record = kinesis_record(click("a"))
    record[key] = value
    return firehose_event(record)


@pytest.mark.filterwarnings(NO_METRICS)
@pytest.mark.parametrize(
    ("event", "match"),
    [
        pytest.param(None, "no records list", id="none"),
        pytest.param([], "no records list", id="a-list"),
        pytest.param({"records": "abc"}, "no records list", id="records-not-a-list"),
        pytest.param({"records": ["abc"]}, r"records\[0\] is not an object", id="record-not-dict"),
        pytest.param(_without("recordId"), "has no recordId", id="no-record-id"),
        pytest.param(_with("recordId", ""), "has no recordId", id="empty-record-id"),
        pytest.param(_without("data"), "has no base64 data", id="no-data"),
        pytest.param(_with("data", None), "has no base64 data", id="null-data"),
        pytest.param(
            _without("approximateArrivalTimestamp"), "approximateArrivalTimestamp", id="no-arrival"
        ),
        pytest.param(
            _with("approximateArrivalTimestamp", "2024-05-01T10:00:00Z"),
            "approximateArrivalTimestamp",
            id="arrival-not-millis",
        ),
        pytest.param(
            _with("approximateArrivalTimestamp", 10**20),
            "approximateArrivalTimestamp",
            id="arrival-beyond-year-9999",
        ),
        pytest.param(
            firehose_event(kinesis_record(click("a")), kinesis_record(click("b"))),
            "repeats recordId",
            id="repeated-record-id",
        ),
    ],
)
def test_an_event_firehose_would_never_send_raises(
    clickstream_transform: ClickstreamTransform, event, match
):
    with pytest.raises(MalformedEventError, match=match):
        clickstream_transform.invoke(event)


def test_empty_batch_gets_an_empty_answer(clickstream_transform: ClickstreamTransform):
    assert clickstream_transform.invoke(firehose_event()) == {"records": []}


# The smallest valid event grows the most (click_event.MAX_LINE_GROWTH_BYTES): the worst case for
# the answer's size.
TINY = b'{"event_id":"a","event_type":"click","event_time":1714550400000,"user_id":"u"}'


def test_answer_entry_is_smaller_than_the_request_entry_even_for_the_worst_growth(
    clickstream_transform: ClickstreamTransform,
):
    event = firehose_event_of(TINY)
    answer = clickstream_transform.invoke(event)
    (entry,) = assert_every_record_answered_once(event, answer)
    assert entry["result"] == "Ok"
    assert len(json.dumps(entry)) < len(json.dumps(event["records"][0]))


def test_a_full_batch_of_worst_case_records_answers_within_6_mb(
    clickstream_transform: ClickstreamTransform,
):
    # As many tiny records as a 6 MB request holds: each grows the most, and still fits.
    records, request_size = [], len(json.dumps(firehose_event()))
    while True:
        record = kinesis_record(TINY.replace(b'"a"', b'"%d"' % len(records)), len(records))
        request_size += len(json.dumps(record)) + 2
        if request_size > MAX_RESPONSE_BYTES:
            break
        records.append(record)
    event = firehose_event(*records)
    request_size = len(json.dumps(event))
    assert MAX_RESPONSE_BYTES - 1000 < request_size <= MAX_RESPONSE_BYTES
    answer = clickstream_transform.invoke(event)
    entries = assert_every_record_answered_once(event, answer)
    assert {entry["result"] for entry in entries} == {"Ok"}
    answer_size = len(json.dumps(answer))
    assert answer_size <= response_size_bound(entries) <= request_size


@pytest.mark.filterwarnings(NO_METRICS)
def test_an_answer_over_the_limit_returns_every_record_unchanged(
    clickstream_transform: ClickstreamTransform, monkeypatch
):
    event = firehose_event_of(click("a"), click("b"), click("a"), b"bad")
    normal = clickstream_transform.invoke(event)
    monkeypatch.setattr(
        clickstream_transform.handler,
        "MAX_RESPONSE_BYTES",
        response_size_bound(normal["records"]) - 1,
    )
    answer = clickstream_transform.invoke(event)
    entries = assert_every_record_answered_once(event, answer)
    assert [entry["result"] for entry in entries] == [
        "ProcessingFailed",
        "ProcessingFailed",
        "Dropped",
        "ProcessingFailed",
    ]
    for record, entry in zip(event["records"], entries, strict=True):
        assert entry["data"] == record["data"]
    assert len(json.dumps(answer)) < len(json.dumps(event))
    (error,) = [e for e in clickstream_transform.logs() if e["level"] == "ERROR"]
    assert "answer too large" in error["message"]
