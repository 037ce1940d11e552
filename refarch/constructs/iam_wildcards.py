"""Acknowledging an action granted on ``Resource: "*"`` on purpose, next to the grant.

``refarch check`` (``refarch.iam_findings``) reports ``*`` for an action that has resource types in
the Service Authorization Reference unless the role holding the grant acknowledges that action.
The acknowledgment is template metadata on the role (``refarch:iam-wildcards``), so it travels with
the synthesized template and a reviewer reads it where the grant is made.
"""

from collections.abc import Sequence

from aws_cdk import aws_iam as iam

from refarch.constructs.role_acknowledgments import add_role_acknowledgment
from refarch.iam_findings import WILDCARD_METADATA


def acknowledge_wildcard(role: iam.Role, actions: Sequence[str], reason: str) -> None:
    """Record that ``role`` is granted ``actions`` on ``*`` on purpose.

    Scoped to the named actions of this role's policies: another action on ``*``, or the same
    action on another role, is still reported.

    Example:
        >>> acknowledge_wildcard(role, ["cloudwatch:PutMetricData"],
        ...     "Publishes to one namespace, which the condition fixes")  # doctest: +SKIP
    """
    add_role_acknowledgment(role, WILDCARD_METADATA, actions, reason, what="on *")
