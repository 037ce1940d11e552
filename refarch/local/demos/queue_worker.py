"""The local demo of ``queue-worker``: the standard queue's scenario, or the FIFO variant's.

Both are the scenarios ``refarch verify --live`` runs (``refarch.scenarios.queue_worker`` and
``queue_worker_fifo``); which one runs depends on the deployed work queue (``-c fifo=true``).
"""

from __future__ import annotations

from refarch.local.scenario import Check
from refarch.local.stack import LocalStack
from refarch.local.target import as_demo
from refarch.local.trace import Trace
from refarch.scenarios import queue_worker, queue_worker_fifo

_STANDARD = as_demo(queue_worker.run, describe_result=queue_worker.describe_response)
_FIFO = as_demo(queue_worker_fifo.run, describe_result=queue_worker.describe_response)


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario of the deployed ``QueueWorker`` stack's variant; return its checks."""
    if stack.resource("WorkQueue").properties.get("FifoQueue"):
        return _FIFO(stack, trace)
    return _STANDARD(stack, trace)
