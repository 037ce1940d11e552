"""Unused access of a role, from the requests a run made with it: the local Access Analyzer.

IAM Access Analyzer reports *unused access* (actions a role was granted and has not used) and
generates policies from the access a role actually made (IAM user guide, "Findings for unused
access": https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html and
"IAM Access Analyzer policy generation":
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-generation.html). The
local runner knows more than CloudTrail does: each authorized request, the ARN it was authorized
on and the statements that allowed it (``refarch.local.access_record``). From those this module
reports, per role and per ``Allow`` statement:

- a *granted action never exercised*: an ``Action`` entry as written in the policy (a wildcard
  entry counts as exercised if any action the Service Authorization Reference lists under it was
  allowed by that statement), which a reviewer can remove or acknowledge;
- a *resource broader than used* (information): a ``Resource`` entry no request of the statement
  used, or a wildcard entry whose requests all fall under a narrower literal prefix.

A grant the run cannot exercise (a failure path, a call AWS makes only at deploy time) is
acknowledged next to the grant, as template metadata on its role
(``refarch.constructs.iam_unexercised``), with the reason.

Everything here is pure: statements and requests in, reports out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from refarch.iam_findings import acknowledged_actions, expand_action
from refarch.iam_reference import pattern_applies

#: Template metadata key under which a role lists granted actions its local run cannot exercise:
#: ``[{"actions": [...], "reason": "..."}]`` (see ``refarch.constructs.iam_unexercised``).
UNEXERCISED_METADATA = "refarch:iam-unexercised"

#: Where a narrower prefix may end: a path or an ARN component.
_SEPARATORS = "/:"


@dataclass(frozen=True, order=True)
class StatementRef:
    """One statement of one of a role's policies, as attached in IAM."""

    policy: str
    """The policy's name (an inline policy's ``PolicyName``, a managed policy's name)."""

    index: int
    """The statement's position in the policy document."""

    sid: str | None = None

    def __str__(self) -> str:
        return f"{self.policy}[{self.sid or self.index}]"


@dataclass(frozen=True)
class Access:
    """One request IAM allowed a role to make."""

    role: str
    """The role's name (from the caller's ``assumed-role/<role>/<session>`` ARN)."""

    action: str
    resource: str
    """The ARN the request was authorized on (``*`` for an action without resource types)."""

    statements: tuple[StatementRef, ...]
    """Every ``Allow`` statement of the role that allowed it."""


@dataclass(frozen=True)
class GrantedStatement:
    """An ``Allow`` statement of a role, its resources resolved (as deployed)."""

    ref: StatementRef
    actions: tuple[str, ...]
    """The ``Action`` entries as written (``s3:GetObject*``)."""

    resources: tuple[str, ...]
    """The ``Resource`` entries as deployed (``("*",)`` when the statement names none)."""


@dataclass(frozen=True)
class UnusedAction:
    """An action entry of a statement no request of the run was allowed by."""

    statement: StatementRef
    action: str
    acknowledged: str | None = None
    """The reason the role's acknowledgment gives, if any."""

    def __str__(self) -> str:
        note = f" (acknowledged: {self.acknowledged})" if self.acknowledged else ""
        return f"{self.action} in {self.statement}{note}"


@dataclass(frozen=True)
class BroadResource:
    """A resource entry broader than the requests of its statement needed (information)."""

    statement: StatementRef
    pattern: str
    used_under: str | None
    """The narrower prefix every request fell under; None when no request used the entry."""

    def __str__(self) -> str:
        if self.used_under is None:
            return f"{self.pattern} in {self.statement}: no request used it"
        return f"{self.pattern} in {self.statement}: used only under {self.used_under}"


@dataclass
class RoleReport:
    """What a run used of one role's grants."""

    role: str
    """The role's logical id."""

    granted: int = 0
    """Action entries of its ``Allow`` statements."""

    exercised: int = 0
    requests: int = 0
    """Distinct (action, resource) pairs allowed."""

    unused: list[UnusedAction] = field(default_factory=list)
    broad: list[BroadResource] = field(default_factory=list)

    @property
    def unacknowledged(self) -> list[UnusedAction]:
        """Granted actions never exercised that no acknowledgment explains."""
        return [u for u in self.unused if u.acknowledged is None]

    def summary(self) -> str:
        """One line: how much of the role's grant the run used."""
        acknowledged = len(self.unused) - len(self.unacknowledged)
        return (
            f"{self.role}: {self.exercised}/{self.granted} granted actions exercised "
            f"({self.requests} distinct requests)"
            + (f", {acknowledged} unexercised acknowledged" if acknowledged else "")
        )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted_statements(policy: str, document: Mapping[str, Any]) -> list[GrantedStatement]:
    """The ``Allow`` statements of one policy document that name their actions.

    ``Deny`` statements grant nothing, and ``NotAction`` grants every action but some, which no
    run could exercise: neither is judged here.
    """
    found = []
    for index, statement in enumerate(_as_list(document.get("Statement", []))):
        if statement.get("Effect") != "Allow" or "Action" not in statement:
            continue
        resources = "NotResource" not in statement and statement.get("Resource")
        found.append(
            GrantedStatement(
                StatementRef(policy, index, statement.get("Sid")),
                tuple(str(a) for a in _as_list(statement["Action"])),
                tuple(str(r) for r in _as_list(resources)) if resources else ("*",),
            )
        )
    return found


