"""staged-model-promotion end to end locally: approvals → the state machine → staging → gate →
the approver → production, every task under its role with IAM enforced."""

import re

import pytest
from complete_runs import complete_run, complete_trace

PATTERN = "staged-model-promotion"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run(PATTERN), complete_trace(PATTERN)


def test_the_seven_scenarios_pass_with_no_denial_and_nothing_lost(demo):
    result, trace = demo
    assert result.ok, trace
    assert result.denials == []
    assert result.lost == []
    assert len(result.checks) == 8
    assert "OK: staged-model-promotion: 8/8 checks" in trace


def test_the_gate_figures_are_the_models(demo):
    _, trace = demo
    figures = re.findall(r"gate on v(\d): (PASSED|FAILED) \(([^)]*)\)", trace)
    assert figures == [
        ("1", "PASSED", "every threshold met"),
        ("2", "FAILED", "accuracy 0.00% below the 90.00% required"),
        ("3", "FAILED", "p99 latency 450.0 ms above the 200 ms allowed"),
        ("4", "PASSED", "every threshold met"),
        ("5", "PASSED", "every threshold met"),
        ("6", "PASSED", "every threshold met"),
        ("7", "PASSED", "every threshold met"),
        ("8", "PASSED", "every threshold met"),
    ]


def test_the_trace_follows_the_promoted_version_through_every_state(demo):
    _, trace = demo
    v1 = trace.split("== Run: v2")[0]
    states = re.findall(r"Step Functions: (\w+) → ", v1)
    order = [
        "ListRunningPromotions",
        "DeployToStaging",
        "DescribeStagingEndpoint",
        "TestOnStaging",
        "AskForPromotion",
        "LatestApproved",
        "DeployToProduction",
        "DescribeProductionEndpoint",
        "TagPromotedVersion",
        "WritePromotionRecord",
        "NotifyPromoted",
    ]
    positions = [states.index(name) for name in order]
    assert positions == sorted(positions), states
    assert "refarch promote arn:aws:states:" in v1


def test_every_failed_execution_names_where_and_why(demo):
    _, trace = demo
    endings = re.findall(
        r"execution (SUCCEEDED|FAILED|ABORTED)(?:: (\w+))?; production is (\w+)", trace
    )
    assert endings == [
        ("SUCCEEDED", "", "InService"),
        ("FAILED", "GateFailed", "InService"),
        ("FAILED", "GateFailed", "InService"),
        ("FAILED", "Rejected", "InService"),
        ("FAILED", "PromotionExpired", "InService"),
        ("FAILED", "RolledBack", "InService"),
        ("ABORTED", "Superseded", "InService"),
        ("SUCCEEDED", "", "InService"),
    ]


def test_a_newer_approval_stops_the_older_waiting_execution(demo):
    _, trace = demo
    run = trace.split("== Run: v7")[1]
    states = re.findall(r"Step Functions: (\w+) → ", run)
    v8 = states[states.index("AskForPromotion") + 1 :]
    assert v8[:3] == ["ListRunningPromotions", "DescribeRunningPromotion", "StopOlderPromotion"]
    assert re.search(r"ABORTED: superseded by version 8 of \S+ \(arn:aws:states:", run)
    assert "a late promote of the superseded v7: refused (TaskTimedOut)" in run
    assert "production is InService, serving version 8" in run
