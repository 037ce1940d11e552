"""Grants in a synthesized template that can never apply, per the Service Authorization Reference.

``refarch check`` and the catalog-wide test report three kinds of finding for every ``Allow``
statement of every identity policy (``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy`` and roles'
inline policies):

- ``unknown-action``: an action name (or an action wildcard) the reference does not list;
- ``resource-format``: an action granted only on resources that match none of its resource types
  (``logs:CreateLogGroup`` on ``…:log-group:NAME:*``, a log-stream pattern, whereas the reference's
  ``log-group`` is ``…:log-group:${LogGroupName}``): the grant never applies, the call is denied;
- ``unexplained-wildcard``: ``Resource: "*"`` for an action that has resource types, unless the
  policy's role acknowledges that action with a reason (``refarch.constructs.iam_wildcards``).

Resources are resolved far enough to compare their shape with the reference's ARN templates: a
literal ARN is its IAM pattern; ``Fn::GetAtt`` of a resource's ``Arn`` (or ``Ref`` of a resource
whose ``Ref`` is an ARN) is the ARN format CloudFormation documents for that resource type, with
the resource's name unknown; ``Fn::Join`` and ``Fn::Sub`` concatenate; pseudo parameters are
names. What cannot be resolved (a parameter, ``Fn::Select``...) matches anything, so it is never
reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refarch import iam_reference as ref
from refarch.iam_reference import ANY, Token, glob_tokens, name_tokens

#: Template metadata key under which a role or policy lists the actions it grants on ``*`` on
#: purpose: ``[{"actions": [...], "reason": "..."}]`` (see ``refarch.constructs.iam_wildcards``).
WILDCARD_METADATA = "refarch:iam-wildcards"

#: A reason must say something specific.
MIN_REASON = 40

_UNKNOWN: tuple[Token, ...] = ((ANY, True),)
_NAME = name_tokens()
_SEGMENT = name_tokens(slashes=False)

#: The ARN CloudFormation returns for ``Fn::GetAtt <resource>.Arn``, by resource type
#: ("Return values" of each resource in the CloudFormation template reference,
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html).
#: ``{}`` is the resource's (unknown) name, ``{/}`` one that may hold a path (a log group's, a
#: role's with its path, an ECR repository's namespace). A log group's ARN ends in ``:*``
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html):
#: it names the group's streams, which is how defect-3-shaped grants come about.
GETATT_ARN: dict[str, str] = {
    "AWS::S3::Bucket": "arn:{P}:s3:::{}",
    "AWS::CloudWatch::Alarm": "arn:{P}:cloudwatch:{R}:{A}:alarm:{}",
    "AWS::Lambda::Function": "arn:{P}:lambda:{R}:{A}:function:{}",
    "AWS::Logs::LogGroup": "arn:{P}:logs:{R}:{A}:log-group:{/}:*",
    "AWS::KMS::Key": "arn:{P}:kms:{R}:{A}:key/{}",
    "AWS::SQS::Queue": "arn:{P}:sqs:{R}:{A}:{}",
    "AWS::Kinesis::Stream": "arn:{P}:kinesis:{R}:{A}:stream/{}",
    "AWS::KinesisFirehose::DeliveryStream": "arn:{P}:firehose:{R}:{A}:deliverystream/{}",
    "AWS::ECR::Repository": "arn:{P}:ecr:{R}:{A}:repository/{/}",
    "AWS::IAM::Role": "arn:{P}:iam::{A}:role/{/}",
    "AWS::DynamoDB::Table": "arn:{P}:dynamodb:{R}:{A}:table/{}",
    "AWS::Events::EventBus": "arn:{P}:events:{R}:{A}:event-bus/{}",
    "AWS::Events::Rule": "arn:{P}:events:{R}:{A}:rule/{}",
    "AWS::SageMaker::ModelPackageGroup": "arn:{P}:sagemaker:{R}:{A}:model-package-group/{}",
    "AWS::SNS::Topic": "arn:{P}:sns:{R}:{A}:{}",
    "AWS::StepFunctions::StateMachine": "arn:{P}:states:{R}:{A}:stateMachine:{}",
}

#: Resource types whose ``Ref`` is their ARN (same reference); every other ``Ref`` is a name.
REF_ARN: dict[str, str] = {
    "AWS::SNS::Topic": GETATT_ARN["AWS::SNS::Topic"],
    "AWS::StepFunctions::StateMachine": GETATT_ARN["AWS::StepFunctions::StateMachine"],
    "AWS::SageMaker::Endpoint": "arn:{P}:sagemaker:{R}:{A}:endpoint/{}",
    "AWS::SageMaker::EndpointConfig": "arn:{P}:sagemaker:{R}:{A}:endpoint-config/{}",
    "AWS::SageMaker::Model": "arn:{P}:sagemaker:{R}:{A}:model/{}",
    "AWS::IAM::ManagedPolicy": "arn:{P}:iam::{A}:policy/{/}",
}

#: Pseudo parameters that are ARNs (anything) rather than names.
_ARN_PSEUDO = frozenset({"AWS::StackId", "AWS::NotificationARNs"})


@dataclass(frozen=True)
class Finding:
    """One grant that cannot apply, or an unexplained ``*``."""

    kind: str
    """``unknown-action``, ``resource-format`` or ``unexplained-wildcard``."""

    policy: str
    """The logical id of the policy (or role) resource."""

    action: str
    """The action as the statement names it."""

    detail: str
    """What is wrong, for a reader."""

    def __str__(self) -> str:
        return f"[{self.kind}] {self.policy}: {self.action}: {self.detail}"


def _shape(template: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    for piece in re.split(r"(\{[PRA/]?\})", template):
        if piece == "{/}":
            tokens += _NAME
        elif piece in ("{P}", "{R}", "{A}", "{}"):
            tokens += _SEGMENT
        else:
            tokens += glob_tokens(piece)
    return tuple(tokens)


class _Resolver:
    """Resolves a template's intrinsic functions into ARN shapes (token sequences)."""

    def __init__(self, template: Mapping[str, Any]) -> None:
        self.resources: Mapping[str, Any] = template.get("Resources", {})

    def _type(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def ref(self, name: str) -> tuple[Token, ...]:
        if name in _ARN_PSEUDO:
            return _UNKNOWN
        if name.startswith("AWS::"):
            return _SEGMENT  # Partition, Region, AccountId, URLSuffix, StackName
        kind = self._type(name)
        if kind is None:
            return _UNKNOWN  # a template parameter: anything
        return _shape(REF_ARN[kind]) if kind in REF_ARN else _NAME

    def getatt(self, logical_id: str, attribute: str) -> tuple[Token, ...]:
        kind = self._type(logical_id)
        if attribute == "Arn" and kind in GETATT_ARN:
            return _shape(GETATT_ARN[kind])
        return _UNKNOWN

    def sub(self, value: Any) -> tuple[Token, ...]:
        text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
        tokens: list[Token] = []
        for piece in re.split(r"(\$\{[^}!]+\})", text):
            if piece.startswith("${") and piece.endswith("}"):
                name = piece[2:-1]
                if name in variables:
                    tokens += self.resolve(variables[name])
                elif "." in name:
                    tokens += self.getatt(*name.split(".", 1))
                else:
                    tokens += self.ref(name)
            else:
                tokens += glob_tokens(piece)
        return tuple(tokens)

    def resolve(self, value: Any) -> tuple[Token, ...]:
        """The IAM pattern ``value`` evaluates to, as tokens (``_UNKNOWN`` where unknown)."""
        if isinstance(value, str):
            return glob_tokens(value)
        if not isinstance(value, dict) or len(value) != 1:
            return _UNKNOWN
        ((function, argument),) = value.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = (
                argument if isinstance(argument, list) else argument.split(".", 1)
            )
            return self.getatt(logical_id, attribute)
        if function == "Fn::Join" and isinstance(argument[1], list):
            separator = glob_tokens(argument[0])
            tokens: list[Token] = []
            for index, part in enumerate(argument[1]):
                tokens += (separator if index else ()) + self.resolve(part)
            return tuple(tokens)
        if function == "Fn::Sub":
            return self.sub(argument)
        return _UNKNOWN


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_policies(
    template: Mapping[str, Any],
) -> Iterator[tuple[str, Mapping[str, Any], list[str]]]:
    """Every identity policy: (logical id, document, ids whose metadata may acknowledge it)."""
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource.get("Type")
        properties = resource.get("Properties", {})
        if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = [
                r["Ref"] for r in properties.get("Roles", []) if isinstance(r, dict) and "Ref" in r
            ]
            yield logical_id, properties.get("PolicyDocument", {}), [logical_id, *roles]
        elif kind == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                yield logical_id, policy.get("PolicyDocument", {}), [logical_id]


def acknowledged_wildcards(
    template: Mapping[str, Any], logical_ids: Sequence[str]
) -> dict[str, str]:
    """Action (lowercase) -> reason, for the ``*`` grants these resources acknowledge."""
    return acknowledged_actions(template, logical_ids, WILDCARD_METADATA)


def acknowledged_actions(
    template: Mapping[str, Any], logical_ids: Sequence[str], key: str
) -> dict[str, str]:
    """Action (lowercase) -> reason, from the acknowledgments under ``key`` on these resources."""
    acknowledged: dict[str, str] = {}
    for logical_id in logical_ids:
        metadata = template.get("Resources", {}).get(logical_id, {}).get("Metadata", {})
        for entry in metadata.get(key, []):
            reason = str(entry.get("reason", ""))
            if len(reason.strip()) < MIN_REASON:
                continue  # an acknowledgment without a real reason acknowledges nothing
            for action in entry.get("actions", []):
                acknowledged[str(action).lower()] = reason
    return acknowledged


def expand_action(action: str) -> list[str]:
    """The reference's actions an Action entry names (a wildcard may name several, or none)."""
    if action == "*":
        return []
    service, name = ref.split_action(action)
    if "*" not in name and "?" not in name:
        return [f"{service}:{name}"] if ref.action_exists(action) else []
    pattern = re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in name), re.I
    )
    return [f"{service}:{each}" for each in ref.actions_of(service) if pattern.fullmatch(each)]


