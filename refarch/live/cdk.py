"""Deploy and destroy one pattern's stack with the pinned CDK CLI, tagged with the run id.

``npx cdk`` runs the CLI ``package.json`` pins, from the repository root (``cdk.json``'s app).
``-c patterns=<id>`` synthesizes only that pattern; ``-c destroy=true`` switches its stateful
resources to delete-on-destroy and empties its buckets first (``refarch.constructs.removal``), so
``cdk destroy`` leaves nothing behind. ``--tags`` puts the run id on the stack, and CloudFormation
propagates stack tags to the resources that support tags
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from refarch import REPO_ROOT
from refarch.catalog import Pattern
from refarch.live.account import Account
from refarch.scenarios.target import RUN_TAG, DeployedResource, Resource

#: The context key of ``refarch.constructs.removal`` (not imported: it loads aws-cdk-lib).
DESTROY_CONTEXT_KEY = "destroy"

#: Runs a command (argv, environment) and returns its exit status.
Runner = Callable[[Sequence[str], Mapping[str, str]], int]


#: A variant's CDK context (``-c fifo=true``): key -> value, as on the cdk command line.
Context = Mapping[str, str]
#: The default variant (no context beyond the pattern's own).
NO_CONTEXT: Context = MappingProxyType({})


class StackDeployer(Protocol):
    """Creates and deletes one pattern's stack (``cdk``; the tests provision on the emulator)."""

    def deploy(
        self, pattern: Pattern, run_id: str, account: Account, context: Context = NO_CONTEXT
    ) -> Mapping[str, Resource]:
        """Deploy the stack (the variant ``context`` selects); return its resources."""

    def destroy(
        self, pattern: Pattern, run_id: str, account: Account, context: Context = NO_CONTEXT
    ) -> None:
        """Delete the stack (and, with ``destroy=true``, its data)."""


#: Context keys a run sets itself: a variant may not change which stacks it deploys, or
#: whether ``cdk destroy`` deletes their data.
RESERVED_CONTEXT = ("patterns", DESTROY_CONTEXT_KEY)


def context_args(pattern: Pattern, context: Context) -> list[str]:
    """The ``-c`` arguments of a run: this pattern only, ``destroy=true``, then the variant's.

    Raises:
        ValueError: ``context`` sets a key the run sets itself (``RESERVED_CONTEXT``).
    """
    reserved = sorted(set(context) & set(RESERVED_CONTEXT))
    if reserved:
        raise ValueError(f"-c {', '.join(reserved)}: set by verify itself, not by a variant")
    args = ["-c", f"patterns={pattern.id}", "-c", f"{DESTROY_CONTEXT_KEY}=true"]
    for key, value in context.items():
        args += ["-c", f"{key}={value}"]
    return args


class CdkError(RuntimeError):
    """``cdk`` exited non-zero."""


def _run(argv: Sequence[str], env: Mapping[str, str]) -> int:
    return subprocess.run(list(argv), cwd=REPO_ROOT, env=dict(env), check=False).returncode


def stack_resources(cloudformation: object, stack_name: str) -> dict[str, DeployedResource]:
    """Read a deployed stack's resources (``ListStackResources``, every page) by logical id."""
    found: dict[str, DeployedResource] = {}
    paginator = cloudformation.get_paginator("list_stack_resources")  # type: ignore[attr-defined]
    for page in paginator.paginate(StackName=stack_name):
        for summary in page.get("StackResourceSummaries", []):
            if "PhysicalResourceId" not in summary:
                continue  # not created (a false Condition) or already deleted
            found[summary["LogicalResourceId"]] = DeployedResource(
                logical_id=summary["LogicalResourceId"],
                resource_type=summary["ResourceType"],
                physical_id=summary["PhysicalResourceId"],
            )
    return found


def stack_exists(account: Account, stack_name: str) -> bool:
    """True if the stack exists in the account/region (in any state but deleted)."""
    cloudformation = account.client("cloudformation")
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return False
        raise
    return any(s.get("StackStatus") != "DELETE_COMPLETE" for s in stacks)


@dataclass
class CdkDeployer:
    """``npx cdk deploy``/``destroy`` of one stack, in the account's region."""

    runner: Runner = _run
    cdk: Sequence[str] = ("npx", "--no-install", "cdk")

    def _context(self, pattern: Pattern, context: Context) -> list[str]:
        return context_args(pattern, context)

    def _env(self, account: Account) -> dict[str, str]:
        return {**os.environ, "AWS_REGION": account.region, "AWS_DEFAULT_REGION": account.region}

    def deploy(
        self, pattern: Pattern, run_id: str, account: Account, context: Context = NO_CONTEXT
    ) -> dict[str, DeployedResource]:
        """``cdk deploy <stack>``, tagged with the run id; return the deployed resources."""
        argv = [
            *self.cdk,
            "deploy",
            pattern.stack_name,
            *self._context(pattern, context),
            "--tags",
            f"{RUN_TAG}={run_id}",
            "--require-approval",
            "never",
        ]
        if self.runner(argv, self._env(account)) != 0:
            raise CdkError(f"cdk deploy {pattern.stack_name} failed (its output is above)")
        return stack_resources(account.client("cloudformation"), pattern.stack_name)

    def destroy(
        self, pattern: Pattern, run_id: str, account: Account, context: Context = NO_CONTEXT
    ) -> None:
        """``cdk destroy <stack> --force`` (with ``destroy=true``, buckets are emptied first)."""
        argv = [
            *self.cdk,
            "destroy",
            pattern.stack_name,
            *self._context(pattern, context),
            "--force",
        ]
        if self.runner(argv, self._env(account)) != 0:
            raise CdkError(f"cdk destroy {pattern.stack_name} failed (its output is above)")
