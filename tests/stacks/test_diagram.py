"""The architecture diagram drawn from the S3 → Lambda template: the DOT text, not its rendering."""

import re

import pytest

from refarch.catalog import get
from refarch.diagram import diagram_dot, diagram_edges, readable_name

PATTERN = "s3-event-processing"

_EDGE = re.compile(r'^\s*"(?P<source>[^"]+)" -> "(?P<target>[^"]+)" \[(?P<attributes>.*)\];$')
_LABEL = re.compile(r'(?:^|, )(?:label|taillabel)="(?P<label>(?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


@pytest.fixture(scope="module")
def dot(stack):
    pattern = get(PATTERN)
    return diagram_dot(stack.json, f"{pattern.title} ({pattern.stack_name})")


@pytest.fixture(scope="module")
def edges(dot):
    """(source, target) -> label of every drawn edge (layout-only invisible edges left out)."""
    found = {}
    for line in dot.splitlines():
        match = _EDGE.match(line)
        if match and "style=invis" not in match["attributes"]:
            label = _LABEL.search(match["attributes"])
            found[match["source"], match["target"]] = label["label"] if label else ""
    return found


def test_input_bucket_notifies_the_function_with_its_key_filter(stack, edges):
    label = edges[
        stack.id_of("AWS::S3::Bucket", "InputBucket"),
        stack.id_of("AWS::Lambda::Function", "CsvValidatorFunction"),
    ]
    assert "s3:ObjectCreated:*" in label
    assert "prefix incoming/" in label
    assert "suffix .csv" in label


def test_function_writes_the_output_bucket_under_its_prefixes(stack, edges):
    label = edges[
        stack.id_of("AWS::Lambda::Function", "CsvValidatorFunction"),
        stack.id_of("AWS::S3::Bucket", "OutputBucket"),
    ]
    assert label.startswith("writes")
    assert "curated/*" in label
    assert "rejected/*" in label
    assert "OUTPUT_BUCKET" in label


def test_function_fails_over_to_its_dead_letter_queue(stack, edges):
    label = edges[
        stack.id_of("AWS::Lambda::Function", "CsvValidatorFunction"),
        stack.id_of("AWS::SQS::Queue", "CsvValidatorDeadLetterQueue"),
    ]
    assert label.startswith("on failure")
    assert "2 retries" in label
    assert "max age 6 h" in label


def test_every_alarm_notifies_the_topic_and_watches_its_resource(stack):
    # The derived edges: one per alarm to the topic, one to what it watches.
    topic = stack.id_of("AWS::SNS::Topic", "AlarmsTopic")
    watched = {
        "CsvValidatorErrorsAlarm": "CsvValidatorFunction",
        "CsvValidatorThrottlesAlarm": "CsvValidatorFunction",
        "CsvValidatorDeadLettersAlarm": "CsvValidatorDeadLetterQueue",
    }
    derived = {(e.source, e.target): e.label for e in diagram_edges(stack.json)}
    alarms = stack.resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == len(watched)
    for alarm in alarms:
        assert "ALARM" in derived[alarm, topic]
        target_prefix = next(v for k, v in watched.items() if alarm.startswith(k))
        targets = [t for (s, t), label in derived.items() if s == alarm and label == "watches"]
        assert len(targets) == 1
        assert targets[0].startswith(target_prefix)


def test_alarms_are_drawn_as_one_node_listing_each_alarm(stack, dot, edges):
    # On the canvas: one "3 CloudWatch alarms" node, its table naming each alarm and what it
    # watches, and one arrow to the topic instead of six.
    topic = stack.id_of("AWS::SNS::Topic", "AlarmsTopic")
    for alarm in stack.resources("AWS::CloudWatch::Alarm"):
        assert f'"{alarm}"' not in dot
    assert "<b>3 CloudWatch alarms</b>" in dot
    for name in ("Csv Validator Errors", "Csv Validator Throttles", "Csv Validator Dead Letters"):
        assert f"<b>{name}</b>" in dot
    assert "Csv Validator Dead Letter Queue</font>" in dot  # the watches column
    assert edges["alarms", topic] == "notifies on ALARM, OK"
    assert [pair for pair in edges if "alarms" in pair] == [("alarms", topic)]


def test_data_buckets_send_access_logs_to_the_log_bucket(stack, edges):
    logs = stack.id_of("AWS::S3::Bucket", "AccessLogsBucket")
    for bucket, prefix in (("InputBucket", "input/"), ("OutputBucket", "output/")):
        assert edges[stack.id_of("AWS::S3::Bucket", bucket), logs] == f"access logs {prefix}"


def test_plumbing_is_not_drawn(stack, dot):
    hidden_types = (
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventInvokeConfig",
        "Custom::S3BucketNotifications",
    )
    for resource_type in hidden_types:
        for logical_id in stack.resources(resource_type):
            assert f'"{logical_id}"' not in dot, f"{resource_type} {logical_id} is drawn"
    assert "BucketNotificationsHandler" not in dot  # CDK's custom-resource function


def test_every_other_resource_is_drawn_with_a_readable_name(stack, dot):
    for logical_id in (
        stack.id_of("AWS::S3::Bucket", "InputBucket"),
        stack.id_of("AWS::Logs::LogGroup", "CsvValidatorLogs"),
        stack.id_of("AWS::KMS::Key", "AlarmsKey"),
    ):
        assert f'"{logical_id}" [label=<' in dot
    assert readable_name("CsvValidatorDeadLetterQueue3F370580") == "Csv Validator Dead Letter Queue"
    assert "<b>Input Bucket</b>" in dot


def test_diagram_is_deterministic(stack, dot):
    again = diagram_dot(stack.json, f"{get(PATTERN).title} ({get(PATTERN).stack_name})")
    assert again == dot
    reordered = {**stack.json, "Resources": dict(reversed(stack.json["Resources"].items()))}
    assert diagram_dot(reordered, f"{get(PATTERN).title} ({get(PATTERN).stack_name})") == dot


def test_destroy_context_adds_no_plumbing_to_the_diagram(synth):
    # -c destroy=true adds CDK's auto-delete custom resource and its provider function.
    stack = synth(PATTERN, destroy="true")
    dot = diagram_dot(stack.json, "destroy")
    functions = [
        line
        for line in dot.splitlines()
        if "Lambda function" in line and "[label=<" in line and "->" not in line
    ]
    assert len(functions) == 1
    assert "AutoDeleteObjects" not in dot
