"""AWS managed policies (``arn:aws:iam::aws:policy/…``), added to moto when a stack attaches one.

moto ships the documents of every AWS managed policy but loads them only when asked, and then
into every IAM backend it creates (a dozen parses of a multi-megabyte JSON per run). The runner
adds just the policies the stack (or the deployer) attaches, from the same bundled documents.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends

from refarch.local.errors import DeployError


@functools.cache
def _documents() -> dict[str, Any]:
    return json.loads(aws_managed_policies_data)


def ensure_aws_managed_policy(arn: str, *, account_id: str, region: str, partition: str) -> None:
    """Make ``arn`` attachable in moto's IAM backend if it names an AWS managed policy.

    Customer managed policies (an account id instead of ``aws``) are left alone: the stack
    creates those itself.

    Raises:
        DeployError: The ARN names an AWS managed policy moto has no document for.
    """
    if ":iam::aws:policy/" not in arn:
        return
    backend = iam_backends[account_id][partition]
    if arn in backend.managed_policies:
        return
    name = arn.rsplit("/", 1)[-1]
    data = _documents().get(name)
    if data is None:
        raise DeployError(f"AWS managed policy {arn} is unknown to moto")
    policy = AWSManagedPolicy.from_data(name, account_id, region, data)
    if policy.arn != arn:
        raise DeployError(f"AWS managed policy {arn} is {policy.arn} in moto's data")
    backend.managed_policies[arn] = policy
