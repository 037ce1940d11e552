"""What a pattern's local scenario is, for ``refarch/local/demos``.

A scenario drives the deployed stack, writes to the trace and returns its checks; ``run_demo``
(``demo``) runs it and judges them. A pattern converted to ``refarch.scenarios`` (one scenario for
the local runner and a live account) is adapted to this signature by ``target.as_demo``.
"""

from __future__ import annotations

from collections.abc import Callable

from refarch.local.stack import LocalStack
from refarch.local.trace import Trace
from refarch.scenarios.target import Check

__all__ = ["Check", "Scenario"]


#: A pattern's scenario: drives the deployed stack, writes to the trace, returns its checks.
Scenario = Callable[[LocalStack, Trace], list[Check]]
