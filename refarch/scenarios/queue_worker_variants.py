"""queue-worker's scenario for the variant deployed: the standard queue's, or the FIFO one's.

The variant is read from the deployed work queue, as both targets expose it: a FIFO queue's name
ends in ``.fifo`` (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html),
and a queue's ``Ref`` is its URL. So ``refarch demo queue-worker -c fifo=true`` and
``refarch verify queue-worker --live -c fifo=true`` run the FIFO scenario with no other switch.
"""

from __future__ import annotations

from refarch.scenarios import queue_worker, queue_worker_fifo
from refarch.scenarios.queue_worker import describe_response
from refarch.scenarios.target import Check, Target

__all__ = ["describe_response", "run"]


def run(target: Target) -> list[Check]:
    """Drive the scenario of the deployed ``QueueWorker`` stack's variant; return its checks."""
    if target.physical_id("WorkQueue").endswith(".fifo"):
        return queue_worker_fifo.run(target)
    return queue_worker.run(target)
