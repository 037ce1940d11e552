"""Stack tests read each pattern's template from the session's shared synthesis cache."""

from collections.abc import Callable

import pytest
from assemblies import synthesized
from template_queries import Synthesized

SynthFn = Callable[..., Synthesized]


@pytest.fixture(scope="session")
def synth() -> SynthFn:
    """Synthesize a pattern (cdk-nag included) with optional context; cached per arguments."""
    cache: dict[tuple, Synthesized] = {}

    def _synth(pattern_id: str, **context: str) -> Synthesized:
        key = (pattern_id, tuple(sorted(context.items())))
        if key not in cache:
            assembly = synthesized(pattern_id, **context)
            cache[key] = Synthesized(
                path=assembly.directory / f"{assembly.stack_name}.template.json",
                json=assembly.template,
            )
        return cache[key]

    return _synth
