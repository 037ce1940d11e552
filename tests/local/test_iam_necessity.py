"""Every permission the run's roles hold is needed: remove one, and the run hits AccessDenied.

The roles are the ones something assumes during a local run: each Python Lambda function's
execution role, each Firehose delivery stream's roles (source, destination, processor), each
Glue job's and crawler's role, and the roles the stack outputs: a producer's role, or the
SageMaker execution role the local SageMaker assumes to host a model (``sources.sagemaker``).
(aws-cdk-lib's Node.js custom-resource providers are not executed locally, so their generated
roles are not covered.)
Their statements are read from the synthesized template (inline policies and managed policy
ARNs), not listed by hand, so a grant added to a stack is covered here automatically, and one
the local run cannot exercise fails this test, for every pattern with a local scenario.

Two proofs of the same fact. ``test_each_permission_is_necessary`` reads the complete run's
record (``DemoResult.allowed``: each request a role was allowed, with every statement that
allowed it) and finds a request that only the grant allowed. The ``exhaustive`` test makes the
run without the grant and checks it is denied, first, that very request (one run per grant:
minutes for the catalog, so ``make test-exhaustive`` runs it, in CI).

A statement the local runner cannot exercise is listed in ``NOT_EXERCISED`` with the reason; its
test is a strict xfail, so it fails (XPASS) the day the runner starts to need the statement.
"""

import json
import re

import pytest
from assemblies import run_variant, synthesize_in_turn, synthesized
from complete_runs import LOCAL_RUNS, complete_run
from moto.iam.aws_managed_policies import aws_managed_policies_data

from refarch.local import run_demo
from refarch.local.access_record import assumed_roles
from refarch.local.names import physical_name
from refarch.local.policy_conditions import glob_match

pytestmark = pytest.mark.slow

#: (pattern, role logical-id prefix, first action of the statement) -> why the local run
#: cannot make it necessary.
NOT_EXERCISED = {
    ("stream-to-lake", "FirehoseDestinationRole", "s3:GetBucketLocation"): (
        "bucket-level reads in Firehose's documented S3 policy: the runner writes each object "
        "with one PutObject (no listing, no multipart upload) and does not know when Firehose "
        "calls GetBucketLocation, so it makes no such call"
    ),
    ("stream-to-lake", "FirehoseDestinationRole", "logs:CreateLogStream"): (
        "Firehose writes its error log only when an invocation or a write fails, which the "
        "scenario's clean run never does (ProcessingFailed records are not Firehose errors); "
        "test_firehose_engine shows the write denied on that path without it"
    ),
    ("glue-partitioned-etl", "RawCrawlerRole", "kms:Decrypt"): (
        "the security configuration's key, granted to every Glue role it serves (AWS docs, "
        "https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html): a "
        "crawl makes no KMS call as its role locally: CloudWatch Logs encrypts its log events "
        "with the key (the key policy admits the regional logs principal), the raw objects are "
        "SSE-S3 and a crawler keeps no bookmark; AWS does not document which KMS call Glue "
        "makes for a crawler, so the runner makes none"
    ),
    ("model-quality-monitor", "DriftWatcherRole", "sqs:SendMessage"): (
        "Lambda's asynchronous dead-letter queue: written only after the watcher fails three "
        "times (an S3 or EventBridge outage), which the scenario's watcher never does"
    ),
    ("model-quality-monitor", "BaselinePromoterRole", "sqs:SendMessage"): (
        "Lambda's asynchronous dead-letter queue: written only after the promoter fails three "
        "times (an S3 outage), which the scenario's promoter never does"
    ),
    ("model-quality-monitor", "BaselineStarterRole", "sqs:SendMessage"): (
        "Lambda's asynchronous dead-letter queue: written only after the starter fails three "
        "times (a SageMaker outage or limit), which the scenario's starter never does"
    ),
    ("approved-model-endpoint", "DeployerRole", "cloudwatch:DeleteAlarms"): (
        "a Deny: it keeps the deployer off the stack's own alarms and never makes the run pass; "
        "test_the_deployer_can_neither_delete_nor_rewrite_its_rollback_alarms shows it refuses"
    ),
    ("staged-model-promotion", "DeployerRole", "cloudwatch:DeleteAlarms"): (
        "the same Deny as approved-model-endpoint's deployer (the production deployer is that "
        "stack's): it never makes the run pass"
    ),
    ("staged-model-promotion", "DeployerRole", "sqs:SendMessage"): (
        "the DLQ of the production deployer's asynchronous invocations (the in-service rule's): "
        "no scenario step fails one; approved-model-endpoint's scenario proves the send"
    ),
}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _short(logical_id):
    # Drop CDK's 8-character hash and the 32-character id of singleton functions.
    return re.sub(r"[0-9a-f]{32}", "", logical_id[:-8])


def _param(run, role, kind, target, index, actions):
    test_id = f"{run}:{_short(role)}:{','.join(actions)}"
    pattern_id = run.partition("[")[0]
    reason = next(
        (
            why
            for (pattern, prefix, action), why in NOT_EXERCISED.items()
            if pattern == pattern_id and role.startswith(prefix) and actions[0] == action
        ),
        None,
    )
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(run, role, kind, target, index, actions, id=test_id, marks=marks)


