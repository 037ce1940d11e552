"""The stream scrubber against a hostile corpus, on moto's DynamoDB: every record ends written,
a duplicate, or reported in ``batchItemFailures``; no PII reaches the table."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from lambda_harness import FakeLambdaContext
from moto import mock_aws
from stream_consumer_harness import PII_FIELDS, TABLE_NAME, kinesis_event, load_handler


def _event(event_id: object = "e-1", **fields: object) -> bytes:
    return json.dumps({"event_id": event_id, **fields}).encode()


#: (case, data, expected outcome) — "written", "duplicate" or "failed".
CORPUS: list[tuple[str, bytes, str]] = [
    ("plain event", _event("c-01", event_type="click"), "written"),
    (
        "every PII field",
        _event(
            "c-02",
            email="a@b.c",
            phone="1",
            name="A",
            address="x",
            ip_address="10.0.0.1",
            date_of_birth="1990-01-01",
        ),
        "written",
    ),
    ("PII field names in another case", _event("c-03", Email="a@b.c", PHONE="1"), "written"),
    (
        "unicode values and keys",
        _event("c-04", city="Köln", note="😀 ∑", ключ="значение"),
        "written",
    ),
    ("unicode event id", _event("c-05-日本"), "written"),
    (
        "nested objects kept",
        _event("c-06", detail={"email_verified": True, "n": [1, 2]}),
        "written",
    ),
    ("unknown fields kept", _event("c-07", extra=None, flag=False, n=1.5), "written"),
    ("null bytes inside a string", _event("c-08", note="a\u0000b"), "written"),
    ("event id at the length limit", _event("c" * 256), "written"),
    ("duplicate of an earlier event", _event("c-01", event_type="click"), "duplicate"),
    ("same id, different body (producer bug)", _event("c-02", other=1), "duplicate"),
    ("out of order: an id seen later in the batch", _event("c-40"), "written"),
    ("not JSON", b"hello world", "failed"),
    ("empty data", b"", "failed"),
    ("not UTF-8", b"\xff\xfe\x00{", "failed"),
    ("JSON array", b"[1, 2, 3]", "failed"),
    ("JSON string", b'"evt"', "failed"),
    ("JSON null", b"null", "failed"),
    ("truncated JSON", b'{"event_id": "c-9', "failed"),
    ("no event id", json.dumps({"event_type": "click"}).encode(), "failed"),
    ("numeric event id", _event(42), "failed"),
    ("null event id", _event(None), "failed"),
    ("empty event id", _event(""), "failed"),
    ("blank event id", _event("   "), "failed"),
    ("event id over the limit", _event("x" * 257), "failed"),
    ("event type not a string", _event("c-41", event_type=["a"]), "failed"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, "failed"),
    ("oversized body", _event("c-42", blob="x" * (400 * 1024)), "failed"),
    ("duplicate key in the JSON object", b'{"event_id": "c-43", "event_id": "c-44"}', "written"),
    ("later record after failures still processed", _event("c-45"), "written"),
]


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The scrubber with its table on moto."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "stream-consumer")
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    monkeypatch.setenv("PII_FIELDS", PII_FIELDS)
    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=TABLE_NAME,
            KeySchema=[{"AttributeName": "event_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "event_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        module = load_handler()
        module.table.cache_clear()
        module.pii_fields.cache_clear()
        yield module
        module.table.cache_clear()
        module.pii_fields.cache_clear()


def _items() -> dict[str, dict]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE_NAME)
    return {i["event_id"]: i for i in table.scan()["Items"]}


def test_the_corpus_has_at_least_25_cases_of_each_kind():
    assert len(CORPUS) >= 25
    assert {outcome for _, _, outcome in CORPUS} == {"written", "duplicate", "failed"}


def test_every_record_of_the_corpus_has_its_outcome_in_one_batch(handler):
    event = kinesis_event(data for _, data, _ in CORPUS)
    response = handler.lambda_handler(event, FakeLambdaContext())

    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    items = _items()
    for record, (case, data, outcome) in zip(event["Records"], CORPUS, strict=True):
        sequence = record["kinesis"]["sequenceNumber"]
        assert (sequence in failed) == (outcome == "failed"), case
        if outcome == "written":
            body = json.loads(data)
            item = items[body["event_id"]]
            assert item["source_sequence"] == sequence, case
    # Nothing lost, nothing invented: each record is written, a duplicate, or failed.
    written = sum(1 for *_, o in CORPUS if o == "written")
    assert len(items) == written
    assert len(failed) == sum(1 for *_, o in CORPUS if o == "failed")


def test_no_pii_field_reaches_the_table_in_any_case(handler):
    handler.lambda_handler(kinesis_event(data for _, data, _ in CORPUS), FakeLambdaContext())
    pii = set(PII_FIELDS.split(","))
    for item in _items().values():
        assert not {k.lower() for k in json.loads(item["body"])} & pii


def test_a_redelivered_batch_writes_nothing_new(handler):
    event = kinesis_event(data for _, data, _ in CORPUS)
    handler.lambda_handler(event, FakeLambdaContext())
    before = _items()
    again = handler.lambda_handler(event, FakeLambdaContext())
    assert _items() == before
    assert len(again["batchItemFailures"]) == sum(1 for *_, o in CORPUS if o == "failed")


def test_a_table_failure_is_reported_for_retry_not_swallowed(handler, monkeypatch):
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=TABLE_NAME)
    handler.table.cache_clear()
    event = kinesis_event([_event("t-1"), _event("t-2")])
    response = handler.lambda_handler(event, FakeLambdaContext())
    assert len(response["batchItemFailures"]) == 2
