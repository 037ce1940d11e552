"""What landed where: objects in a stack's buckets, messages in its queues, read as the deployer.

The readers themselves are ``refarch.scenarios.observe``'s (shared with the live scenarios);
these take a deployed local stack.
"""

from __future__ import annotations

from refarch.local.stack_resources import StackResources
from refarch.local.trace import Trace
from refarch.scenarios import observe
from refarch.scenarios.observe import ARCHIVED, LISTED_OBJECTS, QueuedMessage, StoredObject

__all__ = [
    "ARCHIVED",
    "LISTED_OBJECTS",
    "QueuedMessage",
    "StoredObject",
    "messages",
    "objects",
    "report_landed",
]


def objects(
    stack: StackResources, bucket: str, prefix: str = "", *, limit: int | None = None
) -> dict[str, StoredObject]:
    """Return the current objects of a bucket (logical id or name) under ``prefix``, by key.

    ``limit`` reads only the first objects' bodies (in key order).
    """
    s3 = stack.emulator.client("s3")
    return observe.read_objects(s3, stack.physical_id(bucket), prefix, limit=limit)


def messages(stack: StackResources, queue: str) -> list[QueuedMessage]:
    """Return the messages of a queue (logical id or URL) without consuming them."""
    return observe.peek_messages(stack.emulator.client("sqs"), stack.physical_id(queue))


def report_landed(stack: StackResources, trace: Trace) -> None:
    """Write every bucket's objects and every queue's messages of the stack to the trace."""
    observe.report_stack_landed(
        trace, stack.emulator.client("s3"), stack.emulator.client("sqs"), stack
    )
