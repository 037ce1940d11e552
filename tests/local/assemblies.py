"""Synthesized cloud assemblies, cached for the test session (synthesis takes seconds).

Test modules that parametrize over a template read it at collection time through this cache,
and the fixtures in conftest.py return the same objects, so each pattern is synthesized once.
"""

import functools

from refarch.local import CloudAssembly, synthesize


@functools.cache
def synthesized(pattern_id: str) -> CloudAssembly:
    return synthesize(pattern_id)
