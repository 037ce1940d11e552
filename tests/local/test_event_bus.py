"""The local EventBridge bus: events match rules by pattern, targets get them only if allowed."""

import json

import pytest

from refarch.local import emulator

PATTERN = {
    "source": ["aws.glue"],
    "detail-type": ["Glue Job State Change"],
    "detail": {"state": ["FAILED", "TIMEOUT"], "jobName": ["etl"]},
}


def _allow_events(arn, rule_arn, action):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": action,
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


@pytest.fixture
def bus():
    """A rule on failed runs of job `etl` → a topic, with a dead-letter queue; policies open."""
    with emulator() as aws:
        events, sns, sqs = aws.client("events"), aws.client("sns"), aws.client("sqs")
        rule_arn = events.put_rule(Name="failed", EventPattern=json.dumps(PATTERN))["RuleArn"]
        topic = sns.create_topic(Name="alarms")["TopicArn"]
        dlq_url = sqs.create_queue(QueueName="undelivered")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sqs.set_queue_attributes(
            QueueUrl=dlq_url,
            Attributes={"Policy": _allow_events(dlq_arn, rule_arn, "sqs:SendMessage")},
        )
        events.put_targets(
            Rule="failed",
            Targets=[{"Id": "topic", "Arn": topic, "DeadLetterConfig": {"Arn": dlq_arn}}],
        )
        yield aws, topic, rule_arn, dlq_url


def _put(aws, state, job="etl"):
    return aws.events.put(
        source="aws.glue",
        detail_type="Glue Job State Change",
        detail={"jobName": job, "state": state},
    )


def test_an_event_of_another_state_or_job_matches_no_rule(bus):
    aws, *_ = bus
    assert _put(aws, "SUCCEEDED").deliveries == []
    assert _put(aws, "FAILED", job="other").deliveries == []


def test_a_matching_event_is_published_when_the_topic_policy_allows_the_rule(bus):
    aws, topic, rule_arn, _ = bus
    aws.client("sns").set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=_allow_events(topic, rule_arn, "sns:Publish"),
    )
    put = _put(aws, "TIMEOUT")
    assert [(d.target, d.delivered, d.dead_lettered) for d in put.deliveries] == [
        (topic, True, False)
    ]
    assert put.event["detail-type"] == "Glue Job State Change"
    assert put.event["account"] == aws.account_id and put.event["region"] == aws.region


def test_a_refused_delivery_goes_to_the_targets_dead_letter_queue(bus):
    aws, _, _, dlq_url = bus
    # The topic's default policy does not let events.amazonaws.com publish.
    put = _put(aws, "FAILED")
    (delivery,) = put.deliveries
    assert (delivery.delivered, delivery.dead_lettered) == (False, True)
    (message,) = aws.client("sqs").receive_message(QueueUrl=dlq_url)["Messages"]
    assert json.loads(message["Body"])["id"] == put.event["id"]
    assert aws.lambda_service.lost == []


def test_a_refused_delivery_without_a_dead_letter_queue_is_reported_lost(bus):
    aws, _, _, dlq_url = bus
    aws.client("sqs").set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": ""})
    put = _put(aws, "FAILED")
    assert not put.deliveries[0].dead_lettered
    assert [lost.source for lost in aws.lambda_service.lost] == ["EventBridge rule failed"]
