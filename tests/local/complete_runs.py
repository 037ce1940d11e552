"""Each run's complete local run, made once per test process and shared by the modules that only
read its result (IAM necessity's baseline, the unused-access report)."""

import functools

from assemblies import run_variant

from refarch.local import DemoResult, run_demo


@functools.cache
def complete_run(run: str) -> DemoResult:
    """The scenario of a run id (``"queue-worker"``, ``"queue-worker[fifo=true]"``) on its
    synthesized stack, nothing removed (a run takes seconds)."""
    pattern_id, assembly = run_variant(run)
    return run_demo(pattern_id, out=None, assembly=assembly)
