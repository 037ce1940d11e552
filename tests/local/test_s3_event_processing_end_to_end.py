"""s3-event-processing end to end on the local runner, with IAM enforced."""

import json
import os
import re
import socket

import boto3
import pytest
from botocore.exceptions import ClientError
from complete_runs import complete_run, complete_trace

from refarch.local import DeployError, deploy, emulator, run_demo
from refarch.local.errors import NetworkBlockedError
from refarch.local.landed import messages, objects
from refarch.scenarios import s3_event_processing as scenario

PATTERN = "s3-event-processing"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run(PATTERN), complete_trace(PATTERN)


def test_demo_passes_under_the_functions_own_role_with_iam_enforced(demo):
    result, trace = demo
    assert result.ok, trace
    assert result.denials == []
    assert result.lost == []
    assert result.platform_failures == []
    assert all(check.ok for check in result.checks)
    assert "IAM enforced" in trace
    assert "OK: s3-event-processing" in trace


def test_demo_trace_says_what_came_in_matched_and_landed(demo):
    _, trace = demo
    assert "→ PUT s3://" in trace
    assert "prefix 'incoming/', suffix '.csv') matches" in trace
    assert "no notification configuration matches: no invocation" in trace
    assert "processed incoming/orders-2024-06-02.csv: 3 valid, 2 rejected" in trace
    assert "== Landed" in trace
    assert re.search(r"curated/[^/ ]+/orders-2024-06-01\.jsonl", trace)
    assert "after 3 attempts Lambda sent the event to the DLQ" in trace


def test_upload_writes_curated_and_rejected_json_lines(s3_event_processing):
    with emulator():
        stack = deploy(PATTERN, assembly=s3_event_processing)
        source = stack.s3_source("InputBucket")
        upload = source.put_object(scenario.WITH_BAD_ROWS.key, scenario.WITH_BAD_ROWS.body)
        output = objects(stack, "OutputBucket")

    assert upload.deliveries[0].outcome.status == "succeeded"
    curated = output[scenario.WITH_BAD_ROWS.output_key("curated/", source.bucket)].records()
    assert [r["order_id"] for r in curated] == ["B-2001", "B-2004", "B-2005"]
    assert curated[0] == {
        "order_id": "B-2001",
        "customer_id": "C-17",
        "order_ts": "2024-06-02T08:00:00Z",
        "amount": "42.00",
        "currency": "EUR",
    }
    rejected = output[scenario.WITH_BAD_ROWS.output_key("rejected/", source.bucket)].records()
    assert [r["line"] for r in rejected] == [3, 4]
    assert "amount" in rejected[0]["reason"]
    assert "currency" in rejected[1]["reason"]
    assert {r["source_key"] for r in rejected} == {scenario.WITH_BAD_ROWS.key}


def test_duplicate_delivery_leaves_one_output(s3_event_processing):
    with emulator():
        stack = deploy(PATTERN, assembly=s3_event_processing)
        source = stack.s3_source("InputBucket")
        upload = source.put_object(scenario.VALID.key, scenario.VALID.body)
        first = objects(stack, "OutputBucket")
        again = source.redeliver(upload)
        second = objects(stack, "OutputBucket")

    assert again[0].outcome.status == "succeeded"
    assert again[0].event == upload.deliveries[0].event  # the same event, same sequencer
    curated = scenario.VALID.output_key("curated/", source.bucket)
    assert list(second) == list(first) == [curated]
    assert second[curated].body == first[curated].body


@pytest.mark.parametrize("key", ["other/orders.csv", "incoming/orders.txt", "incoming.csv"])
def test_keys_outside_the_filter_invoke_nothing(s3_event_processing, key):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=s3_event_processing)
        upload = stack.s3_source("InputBucket").put_object(key, scenario.VALID.body)
        output = objects(stack, "OutputBucket")
        invocations = [
            i for i in aws.lambda_service.invocations if "CsvValidator" in i.function_name
        ]

    assert upload.events == []
    assert upload.deliveries == []
    assert invocations == []
    assert output == {}


