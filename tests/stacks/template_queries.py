"""Reading a synthesized template in assertions: resources by type and id, intrinsics, IAM.

Shared by every stack test module, so each asks the template the same way.
"""

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template


@dataclass(frozen=True)
class Synthesized:
    """One synthesized stack: its template file, the JSON, and an assertions Template."""

    path: Path
    json: dict[str, Any]

    @cached_property
    def template(self) -> Template:
        """The template for `aws_cdk.assertions` matchers (built on first use)."""
        return Template.from_json(self.json)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The template's resources of one type, by logical id."""
        return {
            logical_id: resource
            for logical_id, resource in self.json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def one(self, resource_type: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
        """The single resource of a type whose logical id starts with `prefix`."""
        (found,) = (
            (logical_id, resource)
            for logical_id, resource in self.resources(resource_type).items()
            if logical_id.startswith(prefix)
        )
        return found

    def id_of(self, resource_type: str, prefix: str = "") -> str:
        """The logical id of `one(resource_type, prefix)`."""
        return self.one(resource_type, prefix)[0]

    def props(self, resource_type: str, prefix: str = "") -> dict[str, Any]:
        """The properties of `one(resource_type, prefix)`."""
        return self.one(resource_type, prefix)[1]["Properties"]

    def acknowledgments(self) -> dict[tuple[str, str], str]:
        """Every acknowledged cdk-nag finding: (construct path, rule) -> reason."""
        metadata_file = self.path.with_name(self.path.name.replace(".template", ".metadata"))
        metadata = json.loads(metadata_file.read_text())
        return {
            (path, rule): reason
            for path, entries in metadata.items()
            for entry in entries
            if entry["type"] == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
            for rule, reason in entry["data"].items()
        }


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def getatt(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def objects_under(bucket_id: str, prefix: str) -> dict[str, Any]:
    """The object ARN pattern `grant_*` renders for a key prefix of a bucket."""
    return {"Fn::Join": ["", [getatt(bucket_id), f"/{prefix}*"]]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_of(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    """Every statement of the policies attached to a role."""
    return [
        statement
        for policy in synthesized.resources("AWS::IAM::Policy").values()
        if ref(role_id) in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_on(statements: list[dict[str, Any]], resource: Any) -> set[str]:
    """The actions the statements allow on one exact resource value."""
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow" and resource in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }


#: Block Public Access with all four settings on: what every bucket of the patterns has.
ALL_PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
#: Default encryption with S3-managed keys.
SSE_S3 = [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]


def topic_statements_for_eventbridge(synthesized: Synthesized) -> list[dict[str, Any]]:
    """The statements of the (one) topic policy that admit ``events.amazonaws.com``."""
    (policy,) = synthesized.resources("AWS::SNS::TopicPolicy").values()
    return [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Principal") == {"Service": "events.amazonaws.com"}
    ]
