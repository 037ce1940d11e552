"""The Firehose engine on a small hand-written stack: retries, contract, buffering, Parquet."""

import base64
import io
import json
import re

import firehose_fixture
import pyarrow.parquet as pq
import pytest

from refarch.local import DeployError, deploy, emulator
from refarch.local.landed import objects

pytestmark = pytest.mark.slow


def click(number, event_time="2024-06-01T23:10:00Z", **extra):
    document = {"event_id": f"e{number}", "event_time": event_time, "email": "a@example.com"}
    return (f"user-{number % 3}", json.dumps({**document, **extra}).encode())


def run(records, template_hook=None, **options):
    """Deploy the fixture, produce ``records``, drain once; return what happened."""
    with emulator() as aws:
        stack = deploy(
            "firehose-fixture",
            assembly=firehose_fixture.assembly(**options),
            template_hook=template_hook,
        )
        stack.kinesis_producer("Stream").put_records(records)
        firehose = stack.firehose("DeliveryStream")
        report = firehose.drain()
        logs = aws.client("logs").filter_log_events(logGroupName=stack.physical_id("FirehoseLogs"))[
            "events"
        ]
        return {
            "report": report,
            "objects": objects(stack, "Lake"),
            "log": [json.loads(e["message"]) for e in logs],
            "events": [i.event for i in aws.lambda_service.invocations],
            "denials": list(aws.denials),
            "function_arn": stack.resource("Transform").attributes["Arn"],
            "delivery_role": stack.resource("DeliveryRole").physical_id,
        }


def error_documents(outcome, error_type="processing-failed"):
    return [
        json.loads(line)
        for key, item in outcome["objects"].items()
        if f"/{error_type}/" in key
        for line in item.lines
    ]


def test_a_failing_transform_is_retried_then_its_batch_goes_to_the_error_prefix():
    outcome = run([click(i) for i in range(4)], mode="raise", retries=2)

    report = outcome["report"]
    assert report.invocations == 3  # 1 + NumberOfRetries
    assert (report.delivered, report.failed, report.lost) == (0, 4, 0)
    documents = error_documents(outcome)
    assert sorted(base64.b64decode(d["rawData"]) for d in documents) == sorted(
        data for _, data in (click(i) for i in range(4))
    )
    assert {d["errorCode"] for d in documents} == {"Lambda.FunctionError"}
    assert {d["attemptsMade"] for d in documents} == {3}
    assert {d["lambdaArn"] for d in documents} == {outcome["function_arn"]}
    # Each failed attempt is in the delivery stream's error log, written with its role.
    assert [entry["errorCode"] for entry in outcome["log"]] == ["Lambda.FunctionError"] * 3
    assert {entry["processor"] for entry in outcome["log"]} == {outcome["function_arn"]}


@pytest.mark.parametrize(
    ("mode", "code"), [("forget", "Lambda.MissingRecordId"), ("twice", "Lambda.DuplicatedRecordId")]
)
def test_a_response_that_breaks_the_contract_fails_the_whole_batch(mode, code):
    outcome = run([click(i) for i in range(3)], mode=mode, retries=0)

    assert outcome["report"].failed == 3
    assert outcome["report"].delivered == 0
    assert {d["errorCode"] for d in error_documents(outcome)} == {code}


def test_batches_follow_the_processor_buffer_size():
    padding = "x" * 20_000
    records = [click(i, padding=padding) for i in range(30)]  # about 600 KB
    outcome = run(records, processor_buffer_mb=0.2)

    sizes = [len(event["records"]) for event in outcome["events"]]
    assert sum(sizes) == 30
    assert len(sizes) == 3
    assert all(
        sum(len(base64.b64decode(r["data"])) for r in event["records"]) <= 0.2 * 1024 * 1024
        for event in outcome["events"]
    )
    assert outcome["report"].delivered == 30


def test_a_plain_prefix_gets_the_default_hourly_prefix_uncompressed():
    outcome = run(
        [click(1), ("user-1", b"{not json")],
        prefix="raw/",
        error_prefix=None,
        compression="UNCOMPRESSED",
    )

    keys = sorted(outcome["objects"])
    assert any(
        re.fullmatch(r"raw/\d{4}/\d\d/\d\d/\d\d/[^/]+-1-[\d-]{19}-[0-9a-f-]{36}", k) for k in keys
    )
    assert any(re.match(r"raw/processing-failed/\d{4}/\d\d/\d\d/\d\d/", k) for k in keys)
    delivered = next(item for key, item in outcome["objects"].items() if "processing" not in key)
    assert json.loads(delivered.content) == {"event_id": "e1", "event_time": "2024-06-01T23:10:00Z"}


def test_parquet_conversion_writes_the_glue_table_columns():
    records = [
        click(1, clicks=3),
        click(2, "2024-06-01T23:40:00Z", clicks=5),
        click(3, clicks="many"),
    ]
    outcome = run(records, parquet=True)

    parquet = {k: v for k, v in outcome["objects"].items() if k.endswith(".parquet")}
    (item,) = parquet.values()
    table = pq.read_table(io.BytesIO(item.body))
    assert table.column_names == ["event_id", "event_time", "clicks"]
    rows = sorted(table.to_pylist(), key=lambda row: row["event_id"])
    assert [(r["event_id"], r["clicks"]) for r in rows] == [("e1", 3), ("e2", 5)]
    assert rows[1]["event_time"].isoformat() == "2024-06-01T23:40:00+00:00"
    (failure,) = error_documents(outcome, "format-conversion-failed")
    assert failure["lastErrorCode"] == "DataFormatConversion.MalformedData"
    assert "clicks" in failure["lastErrorMessage"]
    assert json.loads(base64.b64decode(failure["rawData"]))["event_id"] == "e3"
    assert failure["dataCatalogTable"]["tableName"] == "events"
    assert outcome["report"].balanced


def _without_statement(actions):
    def hook(template):
        policy = template["Resources"]["DeliveryPolicy"]["Properties"]["PolicyDocument"]
        policy["Statement"] = [s for s in policy["Statement"] if s["Action"] != actions]

    return hook


def test_firehose_writes_its_error_log_with_the_delivery_role():
    outcome = run(
        [click(1)], mode="raise", retries=0, template_hook=_without_statement(["logs:PutLogEvents"])
    )

    assert outcome["log"] == []
    assert outcome["report"].log_failures
    assert [
        (d.action, f"/{outcome['delivery_role']}/" in d.principal + "/") for d in outcome["denials"]
    ] == [("logs:PutLogEvents", True)]


def test_without_lambda_invoke_the_batch_fails_as_invoke_access_denied():
    outcome = run([click(1)], retries=1, template_hook=_without_statement("lambda:InvokeFunction"))

    assert {d["errorCode"] for d in error_documents(outcome)} == {"Lambda.InvokeAccessDenied"}
    assert {d.action for d in outcome["denials"]} == {"lambda:InvokeFunction"}
    assert outcome["report"].invocations == 2


def test_a_role_firehose_cannot_assume_stops_the_deploy():
    def trust_lambda(template):
        trust = template["Resources"]["SourceRole"]["Properties"]["AssumeRolePolicyDocument"]
        trust["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}

    with emulator(), pytest.raises(DeployError, match="Firehose is unable to assume role"):
        deploy("firehose-fixture", assembly=firehose_fixture.assembly(), template_hook=trust_lambda)
