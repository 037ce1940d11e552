"""The cross-account layout of staged-model-promotion, asserted on its three templates.

``-c staging_account=… -c prod_account=…`` (and the orchestration account, which the CDK CLI
takes from the credentials) synthesizes the orchestration stack and one stack per target
account. What matters: each stack's account, who the resource policies and trust policies
admit (the other accounts' named roles only), which tasks run under which account's role, and
that the default single-account synthesis is still one stack.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from assemblies import synthesized
from hypothesis import example, given
from hypothesis import strategies as st
from template_queries import Synthesized

from refarch.cdk_app import build_app
from refarch.cfn_lint import lint_template
from refarch.iam_findings import template_findings
from refarch.stacks.staged_model_promotion_accounts import (
    PromotionAccounts,
    PromotionAccountsError,
)

PATTERN = "staged-model-promotion"
ORCHESTRATION, STAGING, PRODUCTION = "333333333333", "111111111111", "222222222222"
CONTEXT = {
    "orchestration_account": ORCHESTRATION,
    "staging_account": STAGING,
    "prod_account": PRODUCTION,
}
STACKS = {
    "StagedModelPromotion": ORCHESTRATION,
    "StagedModelPromotionStaging": STAGING,
    "StagedModelPromotionProduction": PRODUCTION,
}
PREFIX = "staged-model-promotion"


@pytest.fixture(scope="module")
def assembly():
    return synthesized(PATTERN, **CONTEXT)


@pytest.fixture(scope="module")
def stacks(assembly) -> dict[str, Synthesized]:
    found = {}
    for name in STACKS:
        path = assembly.directory / f"{name}.template.json"
        found[name] = Synthesized(path=path, json=json.loads(path.read_text()))
    return found


@pytest.fixture(scope="module")
def orchestration(stacks) -> Synthesized:
    return stacks["StagedModelPromotion"]


@pytest.fixture(scope="module")
def staging(stacks) -> Synthesized:
    return stacks["StagedModelPromotionStaging"]


@pytest.fixture(scope="module")
def production(stacks) -> Synthesized:
    return stacks["StagedModelPromotionProduction"]


def text(value: Any) -> str:
    """A value with its Fn::Join flattened and ``AWS::Partition`` read as ``aws``."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    if "Fn::Join" in value:
        return value["Fn::Join"][0].join(text(part) for part in value["Fn::Join"][1])
    if value.get("Ref") == "AWS::Partition":
        return "aws"
    if value.get("Ref") == "AWS::Region":
        return "<region>"
    if "Ref" in value:
        return f"<{value['Ref']}>"
    return f"<{'.'.join(value['Fn::GetAtt'])}>"


def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{PREFIX}-{name}"


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in document["Statement"] if s.get("Sid") == sid]
    return found


