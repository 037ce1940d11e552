"""Stack tests read each pattern's template from the session's shared synthesis cache."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from assemblies import synthesized
from aws_cdk.assertions import Template


@dataclass(frozen=True)
class Synthesized:
    """One pattern's synthesized template, as JSON and as an assertions Template."""

    path: Path
    json: dict[str, Any]
    template: Template

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The template's resources of one type, by logical id."""
        return {
            logical_id: resource
            for logical_id, resource in self.json["Resources"].items()
            if resource["Type"] == resource_type
        }


SynthFn = Callable[..., Synthesized]


@pytest.fixture(scope="session")
def synth() -> SynthFn:
    """Synthesize a pattern (cdk-nag included) with optional context; cached per arguments."""
    templates: dict[tuple, Template] = {}

    def _synth(pattern_id: str, **context: str) -> Synthesized:
        assembly = synthesized(pattern_id, **context)
        key = (pattern_id, tuple(sorted(context.items())))
        if key not in templates:
            templates[key] = Template.from_json(assembly.template)
        return Synthesized(
            path=assembly.directory / f"{assembly.stack_name}.template.json",
            json=assembly.template,
            template=templates[key],
        )

    return _synth
