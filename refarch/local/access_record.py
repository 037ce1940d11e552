"""What each role of a local run was allowed to do: every authorized request, and why.

The IAM check (``moto_patches.moto_gap_fixes``) hands every request it allows to the emulator's
``AccessRecorder``: the caller's role, the action, the ARN it was authorized on and the ``Allow``
statements of the role that matched. After the run, ``role_reports`` compares that with what the
deployed stack grants each role it assumes (``refarch.iam_unused``): granted actions never
exercised, resources broader than used.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from refarch.iam_unused import (
    Access,
    GrantedStatement,
    RoleReport,
    StatementRef,
    acknowledged_unexercised,
    analyze,
    granted_statements,
)

#: Is one statement an ``Allow`` that applies to (action, resource)? (The IAM check's own rule.)
StatementTest = Callable[[Mapping[str, Any], str, str], bool]


def role_policies(account_id: str, partition: str, role: str) -> Iterator[tuple[str, Any]]:
    """(policy name, document) of every policy of a role in moto: inline, then attached.

    The same policies moto's IAM check evaluates for a session of the role.
    """
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id][partition]
    for name in backend.list_role_policies(role):
        _, document = backend.get_role_policy(role, name)
        yield name, _parsed(document)
    attached, _ = backend.list_attached_role_policies(role)
    for policy in attached:
        default = next(v for v in policy.versions if v.is_default)
        yield policy.name, _parsed(default.document)


def _parsed(document: Any) -> dict[str, Any]:
    return _loads(document) if isinstance(document, str) else dict(document)


@functools.lru_cache(maxsize=512)
def _loads(document: str) -> dict[str, Any]:
    # Every allowed request reads its role's policies again (they change during a deploy);
    # parsing each distinct document once keeps that cheap. Callers never mutate the result.
    return json.loads(document)


def role_name(principal_arn: str) -> str | None:
    """The role of an ``…:assumed-role/<role>/<session>`` ARN; None for any other caller."""
    _, marker, rest = principal_arn.partition(":assumed-role/")
    return rest.split("/", 1)[0] if marker else None


@dataclass
class AccessRecorder:
    """Every request IAM allowed a role during one emulator's life, with the statements used."""

    accesses: dict[Access, int] = field(default_factory=dict)
    """Each distinct allowed request, with how many times it was made."""

    def record(
        self,
        *,
        principal: str,
        action: str,
        resource: str,
        account_id: str,
        partition: str,
        allows: StatementTest,
    ) -> None:
        """Record an allowed request of an assumed role (other callers are not recorded).

        ``allows`` is the IAM check's statement evaluation, applied to every statement of the
        role's policies to name the ones that allowed the request.
        """
        role = role_name(principal)
        if role is None:
            return
        matched = tuple(
            StatementRef(name, index, statement.get("Sid"))
            for name, document in role_policies(account_id, partition, role)
            for index, statement in enumerate(_statements(document))
            if allows(statement, action, resource)
        )
        if not matched:
            return  # allowed without a statement (sts:GetCallerIdentity): nothing was used
        access = Access(role, action, resource, matched)
        self.accesses[access] = self.accesses.get(access, 0) + 1

    def of_role(self, role: str) -> list[Access]:
        """The distinct requests allowed to ``role`` (its name)."""
        return [a for a in self.accesses if a.role == role]


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _runs_locally(resource: Mapping[str, Any]) -> bool:
    if resource["Type"] == "AWS::Lambda::Function":
        return str(resource["Properties"].get("Runtime", "")).startswith("python")
    return resource["Type"] in (
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::Glue::Job",
        "AWS::Glue::Crawler",
        # The runner runs the schedule's executions as the definition's role (model_monitor).
        "AWS::SageMaker::DataQualityJobDefinition",
    )


def _started_state_machines(resources: Mapping[str, Any]) -> list[Any]:
    """State machines an event rule starts (their role) and the rule's target role.

    The runner executes those (``sources.step_functions``); a state machine nothing starts,
    such as aws-cdk-lib's provider-framework waiter, is not executed.
    """
    found: list[Any] = []
    for resource in resources.values():
        if resource["Type"] != "AWS::Events::Rule":
            continue
        for target in resource["Properties"].get("Targets", []):
            ref = target.get("Arn", {}).get("Ref") if isinstance(target.get("Arn"), dict) else None
            machine = resources.get(ref) if ref else None
            if machine and machine["Type"] == "AWS::StepFunctions::StateMachine":
                found += [machine["Properties"], target]
    return found


def _roles_named_in(value: Any, roles: set[str]) -> Iterator[str]:
    """Yield the roles a property value names through ``Fn::GetAtt [<role>, Arn]``."""
    if isinstance(value, dict):
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and target[0] in roles:
            yield target[0]
        for item in value.values():
            yield from _roles_named_in(item, roles)
    elif isinstance(value, list):
        for item in value:
            yield from _roles_named_in(item, roles)


def assumed_roles(template: Mapping[str, Any]) -> list[str]:
    """Logical ids of the roles a local run assumes.

    Python functions' execution roles, delivery streams', Glue jobs' and crawlers' roles, the
    data-quality job definitions' roles (the runner runs their monitoring executions), state
    machines an event rule starts and that rule's target role, and the roles the stack outputs
    (a producer's role, the SageMaker execution role the local SageMaker hosts a model with).
    aws-cdk-lib's Node.js custom-resource providers are not executed locally, so their roles
    are not among them.
    """
    resources = template["Resources"]
    roles = {i for i, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assumers = [r["Properties"] for r in resources.values() if _runs_locally(r)]
    assumers += _started_state_machines(resources)
    outputs = [output["Value"] for output in template.get("Outputs", {}).values()]
    return sorted(
        {role for value in [*assumers, *outputs] for role in _roles_named_in(value, roles)}
    )


def role_reports(
    template: Mapping[str, Any],
    physical_ids: Mapping[str, str],
    recorder: AccessRecorder,
    *,
    account_id: str,
    partition: str,
) -> list[RoleReport]:
    """Per role the run assumes: what it was granted (as deployed) against what it used.

    ``physical_ids`` maps the logical id of every resource created to its physical id (a role's
    name); a role not created (a false ``Condition``) has no report.
    """
    reports = []
    for logical_id in assumed_roles(template):
        if logical_id not in physical_ids:
            continue  # not created (a false Condition)
        name = physical_ids[logical_id]
        statements: list[GrantedStatement] = [
            granted
            for policy, document in role_policies(account_id, partition, name)
            for granted in granted_statements(policy, document)
        ]
        acknowledged = acknowledged_unexercised(template, logical_id)
        reports.append(analyze(logical_id, statements, recorder.of_role(name), acknowledged))
    return reports
