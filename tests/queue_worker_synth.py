"""The queue-worker stack synthesized directly, until it joins the catalog (issue 12, step 3).

Built like ``refarch.cdk_app.build_app`` builds a catalog pattern: the repository's context,
the pattern tag and cdk-nag's AwsSolutions checks; read back as a ``CloudAssembly`` that the
local runner can deploy.
"""

import functools
import json
import tempfile
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from refarch.cdk_app import repo_context
from refarch.local import CloudAssembly

PATTERN_ID = "queue-worker"
STACK_NAME = "QueueWorker"


@functools.cache
def queue_worker_assembly() -> CloudAssembly:
    """Synthesize QueueWorkerStack once per session (cdk-nag included)."""
    from refarch.stacks.queue_worker import QueueWorkerStack

    keepalive = tempfile.TemporaryDirectory(prefix="refarch-queue-worker-")
    directory = Path(keepalive.name)
    app = cdk.App(context=repo_context(), outdir=str(directory))
    stack = QueueWorkerStack(app, STACK_NAME)
    cdk.Tags.of(stack).add("refarch:pattern", PATTERN_ID)
    cdk.Tags.of(app).add("project", "refarch")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    manifest = json.loads((directory / "manifest.json").read_text())
    artifact = manifest["artifacts"][STACK_NAME]
    properties = artifact["properties"]
    assets = {"files": {}, "dockerImages": {}}
    for name in artifact.get("dependencies", []):
        if manifest["artifacts"][name]["type"] == "cdk:asset-manifest":
            loaded = json.loads(
                (directory / manifest["artifacts"][name]["properties"]["file"]).read_text()
            )
            assets["files"].update(loaded.get("files", {}))
    return CloudAssembly(
        pattern_id=PATTERN_ID,
        stack_name=STACK_NAME,
        directory=directory,
        template=json.loads((directory / properties["templateFile"]).read_text()),
        assets=assets,
        bootstrap_version_parameter=properties.get("bootstrapStackVersionSsmParameter"),
        required_bootstrap_version=int(properties.get("requiresBootstrapStackVersion", 0)),
        _keepalive=keepalive,
    )
