"""A stack as deployed in the emulator: its resources by logical id, and its outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refarch.scenarios.target import find_resource

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator


@dataclass
class LocalResource:
    """One resource of the template, created in moto."""

    logical_id: str
    resource_type: str
    physical_id: str
    """What ``Ref`` returns: a bucket name, a queue URL, a topic ARN, a function name…"""

    attributes: dict[str, Any]
    """What ``Fn::GetAtt`` returns, by attribute name (``Arn``, ``QueueName``…)."""

    properties: dict[str, Any]
    """The resolved properties it was created with."""


@dataclass
class StackResources:
    """A deployed stack: find its resources by logical id (or prefix), read its outputs.

    What provisioners, event sources and reports read; ``LocalStack`` adds the handles a
    scenario drives the stack with.
    """

    pattern_id: str
    stack_name: str
    stack_id: str
    template: dict[str, Any]
    """The template as deployed (after any ``template_hook``)."""

    emulator: Emulator
    resources: dict[str, LocalResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Resources not created because their ``Condition`` is false, with the condition."""

    def resource(self, name: str) -> LocalResource:
        """Return a resource by logical id, by a unique logical-id prefix, or by physical id.

        CDK appends an 8-character hash to logical ids: ``resource("InputBucket")`` finds
        ``InputBucket35D89CB1``; otherwise a prefix must match exactly one resource.
        """
        return find_resource(self.resources, name, self.stack_name)

    def physical_id(self, name: str) -> str:
        """Return what ``Ref`` gives for a resource (see ``resource`` for the lookup)."""
        return self.resource(name).physical_id

    def of_type(self, resource_type: str) -> list[LocalResource]:
        """Return the resources of one type, in creation order."""
        return [r for r in self.resources.values() if r.resource_type == resource_type]

    def output(self, name: str) -> Any:
        """Return a stack output's value."""
        return self.outputs[name]
