"""Each run's complete local run, made once per test run and shared by every module that only
reads it: IAM necessity's baseline, the unused-access report, each pattern's end-to-end and live
modules. A run takes seconds (staged-model-promotion's about ten), and pytest-xdist may put these
modules on different workers: the run is pickled into the run's cache directory
(``assemblies.made_once``), so whichever worker needs it first makes it and the others read it.
"""

import functools
import io
import pickle
from dataclasses import dataclass

from assemblies import made_once, run_variant

from refarch.catalog import PATTERNS
from refarch.local import DemoResult, run_demo
from refarch.local.demos import SCENARIOS

#: Every pattern with a local scenario, and each context variant whose run exercises other
#: wiring (``assemblies.run_variant``).
LOCAL_RUNS = [
    *(pattern.id for pattern in PATTERNS if pattern.id in SCENARIOS),
    "queue-worker[fifo=true]",
]


@dataclass(frozen=True)
class CompleteRun:
    """A run's result and the trace it printed."""

    result: DemoResult
    trace: str


@functools.cache
def _complete(run: str) -> CompleteRun:
    def make() -> bytes:
        pattern_id, assembly = run_variant(run)
        out = io.StringIO()
        result = run_demo(pattern_id, out=out, assembly=assembly)
        return pickle.dumps(CompleteRun(result, out.getvalue()))

    return pickle.loads(made_once("run", make, run))


def complete_run(run: str) -> DemoResult:
    """The scenario of a run id (``"queue-worker"``, ``"queue-worker[fifo=true]"``) on its
    synthesized stack, nothing removed."""
    return _complete(run).result


def complete_trace(run: str) -> str:
    """The trace that run printed (what ``refarch demo`` shows)."""
    return _complete(run).trace