def permissions(run):
    """(run, role, kind, target, index, actions) for every grant of every assumed role."""
    template = run_variant(run)[1].template
    resources = template["Resources"]
    found = []
    for role in assumed_roles(template):
        for policy_id, resource in resources.items():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            if {"Ref": role} not in resource["Properties"].get("Roles", []):
                continue
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            for index, statement in enumerate(statements):
                actions = _as_list(statement["Action"])
                found.append(_param(run, role, "statement", policy_id, index, actions))
        for arn in resources[role]["Properties"].get("ManagedPolicyArns", []):
            name = arn["Fn::Join"][1][-1].rsplit("/", 1)[-1] if isinstance(arn, dict) else arn
            document = json.loads(aws_managed_policies_data)[name]["Document"]
            actions = [a for s in document["Statement"] for a in _as_list(s["Action"])]
            found.append(_param(run, role, "managed", name, None, actions))
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


@pytest.mark.parametrize("run", LOCAL_RUNS)
def test_the_complete_stack_passes(run):
    result = complete_run(run)  # the same run test_iam_unused_access reads
    assert result.ok
    assert not result.access_denied


def test_every_role_the_stream_pattern_assumes_is_covered():
    template = synthesized("stream-to-lake").template
    assert [_short(r) for r in assumed_roles(template)] == [
        "FirehoseDestinationRole",
        "FirehoseSourceRole",
        "ProducerRole",
        "TransformRole",
    ]


synthesize_in_turn(LOCAL_RUNS)  # the parameters below read every run's template
PERMISSIONS = [param for run in LOCAL_RUNS for param in permissions(run)]


def _removed(template, kind, target, index):
    """The statements (policy name, index or None for all) that removing the grant removes."""
    if kind == "managed":
        return target, None
    return template["Resources"][target]["Properties"]["PolicyName"], index


@pytest.mark.parametrize(("run", "role", "kind", "target", "index", "actions"), PERMISSIONS)
def test_each_permission_is_necessary(run, role, kind, target, index, actions):
    # The complete run recorded every request each role was allowed, with every Allow statement
    # that matched it. A request that only this grant allowed is denied without it (IAM denies
    # what no statement allows), and the run up to that request is the same with or without it
    # (nothing before it depended on the grant): so a run without the grant stops there, which
    # the exhaustive test below shows by making that run.
    _, assembly = run_variant(run)
    result = complete_run(run)
    policy, statement = _removed(assembly.template, kind, target, index)
    role_name = physical_name(assembly.stack_name, role)
    only_this_grant = [
        access
        for access in result.allowed
        if access.role == role_name
        and all(
            ref.policy == policy and statement in (None, ref.index) for ref in access.statements
        )
    ]
    assert only_this_grant, f"no request of {role_name} needed only {policy}[{statement}]"
    first = only_this_grant[0]
    assert any(glob_match(a, first.action, ignore_case=True) for a in actions), first


@pytest.mark.exhaustive
@pytest.mark.parametrize(("run", "role", "kind", "target", "index", "actions"), PERMISSIONS)
def test_each_permission_is_necessary_in_a_run_without_it(run, role, kind, target, index, actions):
    pattern_id, assembly = run_variant(run)

    def without_it(template):
        if kind == "statement":
            _remove_statement(template, target, index)
        else:
            _remove_managed_policy(template, role, target)

    # The first denial is the proof: the run stops there (the rest of the scenario adds nothing).
    result = run_demo(
        pattern_id, out=None, template_hook=without_it, assembly=assembly, halt_on_denial=True
    )

    assert not result.ok
    assert result.access_denied
    denied = {denial.action for denial in result.denials}
    assert any(glob_match(a, d, ignore_case=True) for a in actions for d in denied), denied
    # The denied caller is a session of the role that lost the permission.
    role_name = physical_name(assembly.stack_name, role)
    assert any(f"assumed-role/{role_name}/" in d.principal for d in result.denials)
    # And it is the request the complete run's record names (test_each_permission_is_necessary).
    policy, statement = _removed(assembly.template, kind, target, index)
    needed = next(
        access
        for access in complete_run(run).allowed
        if access.role == role_name
        and all(
            ref.policy == policy and statement in (None, ref.index) for ref in access.statements
        )
    )
    # (Resources may differ between runs: a stream's label and a log stream's name are dated.)
    assert result.denials[0].action.lower() == needed.action.lower()


def test_the_glue_pattern_covers_its_job_and_crawler_roles():
    # The job and the crawler run locally, each as its role (sources.glue_job, .glue_crawler).
    # The partition-index provider's roles are aws-cdk-lib's own Node.js handlers, which the
    # runner does not execute (the provisioner makes their calls under their roles at deploy).
    template = synthesized("glue-partitioned-etl").template
    assert [_short(r) for r in assumed_roles(template)] == ["JobRole", "RawCrawlerRole"]


def test_the_endpoint_pattern_covers_its_deployer_and_execution_roles():
    # The deployer is the pattern's one function; the execution role is an output, assumed by
    # the local SageMaker to bring fleets up, read the rollback alarms and write captured data.
    # Every Allow of both is proven necessary, the log-group statement included (the local
    # SageMaker makes CreateLogGroup and DescribeLogStreams as the role); the one entry is a Deny.
    template = synthesized("approved-model-endpoint").template
    assert [_short(r) for r in assumed_roles(template)] == ["DeployerRole", "ExecutionRole"]
    assert sorted(key[1:] for key in NOT_EXERCISED if key[0] == "approved-model-endpoint") == [
        ("DeployerRole", "cloudwatch:DeleteAlarms"),
    ]
