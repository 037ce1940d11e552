"""The failure side of a stream event source mapping: its on-failure queue and its two alarms.

Lambda's poller for a Kinesis or DynamoDB stream sends where a record that exhausted its retries
or its age sits in the shard (not the record) to an on-failure destination, and moves on
(https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html). The queue,
an alarm on anything in it, and an alarm on the function's iterator age are the same for every
stream consumer; they are created in the caller's scope with the caller's ids, so a stack's
logical ids do not depend on this module.
"""

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from refarch.constructs.alarm_topic import AlarmTopic
from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import stateful_removal

#: The longest an SQS queue keeps a message
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
MAX_QUEUE_RETENTION = Duration.days(14)


@dataclass(frozen=True)
class OnFailureQueue:
    """A mapping's on-failure queue and the customer managed key that encrypts it."""

    key: kms.Key
    queue: sqs.Queue


def on_failure_queue(scope: Construct, *, used_by: str) -> OnFailureQueue:
    """Create ``FailureQueueKey`` and ``OnFailureQueue`` in ``scope``: KMS, TLS-only, 14 days.

    The queue holds only shard positions, but they point at the stream's data: a key of its own,
    rotated. ``used_by`` names the consumer in the key's description.
    """
    removal = stateful_removal(scope)
    key = kms.Key(
        scope,
        "FailureQueueKey",
        description=f"Encrypts the {used_by}'s on-failure queue",
        enable_key_rotation=True,
        removal_policy=removal.policy,
    )
    queue = sqs.Queue(
        scope,
        "OnFailureQueue",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=MAX_QUEUE_RETENTION,
        removal_policy=removal.policy,
    )
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        "This queue is the event source mapping's on-failure destination: it is the "
        "dead-letter store itself.",
    )
    return OnFailureQueue(key=key, queue=queue)


def alarm_on_failure_queue(
    scope: Construct, alarms: AlarmTopic, queue: sqs.IQueue, description: str
) -> cloudwatch.Alarm:
    """``OnFailureAlarm``: any message visible in the on-failure queue within five minutes."""
    return alarms.alarm_on_any(
        scope,
        "OnFailureAlarm",
        queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5), statistic="Maximum"
        ),
        description,
    )


def alarm_on_iterator_age(
    scope: Construct,
    construct_id: str,
    alarms: AlarmTopic,
    function: lambda_.IFunction,
    description: str,
    *,
    threshold: Duration,
) -> cloudwatch.Alarm:
    """Alarm when the function's ``IteratorAge`` stays above ``threshold`` for 15 minutes.

    Lambda publishes the age of the last record of each batch it reads from a stream
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): a growing age
    means the consumer falls behind and records near the stream's retention.
    """
    return alarms.alarm_on_threshold(
        scope,
        construct_id,
        function.metric("IteratorAge", period=Duration.minutes(5), statistic="Maximum"),
        description,
        threshold=threshold.to_milliseconds(),
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=3,
    )
