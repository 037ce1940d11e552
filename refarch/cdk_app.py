"""Build the CDK app: the selected patterns, tagged, with cdk-nag's AwsSolutions checks."""

import json
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from refarch import REPO_ROOT
from refarch.catalog import select

#: Context key naming the patterns to include: `cdk synth -c patterns=a,b`.
PATTERNS_CONTEXT_KEY = "patterns"


def repo_context() -> dict[str, Any]:
    """The context of `cdk.json` (feature flags), so a programmatic synth matches `cdk synth`."""
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def build_app(
    pattern_ids: str | None = None,
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
) -> cdk.App:
    """Create the app with the selected patterns (all by default) and cdk-nag attached.

    Parameters
    ----------
    pattern_ids:
        Comma-separated pattern ids; falls back to the `patterns` context, then to every pattern.
    context:
        Extra context, e.g. ``{"destroy": "true"}``; merged over `cdk.json`'s.
    outdir:
        Where the cloud assembly is written (default: a temporary directory, or the CLI's).
    """
    app = cdk.App(context={**repo_context(), **(context or {})}, outdir=outdir)
    selected = pattern_ids or app.node.try_get_context(PATTERNS_CONTEXT_KEY)
    for pattern in select(selected):
        stack = pattern.stack_class(app, pattern.stack_name, description=pattern.summary)
        cdk.Tags.of(stack).add("refarch:pattern", pattern.id)
    cdk.Tags.of(app).add("project", "refarch")
    # cdk-nag 3 is a policy-validation plugin: an unacknowledged finding fails synthesis and is
    # written to cdk.out/validation-report.json.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
