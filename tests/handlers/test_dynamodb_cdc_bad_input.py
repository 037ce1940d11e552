"""The change consumer against a hostile corpus, on moto: every record ends applied, a duplicate,
or reported in ``batchItemFailures`` with everything after it; totals and log stay exact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from dynamodb_cdc_harness import (
    CHANGE_LOG_BUCKET,
    TOTALS_TABLE,
    load_handler,
    order,
    stream_record,
)
from lambda_harness import FakeLambdaContext
from moto import mock_aws

#: (case, record, expected outcome of the record alone on fresh tables).
CORPUS = [
    ("insert", stream_record(1, order("o-1")), "applied"),
    ("update of the amount", stream_record(2, order("o-1", amount="12"), order("o-1")), "applied"),
    ("move to another customer", stream_record(3, order("o-1", "c-2"), order("o-1")), "applied"),
    ("decimal amount", stream_record(4, order("o-2", amount="19.99")), "applied"),
    ("negative amount (a refund)", stream_record(5, order("o-3", amount="-5")), "applied"),
    ("huge amount", stream_record(6, order("o-4", amount="1E+30")), "applied"),
    ("unicode customer", stream_record(7, order("o-5", "Müller-😀")), "applied"),
    ("unicode order id", stream_record(8, order("o-6-日本")), "applied"),
    (
        "extra attributes kept",
        stream_record(9, {**order("o-7"), "tags": {"SS": ["a", "b"]}}),
        "applied",
    ),
    (
        "binary attribute",
        stream_record(10, {**order("o-8"), "blob": {"B": b"\x00\x01"}}),
        "applied",
    ),
    (
        "nested map",
        stream_record(11, {**order("o-9"), "m": {"M": {"x": {"L": [{"N": "1"}]}}}}),
        "applied",
    ),
    ("another day", stream_record(12, order("o-10"), created=1767261600 + 86400), "applied"),
    (
        "no new image (a delete)",
        stream_record(13, None, order("o-11"), event_name="REMOVE"),
        "failed",
    ),
    ("no customer", stream_record(14, order("o-12", customer=None)), "failed"),
    ("numeric customer", stream_record(15, order("o-13", customer={"N": "7"})), "failed"),
    ("empty customer", stream_record(16, order("o-14", customer="")), "failed"),
    ("no amount", stream_record(17, order("o-15", amount=None)), "failed"),
    ("amount as a string", stream_record(18, order("o-16", amount={"S": "10"})), "failed"),
    ("amount not a number", stream_record(19, order("o-17", amount={"N": "ten"})), "failed"),
    (
        "old image without amount",
        stream_record(20, order("o-18"), order("o-18", amount=None)),
        "failed",
    ),
    (
        "image not a map",
        {**stream_record(21, order("o-19")), "dynamodb": {"NewImage": "x"}},
        "failed",
    ),
    ("unknown type tag", stream_record(22, {**order("o-20"), "x": {"ZZ": "1"}}), "failed"),
    ("no dynamodb section", {"eventID": "e", "eventName": "INSERT"}, "failed"),
    (
        "key without order_id",
        {
            **stream_record(23, order("o-21")),
            "dynamodb": {
                **stream_record(23, order("o-21"))["dynamodb"],
                "Keys": {"id": {"S": "x"}},
            },
        },
        "failed",
    ),
    ("numeric order id", stream_record(24, {**order("o-22"), "order_id": {"N": "1"}}), "failed"),
]


def _with_keys(record: dict, **keys: dict) -> dict:
    return {
        **record,
        "dynamodb": {**record["dynamodb"], "Keys": {**record["dynamodb"]["Keys"], **keys}},
    }


# Numbers DynamoDB cannot store: finite, at most 38 digits, 1E-130 to 9.99...E+125 in magnitude
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number).
# A record holding one, in any attribute of either image or in the key, did not come from
# DynamoDB: it is poison. The documented bounds themselves are numbers.
CORPUS += [
    ("NaN in another attribute", stream_record(40, {**order("o-40"), "x": {"N": "NaN"}}), "failed"),
    (
        "sNaN in another attribute",
        stream_record(41, {**order("o-41"), "x": {"N": "sNaN"}}),
        "failed",
    ),
    (
        "Infinity in another attribute",
        stream_record(42, {**order("o-42"), "x": {"N": "Infinity"}}),
        "failed",
    ),
    (
        "-Infinity in a nested list",
        stream_record(43, {**order("o-43"), "m": {"M": {"x": {"L": [{"N": "-Infinity"}]}}}}),
        "failed",
    ),
    (
        "NaN in a number set",
        stream_record(44, {**order("o-44"), "s": {"NS": ["1", "NaN"]}}),
        "failed",
    ),
    ("1e126: out of range", stream_record(45, {**order("o-45"), "x": {"N": "1e126"}}), "failed"),
    (
        "1E-131: below the range",
        stream_record(46, {**order("o-46"), "x": {"N": "1E-131"}}),
        "failed",
    ),
    ("39 significant digits", stream_record(47, {**order("o-47"), "x": {"N": "1" * 39}}), "failed"),
    ("NaN amount", stream_record(48, order("o-48", amount="NaN")), "failed"),
    ("Infinity amount", stream_record(49, order("o-49", amount="Infinity")), "failed"),
    ("1e126 amount", stream_record(50, order("o-50", amount="1e126")), "failed"),
    (
        "NaN in the old image",
        stream_record(51, order("o-51"), {**order("o-51"), "x": {"N": "NaN"}}),
        "failed",
    ),
    (
        "-Infinity old amount",
        stream_record(52, order("o-52"), order("o-52", amount="-Infinity")),
        "failed",
    ),
    ("sNaN old amount", stream_record(53, order("o-53"), order("o-53", amount="sNaN")), "failed"),
    ("NaN key", _with_keys(stream_record(54, order("o-54")), order_id={"N": "NaN"}), "failed"),
    (
        "Infinity in a key attribute",
        _with_keys(stream_record(55, order("o-55")), sk={"N": "Infinity"}),
        "failed",
    ),
    (
        "lone surrogate (not UTF-8)",
        stream_record(56, {**order("o-56"), "x": {"S": "caf\ud800"}}),
        "failed",
    ),
    (
        "the largest number",
        stream_record(
            57, {**order("o-57"), "x": {"N": "9.9999999999999999999999999999999999999E+125"}}
        ),
        "applied",
    ),
    ("the smallest number", stream_record(58, {**order("o-58"), "x": {"N": "-1E-130"}}), "applied"),
    (
        "38 significant digits",
        stream_record(59, {**order("o-59"), "x": {"N": "9" * 38}}),
        "applied",
    ),
]

# A change's time names its log partition (a UTC day): one without a day is poison too.
CORPUS += [
    ("creation time not a number", stream_record(60, order("o-60"), created="soon"), "failed"),
    ("creation time past year 9999", stream_record(61, order("o-61"), created=10**15), "failed"),
    ("creation time infinite", stream_record(62, order("o-62"), created=float("inf")), "failed"),
]


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The consumer with its aggregate table and change-log bucket on moto."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "dynamodb-cdc")
    monkeypatch.setenv("TOTALS_TABLE", TOTALS_TABLE)
    monkeypatch.setenv("CHANGE_LOG_BUCKET", CHANGE_LOG_BUCKET)
    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=TOTALS_TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=CHANGE_LOG_BUCKET)
        module = load_handler()
        module.dynamodb_client.cache_clear()
        module.s3_client.cache_clear()
        yield module
        module.dynamodb_client.cache_clear()
        module.s3_client.cache_clear()


def _totals() -> dict[str, tuple[int, Decimal]]:
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=TOTALS_TABLE)["Items"]
    return {
        i["pk"]["S"]: (int(i["order_count"]["N"]), Decimal(i["total_amount"]["N"]))
        for i in items
        if i["pk"]["S"].startswith("customer#")
    }


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _log_lines() -> list[dict]:
    s3 = boto3.client("s3", region_name="us-east-1")
    lines = []
    for item in s3.list_objects_v2(Bucket=CHANGE_LOG_BUCKET).get("Contents", []):
        body = s3.get_object(Bucket=CHANGE_LOG_BUCKET, Key=item["Key"])["Body"].read()
        lines.extend(json.loads(line, parse_constant=_no_constant) for line in body.splitlines())
    return lines


def test_the_corpus_has_at_least_25_cases():
    assert len(CORPUS) >= 25


@pytest.mark.parametrize(("case", "record", "outcome"), CORPUS, ids=[c[0] for c in CORPUS])
def test_each_record_alone_has_its_outcome(handler, case, record, outcome, monkeypatch):
    poison: list[dict] = []
    monkeypatch.setattr(handler.logger, "warning", lambda msg, extra: poison.append(extra))
    response = handler.lambda_handler({"Records": [record]}, FakeLambdaContext())
    failed = response["batchItemFailures"]
    lines = _log_lines()
    if outcome == "failed":
        assert failed == [{"itemIdentifier": record.get("dynamodb", {}).get("SequenceNumber")}]
        assert not lines and not _totals()
        # Refused as poison, with its reason: not an error of the consumer or of AWS.
        assert len(poison) == 1 and poison[0]["reason"]
    else:
        assert failed == []
        assert [line["eventID"] for line in lines] == [record["eventID"]]
        assert _totals()


def test_a_poison_in_the_middle_stops_the_batch_there(handler):
    records = [stream_record(1, order("o-1")), CORPUS[13][1], stream_record(30, order("o-2"))]
    response = handler.lambda_handler({"Records": records}, FakeLambdaContext())
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records[1:]]
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == sequences
    assert [line["eventID"] for line in _log_lines()] == ["evt-1"]


def test_a_redelivered_batch_changes_neither_totals_nor_log(handler):
    records = [r for _, r, o in CORPUS if o == "applied"]
    handler.lambda_handler({"Records": records}, FakeLambdaContext())
    totals, lines = _totals(), _log_lines()
    again = handler.lambda_handler({"Records": records}, FakeLambdaContext())
    assert again == {"batchItemFailures": []}
    assert _totals() == totals and len(_log_lines()) == len(lines)


def test_a_log_write_that_fails_is_made_by_the_retry_and_no_change_is_lost(handler):
    # The changes are applied, then the PUT fails (an S3 outage): the invocation fails and
    # Lambda retries the batch, whose changes are all duplicates by then.
    records = [r for _, r, o in CORPUS if o == "applied"]
    real = handler.s3_client()

    class FailingS3:
        def put_object(self, **kwargs):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "S3 down"}}, "Put")

    handler.s3_client.cache_clear()
    with (
        mock.patch.object(handler, "s3_client", lambda: FailingS3()),
        pytest.raises(ClientError),
    ):
        handler.lambda_handler({"Records": records}, FakeLambdaContext())
    assert _totals() and not _log_lines()
    with mock.patch.object(handler, "s3_client", lambda: real):
        again = handler.lambda_handler({"Records": records}, FakeLambdaContext())
    assert again == {"batchItemFailures": []}
    assert sorted(line["eventID"] for line in _log_lines()) == sorted(r["eventID"] for r in records)


def test_an_update_applies_new_minus_old_and_a_move_touches_both_customers(handler):
    records = [
        stream_record(1, order("o-1", "c-1", "10")),
        stream_record(2, order("o-1", "c-1", "12"), order("o-1", "c-1", "10")),
        stream_record(3, order("o-1", "c-2", "12"), order("o-1", "c-1", "12")),
    ]
    handler.lambda_handler({"Records": records}, FakeLambdaContext())
    assert _totals() == {"customer#c-1": (0, Decimal(0)), "customer#c-2": (1, Decimal(12))}


def test_an_older_change_of_an_order_arriving_late_is_refused(handler):
    newer = stream_record(5, order("o-1", amount="20"))
    older = stream_record(4, order("o-1", amount="10"))
    handler.lambda_handler({"Records": [newer]}, FakeLambdaContext())
    handler.lambda_handler({"Records": [older]}, FakeLambdaContext())
    assert _totals() == {"customer#c-1": (1, Decimal(20))}
