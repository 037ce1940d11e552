"""Acknowledging cdk-nag findings, next to the resource they concern and with a reason."""

import json
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(
    construct: IConstruct,
    rule: str,
    reason: str,
    *,
    findings: Iterable[str] = (),
) -> None:
    """Suppress one cdk-nag rule on a construct and its children, with the reason a reviewer reads.

    cdk-nag 3 is a policy-validation plugin: suppressions are CDK acknowledgments, recorded in the
    construct's metadata and listed in `cdk.out/validation-report.json`.

    Parameters
    ----------
    construct:
        The resource (or the construct that owns it) the finding is about. Scope it as narrowly
        as the finding allows.
    rule:
        The rule id, e.g. ``AwsSolutions-IAM5``.
    reason:
        Why the finding is acceptable here; must say something specific.
    findings:
        For multi-finding rules, the individual findings to suppress, e.g.
        ``["Action::xray:PutTraceSegments"]``: only those are acknowledged, so a new wildcard
        added later is still reported.

    Example
    -------
    >>> acknowledge(role, "AwsSolutions-IAM5", "X-Ray has no resource-level permissions",
    ...             findings=["Resource::*"])  # doctest: +SKIP
    """
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule} needs a real reason, got {reason!r}")
    ids = [f"{rule}[{finding}]" for finding in findings] or [rule]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))


def nag_finding_text(value: Any) -> str:
    """Render a resolved intrinsic the way cdk-nag writes it in a finding id."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(nag_finding_text(part) for part in parts)
    # Other intrinsics (Fn::Select ...) appear as their compact JSON.
    return json.dumps(value, separators=(",", ":"))
