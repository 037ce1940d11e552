"""Reading a synthesized template: references, names, plumbing, IAM grants, runtime resources."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from refarch.diagram.model import (
    HIDDEN_TYPES,
    NAMED_TYPES,
    RUNTIME_KINDS,
    Node,
    RuntimeKind,
)

# CDK appends an 8-character hexadecimal hash of the construct path to every logical id, also
# after a digit (``ModelLatencyP99E45D2A8C``).
_HASH_SUFFIX = re.compile(r"(?<=[A-Za-z0-9])[0-9A-F]{8}$")
# Words start at a capital after a lowercase letter (``DeadLetter``), at a capitalised word after
# a digit or an acronym (``S3Bucket``, ``XXErrors``); a digit keeps the acronym it starts
# (``Invocation5XXErrors`` -> ``Invocation5XX Errors``).
_WORD_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")
# IAM action verbs that change the resource: the function "writes" to it.
_WRITE_VERBS = ("Put", "Send", "Publish", "Write", "Create", "Update", "Delete", "Abort")


def readable_name(logical_id: str) -> str:
    """Make a logical id readable: drop CDK's hash suffix and split the words.

    Example:
        >>> readable_name("CsvValidatorDeadLetterQueue3F370580")
        'Csv Validator Dead Letter Queue'
    """
    return _WORD_BOUNDARY.sub(" ", _HASH_SUFFIX.sub("", logical_id))


def references(value: Any) -> set[str]:
    """Every logical id a template value refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) else str(item).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)))
                found.update(references(item))
            else:
                found.update(references(item))
    elif isinstance(value, list):
        for item in value:
            found.update(references(item))
    return found


def _reference(value: Any, resources: Mapping[str, Any]) -> str | None:
    """The single resource a value refers to, if it refers to exactly one of the template's."""
    ids = sorted(r for r in references(value) if r in resources)
    return ids[0] if len(ids) == 1 else None


def _props(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("Properties") or {}


def _of_type(resources: Mapping[str, Any], *types: str) -> Iterator[tuple[str, Mapping]]:
    for logical_id in sorted(resources):
        if resources[logical_id].get("Type") in types:
            yield logical_id, resources[logical_id]


_PROVIDER_PARTS = ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")


def _providers(resources: Mapping[str, Any]) -> set[str]:
    """What backs custom resources (CDK's notification handler, auto-delete, ...).

    The function a custom resource's ``ServiceToken`` names and, for CDK's provider framework,
    what that function names in its environment (the user handlers, the waiter state machine)
    and the functions the waiter's definition names; then the log groups of all of these.
    """
    found: set[str] = set()
    for resource in resources.values():
        resource_type = resource.get("Type", "")
        if resource_type.startswith("Custom::") or resource_type == (
            "AWS::CloudFormation::CustomResource"
        ):
            found.update(references(_props(resource).get("ServiceToken")))
    pending = sorted(found)
    while pending:
        props = _props(resources.get(pending.pop(), {}))
        linked = references((props.get("Environment") or {}).get("Variables"))
        linked |= references(props.get("DefinitionString")) | references(props.get("Definition"))
        for target in sorted(linked - found):
            if resources.get(target, {}).get("Type") in _PROVIDER_PARTS:
                found.add(target)
                pending.append(target)
    for logical_id, resource in _of_type(resources, "AWS::Logs::LogGroup"):
        if references(_props(resource).get("LogGroupName")) & found:
            found.add(logical_id)
    for logical_id in sorted(found):
        log_config = _props(resources.get(logical_id, {})).get("LoggingConfig") or {}
        found.update(references(log_config.get("LogGroup")) & set(resources))
    return found


def _is_hidden(logical_id: str, resource: Mapping[str, Any], providers: set[str]) -> bool:
    resource_type = resource.get("Type", "")
    return (
        resource_type in HIDDEN_TYPES
        or resource_type.startswith("Custom::")
        or logical_id in providers
    )


def _named(resources: Mapping[str, Any]) -> dict[str, Any]:
    """Logical id -> name value of every resource of `NAMED_TYPES` that has one."""
    names = {}
    for logical_id, resource in sorted(resources.items()):
        named = NAMED_TYPES.get(resource.get("Type", ""))
        if named and _props(resource).get(named.name_property) not in (None, ""):
            names[logical_id] = _props(resource)[named.name_property]
    return names


def _mentions(value: Any, name: Any) -> bool:
    """Whether a template value names `name` anywhere inside it.

    The same value (a literal, or the intrinsic that builds the name), or a literal name between
    ARN separators (``model-package/<name>/*``).
    """
    if value == name:
        return True
    if isinstance(value, str):
        return isinstance(name, str) and bool(
            re.search(rf"(?:^|[/:]){re.escape(name)}(?:$|[/:])", value)
        )
    if isinstance(value, Mapping):
        return any(_mentions(item, name) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, name) for item in value)
    return False