def test_poison_event_lands_in_the_dlq_after_the_configured_retries(s3_event_processing):
    template = s3_event_processing.template["Resources"]
    invoke_config = next(
        r["Properties"] for r in template.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    )
    retries = invoke_config["MaximumRetryAttempts"]
    with emulator():
        stack = deploy(PATTERN, assembly=s3_event_processing)
        outcome = stack.lambda_invoke_source().invoke_async(
            "CsvValidatorFunction", scenario.POISON_EVENT
        )
        dead = messages(stack, "CsvValidatorDeadLetterQueue")

    assert outcome.status == "dead-lettered"
    assert len(outcome.attempts) == 1 + retries
    assert {a.request_id for a in outcome.attempts} == {outcome.request_id}
    assert all(a.error.error_type == "MalformedEventError" for a in outcome.attempts)
    assert len(dead) == 1
    assert json.loads(dead[0].body) == scenario.POISON_EVENT
    assert dead[0].attributes["RequestID"] == outcome.request_id
    assert dead[0].attributes["ErrorCode"] == "200"
    assert "not an S3 event record" in dead[0].attributes["ErrorMessage"]


def test_lambda_ships_logs_traces_and_insights_under_the_role(s3_event_processing):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=s3_event_processing)
        stack.s3_source("InputBucket").put_object(scenario.VALID.key, scenario.VALID.body)
        logs = aws.client("logs")
        group = stack.physical_id("CsvValidatorLogs")
        events = logs.filter_log_events(logGroupName=group)["events"]
        insights = logs.filter_log_events(logGroupName="/aws/lambda-insights")["events"]
        xray = aws.client("xray")
        summaries = xray.get_trace_summaries(StartTime=0, EndTime=2**31)["TraceSummaries"]

    messages_ = [json.loads(e["message"]) for e in events]
    assert [m.get("type") for m in messages_ if "type" in m] == [
        "platform.start",
        "platform.report",
    ]
    assert any(m.get("message") == "processed" for m in messages_)
    assert len(insights) == 1
    assert json.loads(insights[0]["message"])["function_name"] == stack.output("FunctionName")
    assert summaries


def test_iam_is_enforced_inside_the_emulator(s3_event_processing):
    with emulator():
        stack = deploy(PATTERN, assembly=s3_event_processing)
        # The environment's fake keys belong to no IAM identity once enforcement is on.
        anonymous = boto3.client("s3", region_name="us-east-1")
        with pytest.raises(ClientError) as denied:
            anonymous.list_objects_v2(Bucket=stack.output("InputBucketName"))
    assert denied.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def _drop_s3_permission(template):
    resources = template["Resources"]
    (permission,) = [i for i, r in resources.items() if r["Type"] == "AWS::Lambda::Permission"]
    del resources[permission]
    for resource in resources.values():
        if permission in resource.get("DependsOn", []):
            resource["DependsOn"].remove(permission)


def test_without_the_s3_permission_the_notification_cannot_be_configured(s3_event_processing):
    with (
        emulator(),
        pytest.raises(DeployError, match="Unable to validate the following destination"),
    ):
        deploy(PATTERN, assembly=s3_event_processing, template_hook=_drop_s3_permission)


def test_without_the_s3_permission_and_validation_skipped_events_are_lost(s3_event_processing):
    def skip_validation(template):
        _drop_s3_permission(template)
        for resource in template["Resources"].values():
            if resource["Type"] == "Custom::S3BucketNotifications":
                resource["Properties"]["SkipDestinationValidation"] = True

    with emulator() as aws:
        stack = deploy(PATTERN, assembly=s3_event_processing, template_hook=skip_validation)
        upload = stack.s3_source("InputBucket").put_object(scenario.VALID.key, scenario.VALID.body)
        lost = list(aws.lambda_service.lost)

    assert upload.deliveries[0].outcome is None
    assert "no Lambda permission" in upload.deliveries[0].lost_reason
    assert len(lost) == 1


def test_demo_needs_no_credentials_and_stays_offline(s3_event_processing, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_PROFILE", "a-profile-that-does-not-exist")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://192.0.2.1")
    result = run_demo(PATTERN, out=None, assembly=s3_event_processing)
    assert result.ok
    assert os.environ["AWS_PROFILE"] == "a-profile-that-does-not-exist"


@pytest.mark.parametrize("host", ["example.com", "192.0.2.1"])
def test_nothing_reaches_the_network_inside_the_emulator(host):
    with emulator(), pytest.raises(NetworkBlockedError):
        socket.create_connection((host, 443), timeout=1)


def test_a_pattern_without_a_scenario_is_a_failed_run():
    result = run_demo("no-such-pattern", out=None)
    assert not result.ok
    assert "no local scenario" in result.error
