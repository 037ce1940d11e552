"""Synthesized cloud assemblies, cached for the whole test session (synthesis takes seconds).

Every test layer reads templates through this cache, so each pattern and context is synthesized
once per session: modules that parametrize over a template call it at collection time, fixtures
return the same objects.
"""

import functools

from refarch.local import CloudAssembly, synthesize


@functools.cache
def _synthesized(pattern_id: str, context: tuple[tuple[str, str], ...]) -> CloudAssembly:
    return synthesize(pattern_id, context=dict(context))


def synthesized(pattern_id: str, **context: str) -> CloudAssembly:
    """The pattern's cloud assembly (cdk-nag included), with optional context such as destroy."""
    return _synthesized(pattern_id, tuple(sorted(context.items())))


def run_variant(run: str) -> tuple[str, CloudAssembly]:
    """The pattern id and assembly of a run id: ``"queue-worker"`` or ``"queue-worker[fifo=true]"``.

    Catalog-wide tests parametrize over run ids so a context variant with its own local scenario
    is covered like a pattern.
    """
    pattern_id, _, rest = run.partition("[")
    context = dict(pair.split("=", 1) for pair in rest.rstrip("]").split(",") if pair)
    return pattern_id, synthesized(pattern_id, **context)
