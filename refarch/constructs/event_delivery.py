"""Where EventBridge puts the events a rule's target refused: one queue per stack, alarmed."""

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from refarch.constructs.nag import acknowledge
from refarch.constructs.removal import stateful_removal


def undelivered_events_queue(scope: Construct, construct_id: str, *, used_by: str) -> sqs.Queue:
    """The dead-letter queue of event rules' targets: encrypted, TLS-only, kept 14 days.

    EventBridge retries a refused delivery (a topic or function policy that does not let it in,
    a throttled target), then drops the event unless the target names a dead-letter queue; this
    is that queue. It needs no DLQ of its own, which cdk-nag is told, with ``used_by`` saying
    which rules use it.
    """
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # The longest SQS keeps a message: time to read and replay what was not delivered.
        retention_period=Duration.days(14),
        removal_policy=stateful_removal(scope).policy,
    )
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        f"This queue is the dead-letter queue of {used_by}: it has no DLQ of its own by design.",
    )
    return queue
