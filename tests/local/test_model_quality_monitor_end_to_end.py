"""model-quality-monitor end to end on the local runner: baseline, executions, alarms, hook."""

import json

import pytest
from assemblies import synthesized
from complete_runs import complete_run

from refarch.local import run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assembly():
    return synthesized("model-quality-monitor")


@pytest.fixture(scope="module")
def result():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run("model-quality-monitor")


def test_the_demo_passes_with_nothing_lost_or_denied(result):
    failed = [c for c in result.checks if not c.ok]
    assert result.ok, (failed, result.lost, result.denials, result.error)


def test_the_violations_name_the_drifted_and_the_missing_feature(result):
    check = next(c for c in result.checks if c.name.startswith("drifted traffic"))
    assert "monthly_charges" in check.detail and "discount" in check.detail


def test_without_the_capture_key_the_execution_cannot_read_the_capture(assembly):
    # Captured objects are SSE-KMS: reading them needs kms:Decrypt on the key, as in S3.
    def without_decrypt(template):
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy" or not any(
                "MonitoringRole" in str(r) for r in resource["Properties"]["Roles"]
            ):
                continue
            statements = resource["Properties"]["PolicyDocument"]["Statement"]
            for statement in statements:
                actions = statement["Action"]
                actions = actions if isinstance(actions, list) else [actions]
                statement["Action"] = [a for a in actions if a != "kms:Decrypt"] or [
                    "kms:DescribeKey"
                ]

    # Halted at the first denial: the rest of the run is not what this test is about.
    denied = run_demo(
        "model-quality-monitor",
        out=None,
        assembly=assembly,
        template_hook=without_decrypt,
        halt_on_denial=True,
    )
    assert not denied.ok
    assert any("kms:Decrypt" in str(d) for d in denied.denials), json.dumps(
        [str(d) for d in denied.denials]
    )


def test_without_the_volume_key_grant_the_baselining_job_fails(assembly):
    # The job's role must allow kms:CreateGrant on the volume key (SageMaker roles page): the
    # local run makes the grant as the role, for an AWS resource, before the job starts.
    def without_grant(template):
        for resource in template["Resources"].values():
            if resource["Type"] != "AWS::IAM::Policy" or not any(
                "BaselineRole" in str(r) for r in resource["Properties"]["Roles"]
            ):
                continue
            document = resource["Properties"]["PolicyDocument"]
            document["Statement"] = [
                s for s in document["Statement"] if s["Action"] != "kms:CreateGrant"
            ]

    denied = run_demo(
        "model-quality-monitor", out=None, assembly=assembly, template_hook=without_grant
    )
    assert not denied.ok
    grants = [d for d in denied.denials if d.action == "kms:CreateGrant"]
    assert grants and all("BaselineRole" in d.principal for d in grants)
    check = next(c for c in denied.checks if c.name.startswith("the baseline's statistics"))
    assert not check.ok
