"""The ordered variant of ``queue-worker`` (``-c fifo=true``): S3 → EventBridge → SQS FIFO.

S3 event notifications cannot target a FIFO queue
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html),
so the bucket sends its events to EventBridge and rules send them on to the FIFO queue.

Per-prefix message groups: an EventBridge rule's SQS target takes one static
``SqsParameters.MessageGroupId`` (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_SqsParameters.html),
and an input transformer shapes only the message body, never the group id
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html), so one
target cannot put each key prefix in its own group. The documented way that keeps a direct
S3 → EventBridge → SQS path is one rule per prefix, each matching its prefix with a ``prefix``
pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html)
and naming the prefix as its target's group. The prefixes are configuration: none may start
another (a key would match two rules and be queued twice, in two groups), and a key under none
of them is not queued, as a key outside the input prefix is not in the standard variant.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

#: EventBridge's limit on a target's ``MessageGroupId``.
MAX_GROUP_ID_LENGTH = 100
#: The characters a prefix may use beside ASCII letters and digits: ones S3 leaves as they are
#: when it URL-encodes the key in the event (the rule's ``prefix`` matches the encoded key), and
#: all among those SQS accepts in a message group id
#: (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
_PREFIX_PUNCTUATION = frozenset("/_.-~")


def check_message_groups(prefixes: Sequence[str], input_prefix: str) -> None:
    """Refuse prefixes that cannot be message groups, or that would queue a key twice."""
    if not prefixes:
        raise ValueError("the FIFO variant needs at least one message group prefix")
    for prefix in prefixes:
        if not prefix.startswith(input_prefix):
            raise ValueError(f"message group {prefix!r} is outside the input prefix")
        if not 0 < len(prefix) <= MAX_GROUP_ID_LENGTH or not all(
            (c.isascii() and c.isalnum()) or c in _PREFIX_PUNCTUATION for c in prefix
        ):
            raise ValueError(
                f"message group {prefix!r}: 1-{MAX_GROUP_ID_LENGTH} ASCII letters, digits, "
                f"and {''.join(sorted(_PREFIX_PUNCTUATION))}"
            )
    for a in prefixes:
        for b in prefixes:
            if a != b and b.startswith(a):
                raise ValueError(f"message groups {a!r} and {b!r} overlap: keys would go to both")


class PrefixGroupRules(Construct):
    """One EventBridge rule per key prefix, sending the bucket's new objects to a FIFO queue.

    Each rule matches S3's ``Object Created`` events of the bucket under its prefix and sends
    the event to the queue with the prefix as message group id: uploads under one prefix are
    processed in order, different prefixes in parallel. ``targets.SqsQueue`` adds the queue
    policy statement that lets ``events.amazonaws.com`` send for that rule only
    (``aws:SourceArn``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        queue: sqs.IQueue,
        prefixes: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: list[events.Rule] = []
        for index, prefix in enumerate(prefixes):
            rule = events.Rule(
                self,
                f"Group{index}",
                description=f"New objects under {prefix} → the work queue, message group {prefix}",
                event_pattern=events.EventPattern(
                    source=["aws.s3"],
                    detail_type=["Object Created"],
                    detail={
                        "bucket": {"name": [bucket.bucket_name]},
                        "object": {"key": [{"prefix": prefix}]},
                    },
                ),
            )
            rule.add_target(targets.SqsQueue(queue, message_group_id=prefix))
            self.rules.append(rule)
