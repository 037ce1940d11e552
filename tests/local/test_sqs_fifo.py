"""SQS FIFO queues in the emulator, as SQS documents them where moto 5.2.5 differs.

- A message group's messages come back oldest first after their visibility timeout, and none
  while one of them is in flight
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
- A deduplication id seen in the last 5 minutes is accepted and not delivered, even if the
  first copy was received and deleted
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html).
- EventBridge sends to a FIFO target with the target's message group, and a FIFO queue without
  content-based deduplication refuses it (EventBridge sends no deduplication id,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html).
"""

import json

import pytest

from refarch.local import emulator
from refarch.local.moto_sqs_fifo import DEDUPLICATION_INTERVAL_MS


@pytest.fixture
def fifo():
    """A FIFO queue with content-based deduplication, and the emulator."""
    with emulator() as aws:
        sqs = aws.client("sqs")
        url = sqs.create_queue(
            QueueName="work.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
        )["QueueUrl"]
        yield aws, sqs, url


def _receive(sqs, url, count=10, visibility=30):
    return sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        VisibilityTimeout=visibility,
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])


def test_a_group_comes_back_oldest_first_after_its_visibility_timeout(fifo):
    aws, sqs, url = fifo
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{n}", MessageGroupId="a")
    assert [m["Body"] for m in _receive(sqs, url)] == ["a0", "a1", "a2"]
    aws.queue_clock.advance(31)
    assert [m["Body"] for m in _receive(sqs, url)] == ["a0", "a1", "a2"]


def test_a_group_in_flight_is_held_back_while_other_groups_are_delivered(fifo):
    _, sqs, url = fifo
    for body, group in (("a0", "a"), ("a1", "a"), ("b0", "b")):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    assert [m["Body"] for m in _receive(sqs, url, count=1)] == ["a0"]
    assert [m["Body"] for m in _receive(sqs, url)] == ["b0"]


def test_a_duplicate_within_5_minutes_is_dropped_even_after_the_first_is_deleted(fifo):
    aws, sqs, url = fifo
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="a")
    (first,) = _receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    aws.queue_clock.advance(DEDUPLICATION_INTERVAL_MS / 1000 - 1)
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="a")
    assert _receive(sqs, url) == []
    aws.queue_clock.advance(2)
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="a")
    assert [m["Body"] for m in _receive(sqs, url)] == ["same"]


def test_every_message_gets_a_growing_sequence_number(fifo):
    _, sqs, url = fifo
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}", MessageGroupId=f"g{n}")
    numbers = [int(m["Attributes"]["SequenceNumber"]) for m in _receive(sqs, url)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


@pytest.mark.parametrize(("content_based", "delivered"), [("true", True), ("false", False)])
def test_eventbridge_sends_with_the_targets_group_and_needs_content_deduplication(
    content_based, delivered
):
    with emulator() as aws:
        events, sqs = aws.client("events"), aws.client("sqs")
        rule_arn = events.put_rule(Name="objects", EventPattern=json.dumps({"source": ["aws.s3"]}))[
            "RuleArn"
        ]
        url = sqs.create_queue(
            QueueName="ordered.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": content_based},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        events.put_targets(
            Rule="objects",
            Targets=[{"Id": "q", "Arn": arn, "SqsParameters": {"MessageGroupId": "landing/a/"}}],
        )
        put = aws.events.put(source="aws.s3", detail_type="Object Created", detail={"k": 1})
        received = _receive(sqs, url)
        lost = list(aws.lambda_service.lost)

    (delivery,) = put.deliveries
    assert delivery.delivered is delivered
    if delivered:
        (message,) = received
        assert message["Attributes"]["MessageGroupId"] == "landing/a/"
        assert json.loads(message["Body"]) == put.event
    else:
        assert received == [] and "SQS refused" in delivery.detail and len(lost) == 1
