"""The AWS-published Lambda layers the local runner knows, and what stands in for each locally.

A layer is code from another account; locally there is nothing to download. Each known layer
names its local equivalent: Powertools is the ``aws-lambda-powertools`` release pinned for tests
(the same release the layer version ships), Lambda Insights is emulated by the runtime (it
writes a performance record to ``/aws/lambda-insights`` under the function's role, as the
extension does). A layer the runner does not know fails the deploy with its ARN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from refarch.local.errors import DeployError


@dataclass(frozen=True)
class KnownLayer:
    """A family of AWS-published layers, recognised by ARN."""

    name: str
    """What it is, for the trace."""

    arn_pattern: re.Pattern[str]
    """Matches the layer version ARNs of the family; groups ``arch`` and ``python`` if present."""

    local_equivalent: str
    """What the local runner uses instead of the layer's code."""

    is_insights_extension: bool = False
    """The Lambda Insights extension: the runtime emulates what it writes."""


KNOWN_LAYERS: tuple[KnownLayer, ...] = (
    KnownLayer(
        name="Powertools for AWS Lambda (Python) v3",
        arn_pattern=re.compile(
            r"^arn:aws[\w-]*:lambda:[\w-]+:017000801446:layer:"
            r"AWSLambdaPowertoolsPythonV3-(?P<python>python3\d+)-(?P<arch>arm64|x86_64):\d+$"
        ),
        local_equivalent="the aws-lambda-powertools package installed with refarch",
    ),
    KnownLayer(
        name="CloudWatch Lambda Insights extension",
        arn_pattern=re.compile(
            r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:layer:LambdaInsightsExtension(?P<arch>-Arm64)?:\d+$"
        ),
        local_equivalent="a performance record written to /aws/lambda-insights by the runtime",
        is_insights_extension=True,
    ),
)


@dataclass(frozen=True)
class LayerMatch:
    """One layer version ARN of a function, recognised."""

    arn: str
    layer: KnownLayer
    architecture: str | None
    """``arm64`` or ``x86_64`` when the ARN names one."""

    python: str | None
    """E.g. ``python313`` when the ARN names a runtime."""


def identify_layer(arn: str) -> LayerMatch | None:
    """Return the known layer an ARN belongs to, or None."""
    for layer in KNOWN_LAYERS:
        match = layer.arn_pattern.match(arn)
        if match is None:
            continue
        groups = match.groupdict()
        arch = groups.get("arch")
        if layer.is_insights_extension:
            arch = "arm64" if arch else "x86_64"
        return LayerMatch(arn=arn, layer=layer, architecture=arch, python=groups.get("python"))
    return None


def resolve_layers(arns: list[str]) -> list[LayerMatch]:
    """Recognise every layer of a function; raise on an unknown one.

    Raises:
        DeployError: A layer ARN matches no known layer (the runner has no local equivalent).
    """
    matches = []
    for arn in arns:
        match = identify_layer(arn)
        if match is None:
            raise DeployError(f"layer {arn} has no local equivalent (see lambda_runtime/layers.py)")
        matches.append(match)
    return matches


def compatibility_warnings(
    layers: list[LayerMatch], *, runtime: str, architecture: str
) -> list[str]:
    """Return why a layer would not load in the function's runtime or architecture, if so.

    Lambda does not check this when the function is created, so deploy succeeds and the function
    fails at import time (compiled dependencies) or later: the runner reports it instead.
    """
    warnings = []
    for match in layers:
        if match.architecture and match.architecture != architecture:
            warnings.append(
                f"layer {match.arn} is built for {match.architecture}, "
                f"the function runs on {architecture}"
            )
        if match.python and match.python != runtime.replace(".", ""):
            warnings.append(f"layer {match.arn} is built for {match.python}, not {runtime}")
    return warnings
