"""Synthesize a pattern into a cloud assembly and read back what deploy needs from it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CloudAssembly:
    """One stack of a synthesized cloud assembly: its template, asset manifest and directory."""

    pattern_id: str
    stack_name: str
    directory: Path
    """The assembly directory (``cdk.out``): asset paths in the manifest are relative to it."""

    template: dict[str, Any]
    """The stack's CloudFormation template, as synthesized (deploy works on a copy)."""

    assets: dict[str, Any]
    """The stack's asset manifest (``<Stack>.assets.json``): files and images to publish."""

    bootstrap_version_parameter: str | None
    """The SSM parameter deploy reads the bootstrap version from."""

    required_bootstrap_version: int
    """The lowest bootstrap version the assets need."""

    _keepalive: Any = field(default=None, repr=False)
    """Holds the temporary directory, so it lives as long as this object."""


def synthesize(
    pattern_id: str,
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | Path | None = None,
) -> CloudAssembly:
    """Synthesize one pattern (cdk-nag included) and load its stack from the cloud assembly.

    Parameters
    ----------
    pattern_id:
        A catalog id, e.g. ``s3-event-processing``.
    context:
        Extra CDK context, merged over ``cdk.json``'s.
    outdir:
        Where to write the assembly; a temporary directory (removed with the object) by default.

    Example
    -------
    >>> assembly = synthesize("s3-event-processing")  # doctest: +SKIP
    >>> sorted(assembly.template["Resources"])[:1]  # doctest: +SKIP
    ['AccessLogsBucketCD784A59']
    """
    # Imported here: loading aws-cdk-lib starts jsii, which must see the PATH set above.
    from refarch.cdk_app import build_app

    keepalive = None
    if outdir is None:
        keepalive = tempfile.TemporaryDirectory(prefix=f"refarch-{pattern_id}-")
        outdir = keepalive.name
    directory = Path(outdir)
    build_app(pattern_id, context=context, outdir=str(directory)).synth()
    assembly = read_assembly(pattern_id, directory)
    assembly._keepalive = keepalive
    return assembly


def read_assembly(pattern_id: str, directory: str | Path) -> CloudAssembly:
    """Load a pattern's stack from a cloud assembly synthesized earlier into ``directory``."""
    from refarch.catalog import get

    pattern = get(pattern_id)
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    artifacts = manifest["artifacts"]
    stack = next(
        artifact
        for artifact in artifacts.values()
        if artifact["type"] == "aws:cloudformation:stack"
        and artifact.get("displayName", "") == pattern.stack_name
    )
    properties = stack["properties"]
    asset_manifests = [
        artifacts[name]["properties"]
        for name in stack.get("dependencies", [])
        if artifacts[name]["type"] == "cdk:asset-manifest"
    ]
    assets: dict[str, Any] = {"files": {}, "dockerImages": {}}
    for asset_manifest in asset_manifests:
        loaded = json.loads((directory / asset_manifest["file"]).read_text())
        assets["files"].update(loaded.get("files", {}))
        assets["dockerImages"].update(loaded.get("dockerImages", {}))
    return CloudAssembly(
        pattern_id=pattern_id,
        stack_name=pattern.stack_name,
        directory=directory,
        template=json.loads((directory / properties["templateFile"]).read_text()),
        assets=assets,
        bootstrap_version_parameter=properties.get("bootstrapStackVersionSsmParameter"),
        required_bootstrap_version=int(properties.get("requiresBootstrapStackVersion", 0)),
    )
