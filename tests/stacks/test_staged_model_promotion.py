"""What a deployer of the staged-promotion pattern relies on, asserted on the template.

Synthesized here the way ``build_app`` does (cdk.json's context, cdk-nag as a validation plugin,
so an unacknowledged finding fails the fixture), then linted with the repository's cfn-lint
configuration.
"""

from __future__ import annotations

import json
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from cdk_nag import AwsSolutionsChecks

from refarch.cdk_app import repo_context
from refarch.cfn_lint import lint_template
from refarch.stacks.staged_model_promotion import StagedModelPromotionStack
from refarch.stacks.staged_model_promotion_props import (
    StagedModelPromotionProps,
    StagedModelPromotionPropsError,
)

STACK = "StagedModelPromotion"
STAGING = "staged-model-promotion-staging"
PRODUCTION = "staged-model-promotion"


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict[str, Any], Path]:
    outdir = tempfile.mkdtemp(prefix="staged-")
    app = cdk.App(context=repo_context(), outdir=outdir)
    StagedModelPromotionStack(app, STACK)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    return assembly.get_stack_by_name(STACK).template, Path(outdir) / f"{STACK}.template.json"


@pytest.fixture(scope="module")
def template(synthesized) -> dict[str, Any]:
    return synthesized[0]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def joined(value: Any) -> str:
    """An Fn::Join rendered with its references as <…> (enough to read names from)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(joined(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return "<intrinsic>"


@pytest.fixture(scope="module")
def definition(template) -> dict[str, Any]:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    return json.loads(joined(machine["Properties"]["DefinitionString"]))


def function_environment(template: dict[str, Any], prefix: str) -> dict[str, str]:
    (fn,) = [
        v for k, v in resources(template, "AWS::Lambda::Function").items() if k.startswith(prefix)
    ]
    return fn["Properties"]["Environment"]["Variables"]


def successors(state: dict[str, Any]) -> list[str]:
    names = [state.get("Next"), state.get("Default")]
    names += [rule["Next"] for rule in state.get("Choices", [])]
    names += [catcher["Next"] for catcher in state.get("Catch", [])]
    return [name for name in names if name]


def reachable_avoiding(definition: dict[str, Any], target: str, avoid: str) -> bool:
    """Whether ``target`` can be reached from the start without passing through ``avoid``."""
    seen, queue = set(), deque([definition["StartAt"]])
    while queue:
        name = queue.popleft()
        if name in seen or name == avoid:
            continue
        if name == target:
            return True
        seen.add(name)
        queue.extend(successors(definition["States"][name]))
    return False


def test_cfn_lint_finds_nothing(synthesized) -> None:
    assert lint_template(synthesized[1]) == []


def test_the_state_machine_is_standard_logged_and_traced(template) -> None:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_approvals_start_a_promotion_not_a_deployment(template) -> None:
    rules = resources(template, "AWS::Events::Rule")
    approval = [r for r in rules.values() if "ModelApprovalStatus" in json.dumps(r)]
    (rule,) = approval
    assert rule["Properties"]["EventPattern"]["detail"]["ModelApprovalStatus"] == ["Approved"]
    (target,) = rule["Properties"]["Targets"]
    assert "Promotion" in json.dumps(target["Arn"])
    assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 10


def test_production_deploys_only_what_is_requested_and_staging_all_at_once(template) -> None:
    production = function_environment(template, "DeployerFunction")
    staging = function_environment(template, "StagingDeployerFunction")
    assert production["DEPLOY_TARGET"] == staging["DEPLOY_TARGET"] == "requested"
    assert (production["ENDPOINT_NAME"], production["ROLLOUT"]) == (PRODUCTION, "canary")
    assert production["ROLLBACK_ALARM_NAMES"]
    assert (staging["ENDPOINT_NAME"], staging["ROLLOUT"]) == (STAGING, "all-at-once")
    assert staging["INITIAL_INSTANCE_COUNT"] == "1"
    assert not {"ROLLBACK_ALARM_NAMES", "AUTOSCALING_MIN_CAPACITY"} & staging.keys()


def test_the_gate_gets_its_thresholds_and_only_the_staging_endpoint(template) -> None:
    gate = function_environment(template, "GateFunction")
    assert (gate["MAX_ERROR_RATE"], gate["MAX_P99_LATENCY_MS"], gate["MIN_ACCURACY"]) == (
        "0.01",
        "200.0",
        "0.9",
    )
    (policy,) = [v for k, v in resources(template, "AWS::IAM::Policy").items() if "Gate" in k]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    invoke = [s for s in statements if s["Action"] == "sagemaker:InvokeEndpoint"]
    assert [joined(s["Resource"]).rsplit(":", 1)[-1] for s in invoke] == [f"endpoint/{STAGING}"]
    actions = {
        s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]) for s in statements
    }
    assert "s3:GetObject" in actions and "s3:PutObject" in actions


def test_the_approval_waits_for_a_token_and_expires(definition) -> None:
    ask = definition["States"]["AskForPromotion"]
    assert ask["Resource"].endswith(":states:::sns:publish.waitForTaskToken")
    assert ask["TimeoutSeconds"] == 2 * 24 * 3600
    assert ask["Parameters"]["Message"]["taskToken.$"] == "$$.Task.Token"
    (timeout, rest) = ask["Catch"]
    assert (timeout["ErrorEquals"], timeout["Next"]) == (["States.Timeout"], "PromotionExpired")
    assert rest["ErrorEquals"] == ["States.ALL"]


def test_production_is_reached_only_through_the_gate_the_approval_and_the_latest_check(
    definition,
) -> None:
    for gate in ("TestOnStaging", "GatePassed?", "AskForPromotion", "StillLatest?"):
        assert not reachable_avoiding(definition, "DeployToProduction", gate), gate
    assert reachable_avoiding(definition, "DeployToProduction", "NotifyFailure")


def test_every_poll_loop_is_bounded(definition) -> None:
    for where in ("Staging", "Production"):
        rules = definition["States"][f"{where}InService?"]["Choices"]
        bound = [r for r in rules if "NumericGreaterThanEquals" in r]
        assert bound == [
            {"Variable": "$.polls.value", "NumericGreaterThanEquals": 60, "Next": f"{where}TooSlow"}
        ]
        assert definition["States"][f"Wait{where}"]["Seconds"] == 60


def test_every_failure_notifies_and_ends_failed(definition) -> None:
    states = definition["States"]
    assert states["NotifyFailure"]["Next"] == "PromotionFailed"
    assert states["PromotionFailed"] == {
        "Type": "Fail",
        "ErrorPath": "$.error.Error",
        "CausePath": "$.error.Cause",
    }
    for name, state in states.items():
        for catcher in state.get("Catch", []):
            assert catcher["ResultPath"] == "$.error", name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_error_rate": 1.5}, "max_error_rate"),
        ({"min_accuracy": -0.1}, "min_accuracy"),
        ({"max_p99_latency_ms": 0}, "max_p99_latency_ms"),
        ({"min_examples": 2000}, "min_examples"),
        ({"approval_timeout": Duration.days(30)}, "approval_timeout"),
        ({"staging_endpoint_name": "x" * 60}, "staging_endpoint_name"),
    ],
)
def test_props_out_of_range_fail_at_synthesis(change, message) -> None:
    with pytest.raises(StagedModelPromotionPropsError, match=message):
        StagedModelPromotionProps(**change)


def machine_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_a_newer_approval_stops_older_executions_first(definition) -> None:
    states = definition["States"]
    assert states["Version"]["Next"] == "ListRunningPromotions"
    listed = states["ListRunningPromotions"]
    assert listed["Resource"].endswith(":states:::aws-sdk:sfn:listExecutions")
    assert listed["Parameters"] == {
        "StateMachineArn.$": "$$.StateMachine.Id",
        "StatusFilter": "RUNNING",
        "MaxResults": 100,
    }
    stop = states["StopOlderPromotion"]
    assert stop["Resource"].endswith(":states:::aws-sdk:sfn:stopExecution")
    assert stop["Parameters"]["Error"] == "Superseded"
    assert "superseded by version" in stop["Parameters"]["Cause.$"]
    # Only an older version is stopped, never this execution; staging comes after the loop.
    (older,) = states["OlderVersion?"]["Choices"]
    other = "$.supersede.other.input.detail.ModelPackageVersion"
    assert older["Next"] == "StopOlderPromotion"
    assert older["And"] == [
        {"Variable": other, "IsNumeric": True},
        {"Variable": other, "NumericLessThanPath": "$.version"},
    ]
    this = states["ThisExecution?"]["Choices"][0]
    assert (this["StringEqualsPath"], this["Next"]) == ("$$.Execution.Id", "NextRunning")
    assert not reachable_avoiding(definition, "DeployToStaging", "OlderPromotionsStopped")
    assert not reachable_avoiding(definition, "StopOlderPromotion", "OlderVersion?")


def test_the_machine_may_list_its_executions_and_stop_only_its_own(template) -> None:
    name = f"{STACK}-promotion"
    (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["StateMachineName"] == name
    by_action = {
        action: [
            joined(r)
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
        ]
        for s in machine_statements(template)
        for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        if action.startswith("states:")
    }
    prefix = "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
    assert by_action == {
        "states:ListExecutions": [f"{prefix}stateMachine:{name}"],
        "states:DescribeExecution": [f"{prefix}execution:{name}:*"],
        "states:StopExecution": [f"{prefix}execution:{name}:*"],
    }
