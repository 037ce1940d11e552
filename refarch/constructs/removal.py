"""What happens to stateful resources when a stack is deleted."""

from dataclasses import dataclass

from aws_cdk import Fn, RemovalPolicy, Stack
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


def deployment_unique_name(scope: Construct, label: str) -> str:
    """A name that is new for every creation of the stack: ``<stack>-<label>-<8 hex digits>``.

    For resources whose name is fixed or required (an Athena workgroup needs one; Glue names
    its log groups after the security configuration). Such a resource kept on stack deletion
    keeps its name, and a redeploy under the same name would fail with "already exists"; the
    suffix, taken from the CloudFormation stack id, differs on every stack creation and stays
    the same on updates.
    """
    stack = Stack.of(scope)
    stack_uuid = Fn.select(2, Fn.split("/", stack.stack_id))
    return Fn.join("-", [stack.stack_name, label, Fn.select(0, Fn.split("-", stack_uuid))])
