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
from firehose_batch import (
    MAX_RESPONSE_BYTES,
    BatchTooLargeToAnswerError,
    MalformedEventError,
    response_size_bound,
)
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
    return firehose_event(record, kinesis_record(click("b"), 1))


def _with(key: str, value) -> dict:
    record = kinesis_record(click("a"))
    record[key] = value
    return firehose_event(record, kinesis_record(click("b"), 1))


def _with_metadata(key: str, value) -> dict:
    record = kinesis_record(click("a"))
    record["kinesisRecordMetadata"][key] = value
    return firehose_event(record, kinesis_record(click("b"), 1))


@pytest.mark.filterwarnings(NO_METRICS)
@pytest.mark.parametrize(
    "event",
    [
        pytest.param(None, id="none"),
        pytest.param([], id="a-list"),
        pytest.param("records", id="a-string"),
        pytest.param({"records": "abc"}, id="records-not-a-list"),
        pytest.param({"records": {"0": {}}}, id="records-an-object"),
        pytest.param({"Records": []}, id="records-misspelt"),
    ],
)
def test_only_an_event_without_a_records_list_raises(
    clickstream_transform: ClickstreamTransform, event
):
    with pytest.raises(MalformedEventError, match="no records list"):
        clickstream_transform.invoke(event)


# Records Firehose would never send: each fails alone, in its place; the valid record after it
# (record 1) is still delivered. The reason names the field and its JSON type.
@pytest.mark.parametrize(
    ("event", "reason"),
    [
        pytest.param(
            firehose_event("abc", kinesis_record(click("b"), 1)),
            "record is not an object (got a string)",
            id="record-a-string",
        ),
        pytest.param(
            firehose_event(None, kinesis_record(click("b"), 1)),
            "record is not an object (got null)",
            id="record-null",
        ),
        pytest.param(
            _without("recordId"), "recordId is not a non-empty string (got null)", id="no-record-id"
        ),
        pytest.param(
            _with("recordId", ""), "recordId is not a non-empty string", id="empty-record-id"
        ),
        pytest.param(
            _with("recordId", 7),
            "recordId is not a non-empty string (got a number)",
            id="numeric-record-id",
        ),
        pytest.param(
            _with("recordId", ["a"]),
            "recordId is not a non-empty string (got an array)",
            id="list-record-id",
        ),
        pytest.param(_without("data"), "data is not a base64 string (got null)", id="no-data"),
        pytest.param(_with("data", None), "data is not a base64 string (got null)", id="null-data"),
        pytest.param(
            _with("data", {"a": 1}), "data is not a base64 string (got an object)", id="object-data"
        ),
        pytest.param(
            _without("approximateArrivalTimestamp"), "approximateArrivalTimestamp", id="no-arrival"
        ),
        pytest.param(
            _with("approximateArrivalTimestamp", "2024-05-01T10:00:00Z"),
            "approximateArrivalTimestamp is not epoch milliseconds before year 9999 (got a string)",
            id="arrival-not-millis",
        ),
        pytest.param(
            _with("approximateArrivalTimestamp", 10**20),
            "approximateArrivalTimestamp",
            id="arrival-beyond-year-9999",
        ),
        pytest.param(
            _with("approximateArrivalTimestamp", True), "(got a boolean)", id="arrival-bool"
        ),
        pytest.param(
            _with("approximateArrivalTimestamp", float(ARRIVAL_MS)),
            "(got a number)",
            id="arrival-float",
        ),
        pytest.param(
            _with("kinesisRecordMetadata", "shardId-0"),
            "kinesisRecordMetadata is not an object (got a string)",
            id="metadata-a-string",
        ),
        pytest.param(
            _with("kinesisRecordMetadata", [1]),
            "kinesisRecordMetadata is not an object (got an array)",
            id="metadata-a-list",
        ),
        pytest.param(
            _with_metadata("shardId", {"id": 0}),
            "kinesisRecordMetadata.shardId is not a string (got an object)",
            id="metadata-shard-id-object",
        ),
        pytest.param(
            _with_metadata(
                "sequenceNumber", 49546986683135544286507457936321625675700192471156785154
            ),
            "kinesisRecordMetadata.sequenceNumber is not a string (got a number)",
            id="metadata-sequence-number-number",
        ),
        pytest.param(
            _with_metadata("partitionKey", ["user-1"]),
            "kinesisRecordMetadata.partitionKey is not a string (got an array)",
            id="metadata-partition-key-list",
        ),
    ],
)
def test_a_record_firehose_would_never_send_fails_alone(
    clickstream_transform: ClickstreamTransform, event, reason
):
    answer = clickstream_transform.invoke(event)
    entries = assert_every_record_answered_once(event, answer)
    assert [entry["result"] for entry in entries] == ["ProcessingFailed", "Ok"]
    (logged,) = [
        line for line in clickstream_transform.logs() if line["message"] == "record failed"
    ]
    assert reason in logged["reason"], logged
    assert logged["record_index"] == 0 and logged["level"] == "WARNING"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param(
            "approximateArrivalTimestamp", "2012-04-23T18:25:43.511Z", id="arrival-a-string"
        ),
        pytest.param("subsequenceNumber", "", id="subsequence-a-string"),
        pytest.param("subsequenceNumber", None, id="subsequence-null"),
        pytest.param("shardId", None, id="shard-id-null"),
    ],
)
def test_metadata_fields_the_transform_never_reads_do_not_fail_the_record(
    clickstream_transform: ClickstreamTransform, key, value
):
    # Published sample events disagree on these types; the transform does not use them.
    event = _with_metadata(key, value)
    entries = assert_every_record_answered_once(event, clickstream_transform.invoke(event))
    assert [entry["result"] for entry in entries] == ["Ok", "Ok"]