def acknowledged_unexercised(template: Mapping[str, Any], logical_id: str) -> dict[str, str]:
    """Action entry (lowercase) -> reason, for the grants a role acknowledges as unexercised."""
    return acknowledged_actions(template, [logical_id], UNEXERCISED_METADATA)


def _covers(entry: str, action: str) -> bool:
    """Return True if an ``Action`` entry grants ``action`` (per the reference's action list)."""
    expanded = expand_action(entry)
    if expanded:
        return action.lower() in {a.lower() for a in expanded}
    # An action the reference does not list (or "*"): compare names as IAM does.
    return _glob(entry, action, ignore_case=True)


def _narrower(pattern: str, resources: Sequence[str]) -> str | None:
    """The literal prefix all ``resources`` share beyond the pattern's own, if any.

    Cut at a separator so the prefix is one a policy could name (``…/incoming/``, not
    ``…/incoming/ord``); an entry used for exactly one named resource is narrower by it.
    """
    if "*" not in pattern and "?" not in pattern:
        return None  # a literal ARN is as narrow as a grant gets
    literal = pattern.split("*", 1)[0].split("?", 1)[0]
    # A log stream's name is chosen by its writer: Lambda names one per execution environment,
    # ``YYYY/MM/DD[version]<environment id>`` (Lambda operator guide, "How CloudWatch structures
    # logs": https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html), so no
    # grant could name it in advance: compare up to the group.
    # Likewise an object's key is data its writer names (Firehose, SageMaker's data capture,
    # Spark): compare up to the object's "folder".
    distinct = sorted({_container(r) for r in resources})
    if len(distinct) == 1 and not distinct[0].endswith((":", "/")):
        return distinct[0] if distinct[0] != pattern else None
    # Sorted: what the first and the last share, every one between shares too.
    first, last = distinct[0], distinct[-1]
    length = next(
        (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
        min(len(first), len(last)),
    )
    common = first[:length]
    cut = max(common.rfind(s) for s in _SEPARATORS) + 1
    prefix = common[:cut]
    return prefix + "*" if len(prefix) > len(literal) else None


def _container(resource: str) -> str:
    """A log stream's group, an S3 object's prefix up to its last ``/``; else the resource."""
    if ":log-stream:" in resource:
        return resource.split(":log-stream:", 1)[0] + ":"
    if resource.startswith("arn:") and resource.split(":", 5)[2:3] == ["s3"] and "/" in resource:
        return resource.rsplit("/", 1)[0] + "/"
    return resource


def analyze(
    role: str,
    statements: Sequence[GrantedStatement],
    accesses: Iterable[Access],
    acknowledged: Mapping[str, str] | None = None,
) -> RoleReport:
    """Report which of ``statements`` (one role's) the ``accesses`` (the same role's) used.

    ``acknowledged`` maps action entries (lowercase) to the reason they cannot be exercised.
    """
    acknowledged = acknowledged or {}
    by_statement: dict[StatementRef, list[Access]] = {}
    distinct = set()
    for access in accesses:
        distinct.add((access.action.lower(), access.resource))
        for ref in access.statements:
            by_statement.setdefault(ref, []).append(access)
    report = RoleReport(role=role, requests=len(distinct))
    for statement in statements:
        used = by_statement.get(statement.ref, [])
        for entry in statement.actions:
            report.granted += 1
            if any(_covers(entry, access.action) for access in used):
                report.exercised += 1
            else:
                reason = acknowledged.get(entry.lower())
                report.unused.append(UnusedAction(statement.ref, entry, reason))
        if not used:
            continue  # its actions are reported; its resources say nothing more
        for pattern in statement.resources:
            matched = [
                a.resource
                for a in used
                if a.resource != "*"
                and _glob(pattern, a.resource)
                and pattern_applies(a.action, pattern)
            ]
            if not matched:
                if pattern != "*":
                    report.broad.append(BroadResource(statement.ref, pattern, None))
                continue
            narrower = _narrower(pattern, matched)
            if narrower is not None:
                report.broad.append(BroadResource(statement.ref, pattern, narrower))
    return report


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcards (``*`` any run of characters, ``?`` one), as the local IAM check matches."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def render(reports: Sequence[RoleReport]) -> list[str]:
    """The report as short lines: one per role, then its unused actions and broad resources.

    Acknowledged actions share one line (their reasons are in the role's metadata, next to the
    grant); each unacknowledged one has its own.
    """
    lines: list[str] = []
    for report in reports:
        lines.append(report.summary())
        lines += [f"  unused: {u.action} in {u.statement}" for u in report.unacknowledged]
        acknowledged = sorted({u.action for u in report.unused if u.acknowledged})
        if acknowledged:
            lines.append(f"  unused, acknowledged: {', '.join(acknowledged)}")
        lines += [f"  broader than used: {_short(b)}" for b in report.broad]
    return lines


def _short(broad: BroadResource) -> str:
    """A broad resource with the narrower prefix written relative to the pattern's own."""
    if broad.used_under is None:
        return str(broad)
    literal = broad.pattern.split("*", 1)[0].split("?", 1)[0]
    rest = broad.used_under[len(literal) :] if broad.used_under.startswith(literal) else ""
    under = f"…{rest}" if literal and rest else broad.used_under
    return f"{broad.pattern} in {broad.statement}: used only under {under}"
