"""The provisioner registry: one function per resource type, looked up by type name.

A provisioner receives the resource's resolved properties, creates the resource in moto with
the deployer's clients, and returns what ``Ref`` and ``Fn::GetAtt`` give for it. It must apply
every property or name it in ``ignored`` with the reason it cannot matter locally: a property it
does not know raises ``UnsupportedPropertyError`` rather than deploy something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from refarch.local.errors import UnsupportedPropertyError, UnsupportedResourceTypeError
from refarch.local.names import physical_name

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator
    from refarch.local.stack_resources import StackResources

#: The type CloudFormation gives custom resources that do not name their own ``Custom::`` type.
CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


@dataclass(frozen=True)
class ProvisionRequest:
    """One resource to create: its logical id, type and resolved properties."""

    logical_id: str
    resource_type: str
    properties: dict[str, Any]
    stack: StackResources

    @property
    def emulator(self) -> Emulator:
        """The emulator the stack is deployed in."""
        return self.stack.emulator

    def client(self, service: str) -> Any:
        """Return the deployer's boto3 client for ``service``."""
        return self.emulator.client(service)

    def name(self, prop: str | None, *, max_length: int = 64, lowercase: bool = False) -> str:
        """Return the name property's value if the template sets it, else a generated name."""
        if prop and self.properties.get(prop):
            return str(self.properties[prop])
        return physical_name(
            self.stack.stack_name, self.logical_id, max_length=max_length, lowercase=lowercase
        )

    def only(self, handled: Iterable[str], ignored: Mapping[str, str] | None = None) -> None:
        """Fail unless every property is ``handled`` or ``ignored`` (name -> why it may be).

        Raises:
            UnsupportedPropertyError: A property is neither handled nor ignored.
        """
        known = set(handled) | set(ignored or {})
        unknown = [name for name in self.properties if name not in known]
        if unknown:
            raise UnsupportedPropertyError(self.resource_type, self.logical_id, unknown)

    def tags(self) -> list[dict[str, str]]:
        """Return the ``Tags`` property as ``[{"Key": …, "Value": …}]``."""
        return [
            {"Key": t["Key"], "Value": str(t["Value"])} for t in self.properties.get("Tags", [])
        ]


@dataclass(frozen=True)
class Provisioned:
    """What a provisioner created."""

    physical_id: str
    """The ``Ref`` value."""

    attributes: dict[str, Any] = field(default_factory=dict)
    """The ``Fn::GetAtt`` values by attribute name."""

    note: str = ""
    """Anything the trace should say about it (e.g. a layer compatibility warning)."""

    deferred: Callable[[], None] | None = None
    """A step to run once every resource exists (see the S3 bucket's logging configuration)."""


Provisioner = Callable[[ProvisionRequest], Provisioned]
_PROVISIONERS: dict[str, Provisioner] = {}


def provisioner(*resource_types: str) -> Callable[[Provisioner], Provisioner]:
    """Register the decorated function as the provisioner of ``resource_types``."""

    def register(function: Provisioner) -> Provisioner:
        for resource_type in resource_types:
            if resource_type in _PROVISIONERS:
                raise ValueError(f"two provisioners for {resource_type}")
            _PROVISIONERS[resource_type] = function
        return function

    return register


def provisioner_for(resource_type: str, logical_id: str) -> Provisioner:
    """Return the provisioner of a type; ``Custom::*`` types share the custom-resource one.

    Raises:
        UnsupportedResourceTypeError: No provisioner covers the type.
    """
    if resource_type in _PROVISIONERS:
        return _PROVISIONERS[resource_type]
    if resource_type.startswith("Custom::") and CUSTOM_RESOURCE in _PROVISIONERS:
        return _PROVISIONERS[CUSTOM_RESOURCE]
    raise UnsupportedResourceTypeError(resource_type, logical_id)


def supported_types() -> list[str]:
    """Return every resource type with a provisioner, sorted."""
    return sorted(_PROVISIONERS)
