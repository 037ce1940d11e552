"""What happens to stateful resources when a stack is deleted."""

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from constructs import Construct

#: Context key that switches stateful resources to destroy-on-delete, for demos and CI accounts.
DESTROY_CONTEXT_KEY = "destroy"


@dataclass(frozen=True)
class StatefulRemoval:
    """How stateful resources (buckets, queues, log groups, keys) behave on stack deletion."""

    policy: RemovalPolicy
    """RETAIN keeps the data after `cdk destroy`; DESTROY deletes it."""

    auto_delete_objects: bool
    """Empty buckets before deleting them (only meaningful with DESTROY)."""


def stateful_removal(scope: Construct) -> StatefulRemoval:
    """Read `-c destroy=true` from the context: data is kept by default.

    A deployer's data outlives the stack unless they ask otherwise, so the default is RETAIN;
    `cdk deploy -c destroy=true` is for throw-away demo accounts.
    """
    raw = scope.node.try_get_context(DESTROY_CONTEXT_KEY)
    destroy = str(raw).lower() == "true" if raw is not None else False
    if destroy:
        return StatefulRemoval(policy=RemovalPolicy.DESTROY, auto_delete_objects=True)
    return StatefulRemoval(policy=RemovalPolicy.RETAIN, auto_delete_objects=False)