def _statement_findings(
    policy: str,
    statement: Mapping[str, Any],
    resolver: _Resolver,
    acknowledged: Mapping[str, str],
) -> Iterator[Finding]:
    if (
        statement.get("Effect") != "Allow"
        or "Action" not in statement
        or "Resource" not in statement
    ):
        return  # Deny, NotAction and NotResource statements grant nothing to judge here
    resources = [resolver.resolve(r) for r in _as_list(statement["Resource"])]
    star = "*" in _as_list(statement["Resource"])
    for action in _as_list(statement["Action"]):
        if not isinstance(action, str):
            continue  # an intrinsic function: not an action name the check can judge
        if action == "*":
            if star and "*" not in acknowledged:
                yield Finding(
                    "unexplained-wildcard", policy, action, "every action on every resource"
                )
            continue
        actions = expand_action(action)
        if not actions:
            yield Finding(
                "unknown-action", policy, action, "not in the Service Authorization Reference"
            )
            continue
        typed = [a for a in actions if ref.resource_types(a)]
        if star:
            if typed and action.lower() not in acknowledged:
                kinds = sorted({k.name for a in typed for k in ref.resource_types(a)})
                yield Finding(
                    "unexplained-wildcard",
                    policy,
                    action,
                    f'Resource "*" for an action with resource types ({", ".join(kinds)}); '
                    "scope it, or acknowledge it with a reason",
                )
            continue
        if not any(_applies(a, resources) for a in actions):
            expected = sorted({k.arn for a in actions for k in ref.resource_types(a)})
            yield Finding(
                "resource-format",
                policy,
                action,
                "granted only on resources that match none of its resource types "
                f"(expected {' or '.join(expected) or '*'})",
            )


def _applies(action: str, resources: Sequence[tuple[Token, ...]]) -> bool:
    kinds = ref.resource_types(action)
    if not kinds:
        return any(ref.tokens_intersect(r, (("*", False),)) for r in resources)
    return any(ref.matching_types(action, r) for r in resources)


def template_findings(template: Mapping[str, Any]) -> list[Finding]:
    """Every finding of a synthesized template's identity policies."""
    resolver = _Resolver(template)
    findings: list[Finding] = []
    for policy, document, owners in identity_policies(template):
        acknowledged = acknowledged_wildcards(template, owners)
        for statement in _as_list(document.get("Statement", [])):
            findings += _statement_findings(policy, statement, resolver, acknowledged)
    return findings


def check_template(path: Path) -> list[str]:
    """The findings of a template file, as text (what ``refarch check`` prints)."""
    return [str(f) for f in template_findings(json.loads(Path(path).read_text()))]
