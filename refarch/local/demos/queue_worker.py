"""The local demo of ``queue-worker``: the standard queue's scenario, or the FIFO variant's.

The standard queue runs the scenario shared with ``refarch verify --live``
(``refarch.scenarios.queue_worker``); the ordered variant (``-c fifo=true``, a FIFO work queue
fed by EventBridge) keeps its runner-only scenario (``queue_worker_fifo``).
"""

from __future__ import annotations

from refarch.local.demos import queue_worker_fifo
from refarch.local.scenario import Check
from refarch.local.stack import LocalStack
from refarch.local.target import as_demo
from refarch.local.trace import Trace
from refarch.scenarios import queue_worker

_STANDARD = as_demo(queue_worker.run, describe_result=queue_worker.describe_response)


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario of the deployed ``QueueWorker`` stack's variant; return its checks."""
    if stack.resource("WorkQueue").properties.get("FifoQueue"):
        stack.emulator.lambda_service.describe_result = queue_worker.describe_response
        return queue_worker_fifo.run(stack, trace)
    return _STANDARD(stack, trace)
