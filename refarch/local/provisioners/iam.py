"""IAM roles and policies: trust policy, inline policies and managed policy ARNs attached as given.

These are what the functions' sessions are evaluated against once IAM enforcement is on, so
nothing here is approximated: each statement lands in moto exactly as synthesized.
"""

from __future__ import annotations

import json
from typing import Any

from refarch.local.aws_managed_policies import ensure_aws_managed_policy
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _attach_inline(
    request: ProvisionRequest,
    policy_name: str,
    document: Any,
    *,
    roles: list[str],
    users: list[str],
    groups: list[str],
) -> None:
    iam = request.client("iam")
    for role in roles:
        iam.put_role_policy(
            RoleName=role, PolicyName=policy_name, PolicyDocument=_document(document)
        )
    for user in users:
        iam.put_user_policy(
            UserName=user, PolicyName=policy_name, PolicyDocument=_document(document)
        )
    for group in groups:
        iam.put_group_policy(
            GroupName=group, PolicyName=policy_name, PolicyDocument=_document(document)
        )


@provisioner("AWS::IAM::Role")
def role(request: ProvisionRequest) -> Provisioned:
    """Create the role with its trust policy, inline ``Policies`` and ``ManagedPolicyArns``."""
    request.only(
        [
            "RoleName",
            "AssumeRolePolicyDocument",
            "Description",
            "ManagedPolicyArns",
            "Policies",
            "Path",
            "MaxSessionDuration",
            "PermissionsBoundary",
            "Tags",
        ]
    )
    props = request.properties
    name = request.name("RoleName", max_length=64)
    create: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": _document(props["AssumeRolePolicyDocument"]),
        "Path": props.get("Path", "/"),
    }
    for prop in ("Description", "PermissionsBoundary"):
        if prop in props:
            create[prop] = props[prop]
    if "MaxSessionDuration" in props:
        create["MaxSessionDuration"] = int(props["MaxSessionDuration"])
    if request.tags():
        create["Tags"] = request.tags()
    iam = request.client("iam")
    created = iam.create_role(**create)["Role"]
    for policy in props.get("Policies", []):
        _attach_inline(
            request,
            policy["PolicyName"],
            policy["PolicyDocument"],
            roles=[name],
            users=[],
            groups=[],
        )
    emu = request.emulator
    for arn in props.get("ManagedPolicyArns", []):
        ensure_aws_managed_policy(
            arn, account_id=emu.account_id, region=emu.region, partition=emu.partition
        )
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return Provisioned(
        physical_id=name, attributes={"Arn": created["Arn"], "RoleId": created["RoleId"]}
    )


@provisioner("AWS::IAM::Policy")
def policy(request: ProvisionRequest) -> Provisioned:
    """Put the policy inline on each of its roles, users and groups (what CloudFormation does)."""
    request.only(["PolicyName", "PolicyDocument", "Roles", "Users", "Groups"])
    props = request.properties
    _attach_inline(
        request,
        props["PolicyName"],
        props["PolicyDocument"],
        roles=props.get("Roles", []),
        users=props.get("Users", []),
        groups=props.get("Groups", []),
    )
    return Provisioned(physical_id=request.name(None, max_length=32))


@provisioner("AWS::IAM::ManagedPolicy")
def managed_policy(request: ProvisionRequest) -> Provisioned:
    """Create a customer managed policy and attach it to its roles, users and groups."""
    request.only(
        ["ManagedPolicyName", "PolicyDocument", "Description", "Path", "Roles", "Users", "Groups"]
    )
    props = request.properties
    iam = request.client("iam")
    create: dict[str, Any] = {
        "PolicyName": request.name("ManagedPolicyName", max_length=128),
        "PolicyDocument": _document(props["PolicyDocument"]),
        "Path": props.get("Path", "/"),
    }
    if "Description" in props:
        create["Description"] = props["Description"]
    arn = iam.create_policy(**create)["Policy"]["Arn"]
    for role_name in props.get("Roles", []):
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    for user in props.get("Users", []):
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    for group in props.get("Groups", []):
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    return Provisioned(physical_id=arn, attributes={"PolicyArn": arn})
