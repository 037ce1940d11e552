"""Synthesis for the stack tests: once per pattern and context for the whole session."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from refarch.catalog import PATTERNS
from refarch.cdk_app import build_app


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
def synth(tmp_path_factory: pytest.TempPathFactory) -> SynthFn:
    """Synthesize a pattern (cdk-nag included) with optional context; cached per arguments."""
    cache: dict[tuple, Synthesized] = {}

    def _synth(pattern_id: str, **context: str) -> Synthesized:
        key = (pattern_id, tuple(sorted(context.items())))
        if key not in cache:
            pattern = next(p for p in PATTERNS if p.id == pattern_id)
            outdir = tmp_path_factory.mktemp(pattern_id)
            build_app(pattern_id, context=context, outdir=str(outdir)).synth()
            path = outdir / f"{pattern.stack_name}.template.json"
            body = json.loads(path.read_text())
            cache[key] = Synthesized(path=path, json=body, template=Template.from_json(body))
        return cache[key]

    return _synth