def test_metadata_may_be_null_or_absent(clickstream_transform: ClickstreamTransform):
    event = firehose_event(kinesis_record(click("a")), kinesis_record(click("b"), 1))
    event["records"][0]["kinesisRecordMetadata"] = None
    del event["records"][1]["kinesisRecordMetadata"]
    entries = assert_every_record_answered_once(event, clickstream_transform.invoke(event))
    assert [entry["result"] for entry in entries] == ["Ok", "Ok"]


def test_records_sharing_a_record_id_all_fail(clickstream_transform: ClickstreamTransform):
    first, second = kinesis_record(click("a")), kinesis_record(click("b"))
    event = firehose_event(first, kinesis_record(click("c"), 1), second)
    assert first["recordId"] == second["recordId"]
    entries = assert_every_record_answered_once(event, clickstream_transform.invoke(event))
    assert [entry["result"] for entry in entries] == ["ProcessingFailed", "Ok", "ProcessingFailed"]
    failed = [line for line in clickstream_transform.logs() if line["message"] == "record failed"]
    assert [line["record_index"] for line in failed] == [0, 2]
    assert all("recordId repeated in this batch" in line["reason"] for line in failed)


def test_a_record_without_a_record_id_keeps_its_place_and_its_data(
    clickstream_transform: ClickstreamTransform,
):
    nameless = kinesis_record(click("a"))
    del nameless["recordId"]
    event = firehose_event(7, nameless, kinesis_record(click("b"), 1))
    answer = clickstream_transform.invoke(event)
    assert answer["records"][:2] == [
        {"result": "ProcessingFailed"},
        {"result": "ProcessingFailed", "data": nameless["data"]},
    ]
    assert_every_record_answered_once(event, answer)


def test_wrongly_typed_envelope_fields_are_named_not_logged(
    clickstream_transform: ClickstreamTransform,
):
    event = firehose_event(kinesis_record(click("a")))
    event.update(invocationId=["ana@example.com"], region={"r": 1}, deliveryStreamArn="x" * 10_000)
    entries = assert_every_record_answered_once(event, clickstream_transform.invoke(event))
    assert [entry["result"] for entry in entries] == ["Ok"]
    (summary,) = [e for e in clickstream_transform.logs() if e["message"] == "batch transformed"]
    assert "invocation_id" not in summary and "region" not in summary  # None is left out
    assert len(summary["delivery_stream_arn"]) == 128
    assert summary["envelope_problems"] == [
        "invocationId is not a string (got an array)",
        "region is not a string (got an object)",
    ]
    assert "ana@example.com" not in clickstream_transform.log_stream.getvalue()


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


@pytest.mark.filterwarnings(NO_METRICS)
def test_records_too_bare_to_answer_within_the_limit_raise(
    clickstream_transform: ClickstreamTransform, monkeypatch
):
    # Records without the fields every Firehose record carries: even their unchanged answer
    # ({"result": "ProcessingFailed"} each) is larger than they are. Lambda would refuse it.
    event = {"records": [{}] * 100}
    monkeypatch.setattr(clickstream_transform.handler, "MAX_RESPONSE_BYTES", 2_000)
    with pytest.raises(BatchTooLargeToAnswerError, match="even unchanged"):
        clickstream_transform.invoke(event)


def test_the_size_bound_counts_record_ids_json_escapes(clickstream_transform: ClickstreamTransform):
    record = kinesis_record(click("a"))
    record["recordId"] = 'é"\\n' * 50
    event = firehose_event(record)
    answer = clickstream_transform.invoke(event)
    (entry,) = assert_every_record_answered_once(event, answer)
    assert entry["result"] == "Ok"
    assert len(json.dumps(answer)) <= response_size_bound(answer["records"])


def test_logged_record_ids_are_cut_short(clickstream_transform: ClickstreamTransform):
    first, retry = kinesis_record(click("a")), kinesis_record(click("a"), 1)
    first["recordId"], retry["recordId"] = "1" * 5000, "2" * 5000
    event = firehose_event(first, retry)
    entries = assert_every_record_answered_once(event, clickstream_transform.invoke(event))
    assert [entry["result"] for entry in entries] == ["Ok", "Dropped"]
    (logged,) = [e for e in clickstream_transform.logs() if e["message"] == "duplicate dropped"]
    assert logged["record_id"] == "2" * 125 + "..."
    assert logged["first_record_id"] == "1" * 125 + "..."
