"""moto gaps in SQS FIFO queues: group order after a timeout, deduplication, sequence numbers.

- Order within a message group: SQS returns a group's messages oldest first, and none while
  one of them is in flight
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
  moto 5.2.5 releases the in-flight messages whose visibility timeout has passed one by one
  while it walks the queue, so when a whole group times out it skips all but the group's
  last message, which it returns first: the group comes back newest first. Here the timed-out
  messages of a FIFO queue are released before the walk, so the group's oldest message leads.

- Deduplication: SQS accepts a message whose deduplication id (explicit, or the body's SHA-256
  under content-based deduplication) was sent in the last 5 minutes, but does not deliver it,
  "even if the message is received and deleted" in between
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html).
  moto 5.2.5 compares only with the messages still in the queue, so once the first copy is
  processed and deleted, a duplicate is delivered again. Here each FIFO queue remembers when
  each deduplication id was first sent, on SQS's clock (``queue_clock``), for the interval.
- Sequence numbers: SQS gives every FIFO message a ``SequenceNumber``
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html);
  moto gives one only to messages sent with an explicit deduplication id. Here every accepted
  FIFO message gets the next number of its queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.sqs.models import Queue, SQSBackend

#: The deduplication interval (milliseconds, SQS's message timestamps' unit).
DEDUPLICATION_INTERVAL_MS = 5 * 60 * 1000
#: Where a queue keeps its history: deduplication id -> first send (ms), and its last sequence.
_HISTORY = "_refarch_deduplication"
_SEQUENCE = "_refarch_sequence"


def accepted(queue: Any, message: Any) -> bool:
    """Record a FIFO message's send; False if its deduplication id is within the interval."""
    history: dict[str, int] = queue.__dict__.setdefault(_HISTORY, {})
    sent = int(message.sent_timestamp)
    first = history.get(message.deduplication_id)
    if first is not None and sent - first < DEDUPLICATION_INTERVAL_MS:
        return False
    history[message.deduplication_id] = sent
    return True


@contextmanager
def sqs_fifo_as_in_aws() -> Iterator[None]:
    """While active, FIFO queues behave as the module docstring says SQS's do."""
    original = Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        # A message moved by redrive keeps its id and timestamp: it is not a new send.
        redriven = message.approximate_receive_count > 0
        if self.fifo_queue and not redriven and message.deduplication_id is not None:
            if not accepted(self, message):
                return  # accepted by SendMessage, never delivered
            if message.sequence_number is None:
                sequence = self.__dict__.get(_SEQUENCE, 10**19) + 1
                self.__dict__[_SEQUENCE] = sequence
                message.sequence_number = str(sequence)
        original(self, message)

    original_receive = SQSBackend.receive_message

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = self.get_queue(queue_name)
        if queue.fifo_queue:
            for message in [m for m in queue.pending_messages if m.visible]:
                queue.pending_messages.remove(message)
        return original_receive(self, queue_name, *args, **kwargs)

    with (
        mock.patch.object(Queue, "add_message", add_message),
        mock.patch.object(SQSBackend, "receive_message", receive_message),
    ):
        yield
