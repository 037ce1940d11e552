"""A service sending to an SQS queue: only if the queue's policy lets its principal send.

S3 event notifications and EventBridge targets reach a queue as their service principal, so the
queue's resource policy must allow ``sqs:SendMessage`` for that principal, usually with an
``aws:SourceArn`` condition naming the bucket or rule
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from refarch.local.policy_conditions import resource_policy_allows

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator


def send_as_service(
    emulator: Emulator,
    queue_arn: str,
    body: str,
    *,
    principal: str,
    source_arn: str,
    message_group_id: str | None = None,
) -> bool:
    """Send ``body`` to the queue if its policy allows ``principal`` for ``source_arn``.

    Returns False (nothing sent) when the queue has no policy or the policy does not allow it.
    ``message_group_id`` is required by a FIFO queue (SQS refuses a send without one, which
    raises here as it fails the delivery in AWS).
    """
    sqs = emulator.client("sqs")
    name = queue_arn.rsplit(":", 1)[-1]
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    policy = attributes.get("Attributes", {}).get("Policy")
    context = {
        "aws:SourceArn": source_arn,
        "aws:SourceAccount": emulator.account_id,
        "aws:SecureTransport": "true",
    }
    if not policy or not resource_policy_allows(
        policy, action="sqs:SendMessage", principal=principal, context=context
    ):
        return False
    send = {"QueueUrl": url, "MessageBody": body}
    if message_group_id is not None:
        send["MessageGroupId"] = message_group_id
    sqs.send_message(**send)
    return True
