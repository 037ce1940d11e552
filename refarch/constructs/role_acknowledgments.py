"""Acknowledgments written on an IAM role as template metadata, next to the grant they explain.

``iam_wildcards`` (a ``*`` kept on purpose) and ``iam_unexercised`` (a grant the local run cannot
exercise) both record ``{"actions": [...], "reason": "..."}`` entries under their own metadata
key on the role's ``AWS::IAM::Role``, so the acknowledgment travels with the synthesized template
and a reviewer reads it where the grant is made. ``refarch.iam_findings.acknowledged_actions``
reads them back.
"""

from collections.abc import Sequence

from aws_cdk import CfnResource
from aws_cdk import aws_iam as iam

from refarch.iam_findings import MIN_REASON


def add_role_acknowledgment(
    role: iam.IRole, key: str, actions: Sequence[str], reason: str, *, what: str
) -> None:
    """Append one acknowledgment of ``actions`` under ``key``; ``what`` names it in errors."""
    if len(reason.strip()) < MIN_REASON:
        raise ValueError(
            f"acknowledging {list(actions)} {what} needs a real reason, got {reason!r}"
        )
    if not actions:
        raise ValueError(f"name the actions acknowledged {what}")
    cfn = role.node.default_child
    assert isinstance(cfn, CfnResource)
    entries = list(cfn.get_metadata(key) or [])
    entries.append({"actions": list(actions), "reason": reason})
    cfn.add_metadata(key, entries)