def admitted(found: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The accounts a resource-policy statement names, and the role ARNs its condition admits."""
    principals = {text(p) for p in as_list(found["Principal"]["AWS"])}
    roles = {text(r) for r in as_list(found["Condition"]["ArnEquals"]["aws:PrincipalArn"])}
    return principals, roles


# -- the layout ---------------------------------------------------------------------------------


def test_each_stack_is_in_its_account(assembly):
    manifest = json.loads((assembly.directory / "manifest.json").read_text())
    environments = {
        name: artifact["environment"]
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert environments == {
        name: f"aws://{account}/unknown-region" for name, account in STACKS.items()
    }


def test_the_default_is_still_one_stack_in_the_deploying_account(tmp_path):
    app = build_app(PATTERN, outdir=str(tmp_path))
    stacks = app.synth().stacks
    assert [s.stack_name for s in stacks] == ["StagedModelPromotion"]
    assert stacks[0].environment.account == "unknown-account"


@pytest.mark.parametrize("name", list(STACKS))
def test_every_stack_is_cfn_lint_clean_and_iam_checked(stacks, name):
    assert lint_template(stacks[name].path) == []
    assert [str(f) for f in template_findings(stacks[name].json)] == []


@pytest.mark.parametrize("name", list(STACKS))
def test_every_acknowledgment_is_scoped_and_carries_a_reason(stacks, name):
    acknowledgments = stacks[name].acknowledgments()
    assert acknowledgments
    for (path, rule), reason in acknowledgments.items():
        assert path.count("/") >= 2, f"{rule} acknowledged for a whole stack: {path}"
        assert len(reason) >= 40, f"{rule} at {path} lacks a real reason: {reason!r}"


def test_what_each_account_holds(orchestration, staging, production):
    def kinds(stack: Synthesized) -> set[str]:
        return {r["Type"] for r in stack.json["Resources"].values()}

    assert {
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::ECR::Repository",
        "AWS::StepFunctions::StateMachine",
    } <= kinds(orchestration)
    assert "AWS::Lambda::Function" not in kinds(orchestration)
    for target in (staging, production):
        assert not {
            "AWS::SageMaker::ModelPackageGroup",
            "AWS::ECR::Repository",
            "AWS::StepFunctions::StateMachine",
        } & kinds(target)
    gates = [
        fn
        for fn in staging.resources("AWS::Lambda::Function").values()
        if fn["Properties"].get("FunctionName") == f"{PREFIX}-staging-gate"
    ]
    assert len(gates) == 1
    assert not [
        fn
        for fn in production.resources("AWS::Lambda::Function").values()
        if "gate" in str(fn["Properties"].get("FunctionName"))
    ]


# -- what the orchestration account shares -------------------------------------------------------


def test_the_registry_admits_only_the_two_deployer_roles(orchestration):
    props = orchestration.props("AWS::SageMaker::ModelPackageGroup")
    assert props["ModelPackageGroupName"] == f"{PREFIX}-models"
    policy = props["ModelPackageGroupPolicy"]
    (found,) = policy["Statement"]
    assert sorted(found["Action"]) == ["sagemaker:CreateModel", "sagemaker:DescribeModelPackage"]
    assert text(found["Resource"]) == (
        f"arn:aws:sagemaker:<region>:{ORCHESTRATION}:model-package/{PREFIX}-models/*"
    )
    assert admitted(found) == (
        {root(STAGING), root(PRODUCTION)},
        {role_arn(STAGING, "staging-deployer"), role_arn(PRODUCTION, "production-deployer")},
    )


def _bucket_policy(stack: Synthesized, prefix: str) -> dict[str, Any]:
    return stack.props("AWS::S3::BucketPolicy", prefix)["PolicyDocument"]


def test_the_artifacts_bucket_lets_the_execution_roles_read_models_only(orchestration):
    bucket = orchestration.props("AWS::S3::Bucket", "ArtifactsBucket")
    assert bucket["BucketName"] == f"{PREFIX}-artifacts-{ORCHESTRATION}"
    found = statement(
        _bucket_policy(orchestration, "ArtifactsBucketPolicy"), "EndpointsReadModelArchives"
    )
    assert found["Action"] == "s3:GetObject"
    assert text(found["Resource"]).endswith("/models/*")
    assert admitted(found) == (
        {root(STAGING), root(PRODUCTION)},
        {role_arn(STAGING, "staging-endpoint"), role_arn(PRODUCTION, "production-endpoint")},
    )


def test_the_gate_bucket_admits_the_staging_gate_only(orchestration):
    document = _bucket_policy(orchestration, "GateDataBucketPolicy")
    read = statement(document, "GateReadsTestSet")
    write = statement(document, "GateWritesReports")
    assert (read["Action"], write["Action"]) == ("s3:GetObject", "s3:PutObject")
    assert text(read["Resource"]).endswith("/test-sets/test.csv")
    assert text(write["Resource"]).endswith("/reports/*")
    for found in (read, write):
        assert admitted(found) == ({root(STAGING)}, {role_arn(STAGING, "staging-gate")})


def test_the_image_repository_lets_the_execution_roles_pull(orchestration):
    props = orchestration.props("AWS::ECR::Repository")
    assert props["RepositoryName"] == f"{PREFIX}-inference"
    found = statement(props["RepositoryPolicyText"], "EndpointsPullImages")
    assert sorted(found["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert "Resource" not in found
    assert admitted(found)[1] == {
        role_arn(STAGING, "staging-endpoint"),
        role_arn(PRODUCTION, "production-endpoint"),
    }


# -- the state machine and the roles it assumes ------------------------------------------------


@pytest.fixture(scope="module")
def definition(orchestration) -> dict[str, Any]:
    machine = orchestration.props("AWS::StepFunctions::StateMachine")
    return json.loads(text(machine["DefinitionString"]))


STAGING_TASKS = {"DeployToStaging", "DescribeStagingEndpoint", "TestOnStaging"}
PRODUCTION_TASKS = {"DeployToProduction", "DescribeProductionEndpoint", "TagPromotedVersion"}


def test_staging_and_production_tasks_run_with_their_accounts_task_roles(definition):
    credentials = {
        name: state["Credentials"]["RoleArn"]
        for name, state in definition["States"].items()
        if "Credentials" in state
    }
    assert credentials == {
        **{name: role_arn(STAGING, "staging-tasks") for name in STAGING_TASKS},
        **{name: role_arn(PRODUCTION, "production-tasks") for name in PRODUCTION_TASKS},
    }
    assert definition["States"]["DeployToStaging"]["Parameters"]["FunctionName"] == (
        f"arn:aws:lambda:<region>:{STAGING}:function:{PREFIX}-staging-deployer"
    )
    assert definition["States"]["TestOnStaging"]["Parameters"]["FunctionName"] == (
        f"arn:aws:lambda:<region>:{STAGING}:function:{PREFIX}-staging-gate"
    )


def test_the_state_machine_role_is_named_and_holds_no_grant_of_the_other_accounts(orchestration):
    role = orchestration.props("AWS::IAM::Role", "PromotionRole")
    assert role["RoleName"] == f"{PREFIX}-promotion"
    _, machine = orchestration.one("AWS::StepFunctions::StateMachine")
    assert orchestration.id_of("AWS::IAM::Policy", "PromotionRoleDefaultPolicy") in machine.get(
        "DependsOn", []
    )
    policy = orchestration.props("AWS::IAM::Policy", "PromotionRoleDefaultPolicy")
    statements = policy["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert (
        not {"lambda:InvokeFunction", "sagemaker:DescribeEndpoint", "sagemaker:AddTags"} & actions
    )
    (assume,) = [s for s in statements if s["Action"] == "sts:AssumeRole"]
    assert {text(r) for r in assume["Resource"]} == {
        role_arn(STAGING, "staging-tasks"),
        role_arn(PRODUCTION, "production-tasks"),
    }


@pytest.mark.parametrize(
    ("stack", "stage", "account", "actions"),
    [
        ("staging", "staging", STAGING, ["sagemaker:DescribeEndpoint"]),
        (
            "production",
            "production",
            PRODUCTION,
            ["sagemaker:AddTags", "sagemaker:DescribeEndpoint"],
        ),
    ],
)
def test_a_task_role_trusts_only_the_state_machine_role(request, stack, stage, account, actions):
    target: Synthesized = request.getfixturevalue(stack)
    role = target.props("AWS::IAM::Role", "TaskRole")
    assert role["RoleName"] == f"{PREFIX}-{stage}-tasks"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRole"
    assert text(trust["Principal"]["AWS"]) == root(ORCHESTRATION)
    assert text(trust["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == role_arn(
        ORCHESTRATION, "promotion"
    )
    policy = target.props("AWS::IAM::Policy", "TaskRoleDefaultPolicy")["PolicyDocument"]
    by_action = {tuple(as_list(s["Action"])): s["Resource"] for s in policy["Statement"]}
    assert sorted(by_action) == sorted([("lambda:InvokeFunction",), tuple(actions)])
    assert text(by_action[tuple(actions)]) == (
        f"arn:aws:sagemaker:<region>:{account}:endpoint/{PREFIX}"
        + ("-staging" if stage == "staging" else "")
    )


# -- the target accounts' side of each grant ------------------------------------------------------


def _named(stack: Synthesized, kind: str, key: str, name: str) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in stack.resources(kind).items()
        if resource["Properties"].get(key) == name
    ]
    return found


def _role_policy(stack: Synthesized, role_id: str) -> list[dict[str, Any]]:
    return [
        s
        for policy in stack.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("stage", ["staging", "production"])
def test_the_execution_role_reads_the_orchestration_artifacts_and_images(request, stage):
    target: Synthesized = request.getfixturevalue(stage)
    role_id, _ = _named(target, "AWS::IAM::Role", "RoleName", f"{PREFIX}-{stage}-endpoint")
    resources = {
        text(r): as_list(s["Action"])
        for s in _role_policy(target, role_id)
        for r in as_list(s["Resource"])
    }
    assert resources[f"arn:aws:s3:::{PREFIX}-artifacts-{ORCHESTRATION}/models/*"] == [
        "s3:GetObject"
    ]
    repository = f"arn:aws:ecr:<region>:{ORCHESTRATION}:repository/{PREFIX}-inference"
    assert "ecr:BatchGetImage" in resources[repository]


@pytest.mark.parametrize("stage", ["staging", "production"])
def test_the_deployer_deploys_requested_versions_of_the_shared_group(request, stage):
    target: Synthesized = request.getfixturevalue(stage)
    _, function = _named(
        target, "AWS::Lambda::Function", "FunctionName", f"{PREFIX}-{stage}-deployer"
    )
    environment = function["Environment"]["Variables"]
    assert environment["DEPLOY_TARGET"] == "requested"
    assert environment["MODEL_PACKAGE_GROUP_NAME"] == f"{PREFIX}-models"
    assert ("ROLLBACK_ALARM_NAMES" in environment) == (stage == "production")
    assert environment["ROLLOUT"] == ("all-at-once" if stage == "staging" else "canary")
    role_id, _ = _named(target, "AWS::IAM::Role", "RoleName", f"{PREFIX}-{stage}-deployer")
    versions = f"arn:aws:sagemaker:<region>:{ORCHESTRATION}:model-package/{PREFIX}-models/*"
    describe = [
        s for s in _role_policy(target, role_id) if "sagemaker:DescribeModelPackage" in s["Action"]
    ]
    assert [text(s["Resource"]) for s in describe] == [versions]
    listed = {a for s in _role_policy(target, role_id) for a in as_list(s["Action"])}
    assert "sagemaker:ListModelPackages" not in listed


# -- the accounts given on the command line ----------------------------------------------------


def _accounts(monkeypatch, **context: str) -> PromotionAccounts | None:
    monkeypatch.delenv("CDK_DEFAULT_ACCOUNT", raising=False)
    return PromotionAccounts.from_context(cdk.App(context=context))


def test_no_account_context_is_the_single_account_layout(monkeypatch):
    assert _accounts(monkeypatch) is None


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"staging_account": STAGING}, "give both staging_account and prod_account"),
        ({"prod_account": PRODUCTION}, "give both staging_account and prod_account"),
        ({**CONTEXT, "staging_account": "12345"}, "staging_account must be a 12-digit"),
        ({**CONTEXT, "prod_account": "22222222222a"}, "prod_account must be a 12-digit"),
        ({**CONTEXT, "orchestration_account": "x"}, "orchestration_account must be a 12-digit"),
        ({**CONTEXT, "prod_account": STAGING}, "must be three different accounts"),
        ({**CONTEXT, "staging_account": ORCHESTRATION}, "must be three different accounts"),
        (
            {"staging_account": STAGING, "prod_account": PRODUCTION},
            "the orchestration account is unknown",
        ),
    ],
)
def test_accounts_are_checked_with_a_clear_error(monkeypatch, context, message):
    with pytest.raises(PromotionAccountsError, match=message):
        _accounts(monkeypatch, **context)


def test_the_orchestration_account_defaults_to_the_cli_credentials(monkeypatch):
    app = cdk.App(context={"staging_account": STAGING, "prod_account": PRODUCTION})
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", ORCHESTRATION)
    accounts = PromotionAccounts.from_context(app)
    assert accounts == PromotionAccounts(ORCHESTRATION, STAGING, PRODUCTION)


@given(st.text(max_size=20) | st.from_regex(r"[0-9]{12}", fullmatch=True))
@example("444444444444\n")  # "$" would take the newline
@example("\u0661" * 12)  # "\d" would take Arabic-Indic digits
def test_an_account_id_is_exactly_twelve_ascii_digits(value):
    accepted = len(value) == 12 and all(c in "0123456789" for c in value)
    if accepted and value in (ORCHESTRATION, PRODUCTION):
        return  # the distinctness rule, tested above
    try:
        PromotionAccounts(ORCHESTRATION, value, PRODUCTION)
    except PromotionAccountsError as error:
        assert not accepted
        assert "staging_account must be a 12-digit AWS account id" in str(error)
    else:
        assert accepted
