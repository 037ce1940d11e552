"""Every permission the functions' roles hold is needed: remove one, and the run hits AccessDenied.

The statements are read from the synthesized template (the inline policies attached to each
function's role, and its managed policy ARNs), not listed by hand, so a grant added to the stack
is covered here automatically, and one the local run cannot exercise fails this test.
"""

import json
import re

import pytest
from assemblies import synthesized
from moto.iam.aws_managed_policies import aws_managed_policies_data

from refarch.local import run_demo
from refarch.local.names import physical_name
from refarch.local.policy_conditions import glob_match

PATTERN = "s3-event-processing"
pytestmark = pytest.mark.slow


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _role_logical_ids(resources):
    """Roles of the template's Lambda functions (Role: Fn::GetAtt [<role>, Arn])."""
    return sorted(
        {
            r["Properties"]["Role"]["Fn::GetAtt"][0]
            for r in resources.values()
            if r["Type"] == "AWS::Lambda::Function"
        }
    )


def _short(logical_id):
    # Drop CDK's 8-character hash and the 32-character id of singleton functions.
    return re.sub(r"[0-9a-f]{32}", "", logical_id[:-8])


def permissions(pattern_id):
    """(id, role, kind, target, index, actions) for every grant of every function role."""
    resources = synthesized(pattern_id).template["Resources"]
    found = []
    for role in _role_logical_ids(resources):
        for policy_id, resource in resources.items():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            if {"Ref": role} not in resource["Properties"].get("Roles", []):
                continue
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            for index, statement in enumerate(statements):
                actions = _as_list(statement["Action"])
                found.append(
                    pytest.param(
                        role,
                        "statement",
                        policy_id,
                        index,
                        actions,
                        id=f"{_short(role)}:{','.join(actions)}",
                    )
                )
        for arn in resources[role]["Properties"].get("ManagedPolicyArns", []):
            name = arn["Fn::Join"][1][-1].rsplit("/", 1)[-1] if isinstance(arn, dict) else arn
            document = json.loads(aws_managed_policies_data)[name]["Document"]
            actions = [a for s in document["Statement"] for a in _as_list(s["Action"])]
            found.append(
                pytest.param(role, "managed", name, None, actions, id=f"{_short(role)}:{name}")
            )
    return found


def _remove_statement(template, policy_id, index):
    resources = template["Resources"]
    statements = resources[policy_id]["Properties"]["PolicyDocument"]["Statement"]
    if len(statements) > 1:
        del statements[index]
        return
    # IAM rejects an empty policy: removing its only statement means removing the policy.
    del resources[policy_id]
    for resource in resources.values():
        depends_on = resource.get("DependsOn")
        if isinstance(depends_on, list) and policy_id in depends_on:
            depends_on.remove(policy_id)


def _remove_managed_policy(template, role, name):
    properties = template["Resources"][role]["Properties"]
    properties["ManagedPolicyArns"] = [
        arn for arn in properties["ManagedPolicyArns"] if name not in json.dumps(arn)
    ]
    if not properties["ManagedPolicyArns"]:
        del properties["ManagedPolicyArns"]


def test_the_complete_stack_passes(s3_event_processing):
    result = run_demo(PATTERN, out=None, assembly=s3_event_processing)
    assert result.ok
    assert not result.access_denied


@pytest.mark.parametrize(("role", "kind", "target", "index", "actions"), permissions(PATTERN))
def test_each_permission_is_necessary(s3_event_processing, role, kind, target, index, actions):
    def without_it(template):
        if kind == "statement":
            _remove_statement(template, target, index)
        else:
            _remove_managed_policy(template, role, target)

    result = run_demo(PATTERN, out=None, template_hook=without_it, assembly=s3_event_processing)

    assert not result.ok
    assert result.access_denied
    denied = {denial.action for denial in result.denials}
    assert any(glob_match(a, d, ignore_case=True) for a in actions for d in denied), denied
    # The denied caller is a session of the role that lost the permission.
    role_name = physical_name(s3_event_processing.stack_name, role)
    assert any(f"assumed-role/{role_name}/" in d.principal for d in result.denials)
