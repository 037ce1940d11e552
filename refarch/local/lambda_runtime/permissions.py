"""A function's resource policy (its ``AWS::Lambda::Permission`` statements), evaluated.

AWS services invoke a function under their service principal; the function's resource policy
must allow ``lambda:InvokeFunction`` for that principal, with ``SourceArn`` and
``SourceAccount`` conditions matching the emitting resource. S3 checks it twice: when the
notification is configured (destination validation) and when it delivers an event.
"""

from __future__ import annotations

from typing import Any

from refarch.local.policy_conditions import resource_policy_allows


def allows_invoke(
    policy: str | dict[str, Any], *, principal: str, source_arn: str, source_account: str
) -> bool:
    """Return True if the resource policy lets ``principal`` invoke for ``source_arn``.

    Example:
        >>> statement = {"Effect": "Allow", "Action": "lambda:InvokeFunction",
        ...              "Principal": {"Service": "s3.amazonaws.com"},
        ...              "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::in"}}}
        >>> allows_invoke({"Statement": [statement]}, principal="s3.amazonaws.com",
        ...               source_arn="arn:aws:s3:::in", source_account="123456789012")
        True
    """
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account}
    return resource_policy_allows(
        policy, action="lambda:InvokeFunction", principal=principal, context=context
    )
