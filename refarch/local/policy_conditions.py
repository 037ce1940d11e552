"""Evaluate the ``Condition`` block of an IAM policy statement against a request context.

moto 5.2.5 evaluates only ``StringEquals`` and treats every other operator as satisfied, so the
TLS-only ``Deny`` that every bucket policy here carries (``Bool aws:SecureTransport false``) would
deny every request. This evaluator follows the IAM reference instead: a missing key makes a
condition false (unless ``...IfExists`` or ``Null``), negated operators hold when no value
matches, ``ForAnyValue:``/``ForAllValues:`` qualify multi-valued keys, and ``ArnLike`` compares
the six ARN components one by one. An operator it does not know raises, never passes silently.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from refarch.local.errors import LocalRunnerError

ContextValue = str | Sequence[str]


class UnsupportedConditionError(LocalRunnerError):
    """A policy uses a condition operator the local runner cannot evaluate."""


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Match an IAM wildcard pattern (``*`` any run of characters, ``?`` one character)."""
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=4096)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # Every request is checked against every statement of its caller's policies: the same few
    # hundred patterns, translated once each.
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _arn_like(pattern: str, value: str) -> bool:
    # Each of the six colon-delimited components is matched separately.
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != len(value_parts):
        return False
    return all(glob_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def match(expected: str, actual: str) -> bool:
        try:
            return compare(float(actual), float(expected))
        except ValueError:
            return False

    return match


def _ip_in(expected: str, actual: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


#: Positive operators: (expected, actual) -> match. Negated ones are listed in _NEGATIONS.
_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": glob_match,
    "ArnEquals": lambda e, a: e == a,
    "ArnLike": _arn_like,
    "Bool": lambda e, a: e.lower() == a.lower(),
    "NumericEquals": _numeric(lambda a, e: a == e),
    "NumericLessThan": _numeric(lambda a, e: a < e),
    "NumericLessThanEquals": _numeric(lambda a, e: a <= e),
    "NumericGreaterThan": _numeric(lambda a, e: a > e),
    "NumericGreaterThanEquals": _numeric(lambda a, e: a >= e),
    "IpAddress": _ip_in,
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "NotIpAddress": "IpAddress",
}


def _as_strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    # Condition keys are case-insensitive (aws:SourceArn and AWS:SourceArn are the same key).
    for name, value in context.items():
        if name.lower() == key.lower():
            return [value] if isinstance(value, str) else list(value)
    return None


def _key_holds(operator: str, expected: list[str], actual: list[str] | None) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base == "Null":
        absent = actual is None
        return any(absent == (e.lower() == "true") for e in expected)
    negated = base in _NEGATIONS
    matcher = _MATCHERS.get(_NEGATIONS.get(base, base))
    if matcher is None:
        raise UnsupportedConditionError(f"condition operator {operator} is not supported")
    if actual is None:
        # Absent keys: only ...IfExists and ForAllValues (vacuously) hold.
        return if_exists or qualifier == "ForAllValues"

    def value_holds(value: str) -> bool:
        matched = any(matcher(e, value) for e in expected)
        return not matched if negated else matched

    if qualifier == "ForAllValues":
        return all(value_holds(v) for v in actual)
    if negated and qualifier != "ForAnyValue":
        return all(value_holds(v) for v in actual)
    return any(value_holds(v) for v in actual)


def conditions_hold(
    conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, ContextValue]
) -> bool:
    """Return True when every operator and key of a ``Condition`` block holds in ``context``.

    Example:
        >>> tls_only = {"Bool": {"aws:SecureTransport": "false"}}
        >>> conditions_hold(tls_only, {"aws:SecureTransport": "true"})
        False
    """
    return all(
        _key_holds(operator, _as_strings(expected), _lookup(context, key))
        for operator, keys in conditions.items()
        for key, expected in keys.items()
    )


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


def resource_policy_allows(
    document: str | Mapping[str, Any],
    *,
    action: str,
    principal: str,
    context: Mapping[str, ContextValue],
) -> bool:
    """Evaluate a resource-based policy (a trust policy, a function's permissions) for one call.

    True when a statement allows ``action`` to ``principal`` (a service or an AWS principal)
    with its conditions holding in ``context``, and no such statement denies it.

    Example:
        >>> trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
        ...          "Principal": {"Service": "lambda.amazonaws.com"}}]}
        >>> resource_policy_allows(trust, action="sts:AssumeRole",
        ...                        principal="lambda.amazonaws.com", context={})
        True
    """
    policy = json.loads(document) if isinstance(document, str) else document
    service_wildcard = action.split(":", 1)[0] + ":*"
    allowed = False
    for statement in as_list(policy.get("Statement", [])):
        if not any(a in (action, service_wildcard, "*") for a in as_list(statement["Action"])):
            continue
        named = statement.get("Principal", {})
        if named != "*" and principal not in (
            *as_list(named.get("Service", [])),
            *as_list(named.get("AWS", [])),
        ):
            continue
        if not conditions_hold(statement.get("Condition", {}), context):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = True
    return allowed
