"""Each pattern's complete local run, made once per test process and shared by the modules
that only read its result (IAM necessity's baseline, the unused-access report)."""

import functools

from assemblies import synthesized

from refarch.local import DemoResult, run_demo


@functools.cache
def complete_run(pattern_id: str) -> DemoResult:
    """The pattern's scenario on its synthesized stack, nothing removed (a run takes seconds)."""
    return run_demo(pattern_id, out=None, assembly=synthesized(pattern_id))