@dataclass(frozen=True)
class _Runtime:
    """A resource created at runtime: its node, its name and the functions that create it."""

    node: Node
    name: str
    spec: RuntimeKind
    creators: tuple[str, ...]


def _literal_arn_name(resource: Any, arn_type: str) -> str | None:
    """The literal name at the end of an ARN ``...:<arn_type>/<name>``, if it has one.

    None when the ARN is of another type, or its name holds a wildcard or an intrinsic.
    """
    if isinstance(resource, Mapping) and "Fn::Join" in resource:
        separator, parts = resource["Fn::Join"]
        text = separator.join(p if isinstance(p, str) else "\0" for p in parts)
    elif isinstance(resource, str):
        text = resource
    else:
        return None
    marker = f":{arn_type}/"
    if marker not in text:
        return None
    name = text.rsplit(marker, 1)[1]
    return name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", name) else None


def _actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in _as_list(statement.get("Action") or [])]


def _runtime_resources(resources: Mapping[str, Any]) -> list[_Runtime]:
    """Resources of `RUNTIME_KINDS` that a drawn function's role may create by a literal name."""
    providers = _providers(resources)
    found: dict[tuple[RuntimeKind, str], list[str]] = {}
    for logical_id, resource in _of_type(resources, "AWS::Lambda::Function"):
        if _is_hidden(logical_id, resource, providers):
            continue
        role = _reference(_props(resource).get("Role"), resources)
        for statement in _role_statements(resources, role):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            actions = _actions(statement)
            for spec in RUNTIME_KINDS:
                if spec.action not in actions:
                    continue
                for arn in _as_list(statement.get("Resource")):
                    name = _literal_arn_name(arn, spec.arn_type)
                    creators = found.setdefault((spec, name), []) if name else None
                    if creators is not None and logical_id not in creators:
                        creators.append(logical_id)
    return [
        _Runtime(
            node=Node(
                id=f"runtime:{spec.arn_type}/{name}",
                name=name,
                kind=spec.kind,
                details=("created at runtime,", "not by CloudFormation"),
                resource_type=spec.resource_type,
            ),
            name=name,
            spec=spec,
            creators=tuple(sorted(creators)),
        )
        for (spec, name), creators in sorted(
            found.items(), key=lambda item: (item[0][0].arn_type, item[0][1])
        )
    ]


def _role_statements(resources: Mapping[str, Any], role: str | None) -> list[Mapping[str, Any]]:
    """The IAM statements granted to a role, inline or through attached AWS::IAM::Policy."""
    if role is None:
        return []
    documents = [
        policy.get("PolicyDocument", {})
        for policy in _props(resources.get(role, {})).get("Policies", [])
    ]
    for _, policy in _of_type(resources, "AWS::IAM::Policy"):
        if role in references(_props(policy).get("Roles")):
            documents.append(_props(policy).get("PolicyDocument", {}))
    statements: list[Mapping[str, Any]] = []
    for document in documents:
        found = document.get("Statement", [])
        statements.extend(found if isinstance(found, list) else [found])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class _Access:
    """What a role's IAM statements allow on one resource."""

    writes: bool
    reads: bool
    write_patterns: frozenset[str]
    """Key patterns of the write grants on the resource (``curated/*``)."""
    read_patterns: frozenset[str]
    write_actions: frozenset[str]
    """The write actions, without their service prefix (``CreatePartition``)."""


def _access(statements: list[Mapping[str, Any]], target: str) -> _Access:
    """Read and write grants on the target, with their key patterns (from ``Fn::Join`` ARNs)."""
    writes = reads = False
    patterns: dict[bool, set[str]] = {True: set(), False: set()}
    write_actions: set[str] = set()
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        on_target = [r for r in _as_list(statement.get("Resource")) if target in references(r)]
        if not on_target:
            continue
        actions = [str(a).split(":", 1)[-1] for a in _as_list(statement.get("Action"))]
        # ``BatchCreatePartition`` creates, like ``CreatePartition``.
        written = [a for a in actions if a.removeprefix("Batch").startswith(_WRITE_VERBS)]
        is_write = bool(written)
        writes, reads = writes or is_write, reads or not is_write
        write_actions.update(written)
        for resource in on_target:
            parts = resource.get("Fn::Join", ["", []])[1] if isinstance(resource, dict) else []
            patterns[is_write].update(
                p.lstrip("/") for p in parts if isinstance(p, str) and p != ""
            )
    return _Access(
        writes=writes,
        reads=reads,
        write_patterns=frozenset(patterns[True]),
        read_patterns=frozenset(p for p in patterns[False] if ":" not in p),
        write_actions=frozenset(write_actions),
    )


def _access_label(statements: list[Mapping[str, Any]], target: str) -> str | None:
    """The access IAM grants on the target: "writes" or "reads", plus the key patterns."""
    access = _access(statements, target)
    if not (access.writes or access.reads):
        return None
    verb = "writes" if access.writes else "reads"
    return f"{verb} {', '.join(sorted(access.write_patterns))}".rstrip()
