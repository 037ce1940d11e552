"""Acknowledging a granted action the local run cannot exercise, next to the grant.

Each local run records which granted actions each role used (``refarch.local.access_record``);
``tests/local/test_iam_unused_access.py`` fails on an action a role is granted and the scenario
never exercises, unless the role acknowledges it here with the reason: a failure path the
scenario cannot reach, a call AWS makes only at deploy time, a grant kept for a documented
reason. The acknowledgment is template metadata on the role (``refarch:iam-unexercised``), as
``iam_wildcards`` does for ``*``, so a reviewer reads it where the grant is made.
"""

from collections.abc import Sequence

from aws_cdk import aws_iam as iam

from refarch.constructs.role_acknowledgments import add_role_acknowledgment
from refarch.iam_unused import UNEXERCISED_METADATA


def acknowledge_unexercised(role: iam.IRole, actions: Sequence[str], reason: str) -> None:
    """Record that ``role``'s grant of ``actions`` is not exercised by the local run, and why.

    ``actions`` are the ``Action`` entries as the role's policy writes them (``s3:Abort*``).
    Scoped to this role: the same action granted to another role is still reported.

    Example:
        >>> acknowledge_unexercised(role, ["sqs:SendMessage"],
        ...     "DLQ send on a poison message, which the scenario never sends")  # doctest: +SKIP
    """
    add_role_acknowledgment(role, UNEXERCISED_METADATA, actions, reason, what="as unexercised")
