"""What a pattern's local scenario is, for ``refarch/local/demos``.

A scenario drives the deployed stack, writes to the trace and returns its checks; ``run_demo``
(``demo``) runs it and judges them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from refarch.local.stack import LocalStack
from refarch.local.trace import Trace


@dataclass(frozen=True)
class Check:
    """One expectation of a demo, and whether it held."""

    name: str
    ok: bool
    detail: str = ""


#: A pattern's scenario: drives the deployed stack, writes to the trace, returns its checks.
Scenario = Callable[[LocalStack, Trace], list[Check]]
