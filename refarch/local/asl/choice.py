"""Choice rules (JSONPath): comparisons, ``And``/``Or``/``Not``, type tests.

https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html. A comparison whose
``Variable`` selects nothing is a ``States.Runtime`` error, as in AWS; test it with
``IsPresent`` first. Timestamp comparisons are not supported here (none of the stacks uses
them) and fail loudly.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from refarch.local.asl.paths import UnsupportedPathError, is_present, select

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(kind: str, relation: str, value: Any, expected: Any) -> bool:
    """A typed comparison: a value of another type never matches (no coercion in ASL)."""
    if kind == "String":
        ok = isinstance(value, str) and isinstance(expected, str)
    elif kind == "Numeric":
        ok = _is_number(value) and _is_number(expected)
    else:  # Boolean
        ok = isinstance(value, bool) and isinstance(expected, bool) and relation == "Equals"
    return ok and _ORDER[relation](value, expected)


def _type_test(name: str, value: Any) -> bool:
    return {
        "IsNull": value is None,
        "IsString": isinstance(value, str),
        "IsNumeric": _is_number(value),
        "IsBoolean": isinstance(value, bool),
    }[name]


def evaluate(rule: Mapping[str, Any], data: Any, context: Any) -> bool:
    """Evaluate one Choice rule (or a nested boolean expression) against the state's input."""
    if "And" in rule:
        return all(evaluate(item, data, context) for item in rule["And"])
    if "Or" in rule:
        return any(evaluate(item, data, context) for item in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], data, context)
    variable = rule["Variable"]
    operators = [key for key in rule if key not in ("Variable", "Next")]
    if len(operators) != 1:
        raise UnsupportedPathError(f"Choice rule with operators {operators}")
    name = operators[0]
    expected = rule[name]
    if name == "IsPresent":
        return is_present(variable, data, context) == bool(expected)
    value = select(variable, data, context)
    if name in ("IsNull", "IsString", "IsNumeric", "IsBoolean"):
        return _type_test(name, value) == bool(expected)
    if name.endswith("Path"):
        expected = select(expected, data, context)
        name = name[: -len("Path")]
    for kind in ("String", "Numeric", "Boolean"):
        if name.startswith(kind) and name[len(kind) :] in _ORDER:
            return _compare(kind, name[len(kind) :], value, expected)
    raise UnsupportedPathError(f"Choice operator {name} is not supported by the local interpreter")
