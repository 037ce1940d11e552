"""Evaluate CloudFormation intrinsic functions, conditions and pseudo parameters.

Supported: ``Ref`` (pseudo parameters, parameters, resources), ``Fn::GetAtt``, ``Fn::Join``,
``Fn::Sub``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::If`` with the ``Conditions``
section (``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``), ``Fn::Base64``,
``Fn::GetAZs``, ``Fn::ImportValue`` (exports of stacks deployed in the same emulator), and the
rule functions ``Fn::Contains``/``Fn::EachMemberEquals``/``Fn::EachMemberIn``. Anything else
raises ``TemplateError`` with its name.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from refarch.local.errors import TemplateError

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class _NoValue:
    """``Ref: AWS::NoValue``: the property is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def _is_intrinsic(value: Any, *, in_condition: bool = False) -> bool:
    # {"Condition": name} is an intrinsic only inside conditions; elsewhere it is a property.
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::") or (in_condition and key == "Condition")


def references(value: Any) -> Iterator[str]:
    """Yield every logical id a value refers to (``Ref``, ``Fn::GetAtt``, ``${…}`` in ``Fn::Sub``).

    Pseudo parameters are not yielded; parameters are (callers filter by what they hold).
    """
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    if _is_intrinsic(value):
        name, arg = next(iter(value.items()))
        if name == "Ref" and isinstance(arg, str):
            if arg not in PSEUDO_PARAMETERS:
                yield arg
            return
        if name == "Fn::GetAtt":
            target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
            yield target
            return
        if name == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for variable in _SUB_VARIABLE.findall(text):
                head = variable.split(".", 1)[0]
                if variable.startswith("!") or head in variables or variable in PSEUDO_PARAMETERS:
                    continue
                yield head
            yield from references(variables)
            return
    for item in value.values():
        yield from references(item)


class Resolver:
    """Resolve template values against the stack's parameters and the resources created so far.

    Parameters
    ----------
    template:
        The template (Mappings and Conditions are read from it).
    pseudo:
        Values of the pseudo parameters (account, region, partition, stack name and id).
    parameters:
        Parameter values, after defaults and SSM lookups.
    physical_id:
        Logical id -> ``Ref`` value of a created resource (raises if not created).
    attribute:
        (logical id, attribute) -> ``Fn::GetAtt`` value (raises if unknown).
    exports:
        Export name -> value, for ``Fn::ImportValue``.
    """

    def __init__(
        self,
        *,
        template: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        parameters: Mapping[str, Any],
        physical_id: Callable[[str], Any],
        attribute: Callable[[str, str], Any],
        exports: Mapping[str, Any],
    ) -> None:
        self._template = template
        self._pseudo = pseudo
        self._parameters = parameters
        self._physical_id = physical_id
        self._attribute = attribute
        self._exports = exports
        self._conditions: dict[str, bool] = {}

    def resolve(self, value: Any) -> Any:
        """Return ``value`` with every intrinsic evaluated and ``AWS::NoValue`` removed."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if _is_intrinsic(value):
            name, arg = next(iter(value.items()))
            return self._intrinsic(name, arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """Evaluate a named condition of the ``Conditions`` section (memoized)."""
        if name not in self._conditions:
            conditions = self._template.get("Conditions", {})
            if name not in conditions:
                raise TemplateError(f"condition {name} is not defined")
            self._conditions[name] = bool(self._boolean(conditions[name]))
        return self._conditions[name]

    def assertion(self, value: Any) -> bool:
        """Evaluate a rule assertion (``Rules`` section)."""
        return bool(self._boolean(value))

    def _boolean(self, value: Any) -> Any:
        if _is_intrinsic(value, in_condition=True):
            name, arg = next(iter(value.items()))
            if name == "Condition":
                return self.condition(arg)
            if name == "Fn::Equals":
                left, right = (self._boolean(v) for v in arg)
                return str(left) == str(right)
            if name == "Fn::Not":
                return not self._boolean(arg[0])
            if name == "Fn::And":
                return all(self._boolean(v) for v in arg)
            if name == "Fn::Or":
                return any(self._boolean(v) for v in arg)
            if name == "Fn::Contains":
                haystack, needle = self._boolean(arg[0]), self._boolean(arg[1])
                return str(needle) in [str(item) for item in haystack]
            if name == "Fn::EachMemberEquals":
                members, expected = self._boolean(arg[0]), self._boolean(arg[1])
                return all(str(m) == str(expected) for m in members)
            if name == "Fn::EachMemberIn":
                members, allowed = self._boolean(arg[0]), self._boolean(arg[1])
                return all(str(m) in [str(a) for a in allowed] for m in members)
        if isinstance(value, list):
            return [self._boolean(v) for v in value]
        return self.resolve(value)

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        if name in self._template.get("Resources", {}):
            return self._physical_id(name)
        raise TemplateError(f"Ref to {name}: no such parameter, pseudo parameter or resource")

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            logical_id, attribute = arg.split(".", 1)
        else:
            logical_id, attribute = arg[0], self.resolve(arg[1])
        if logical_id not in self._template.get("Resources", {}):
            raise TemplateError(f"Fn::GetAtt on {logical_id}: no such resource")
        return self._attribute(logical_id, attribute)

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable.startswith("!"):
                return "${" + variable[1:] + "}"
            if variable in variables:
                return str(variables[variable])
            if "." in variable and variable not in self._pseudo:
                return str(self._get_att(variable))
            return str(self._ref(variable))

        return _SUB_VARIABLE.sub(replace, text)

    def _intrinsic(self, name: str, arg: Any) -> Any:
        if name == "Ref":
            return self._ref(arg)
        if name == "Fn::GetAtt":
            return self._get_att(arg)
        if name == "Fn::Sub":
            return self._sub(arg)
        if name == "Fn::Join":
            separator, items = arg[0], self.resolve(arg[1])
            return str(separator).join(str(item) for item in items)
        if name == "Fn::Select":
            index, items = int(self.resolve(arg[0])), self.resolve(arg[1])
            return items[index]
        if name == "Fn::Split":
            separator, text = arg[0], self.resolve(arg[1])
            return str(text).split(separator)
        if name == "Fn::FindInMap":
            return self._find_in_map(arg)
        if name == "Fn::If":
            condition, if_true, if_false = arg
            return self.resolve(if_true if self.condition(condition) else if_false)
        if name == "Fn::Base64":
            return base64.b64encode(str(self.resolve(arg)).encode()).decode()
        if name == "Fn::GetAZs":
            region = self.resolve(arg) or self._pseudo["AWS::Region"]
            return [f"{region}{zone}" for zone in "abc"]
        if name == "Fn::ImportValue":
            export = self.resolve(arg)
            if export not in self._exports:
                raise TemplateError(f"Fn::ImportValue {export}: no stack exports it")
            return self._exports[export]
        if name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"):
            return self._boolean({name: arg})
        raise TemplateError(f"intrinsic function {name} is not supported by the local runner")

    def _find_in_map(self, arg: list[Any]) -> Any:
        map_name, top, second = (self.resolve(part) for part in arg[:3])
        mapping = self._template.get("Mappings", {}).get(map_name)
        if mapping is None:
            raise TemplateError(f"Fn::FindInMap: no mapping {map_name}")
        try:
            return mapping[top][second]
        except KeyError:
            default = arg[3].get("DefaultValue") if len(arg) > 3 else None
            if default is not None:
                return self.resolve(default)
            raise TemplateError(f"Fn::FindInMap: {map_name} has no [{top}][{second}]") from None
