"""staged-model-promotion through ``refarch verify --live``'s code path, against the stand-in.

Over HTTP, ``UpdateModelPackage`` emits SageMaker's state change (``registry_events_on_write``,
which the stub deployer turns on), the rule starts an execution, and the stand-in's interpreter
runs it while SageMaker completes its deployments; the scenario reads it back with
``DescribeExecution``/``GetExecutionHistory`` and answers with ``SendTaskSuccess``/
``SendTaskFailure``. The two-day expiry is skipped live. What the deployers created at runtime
is tagged with the run id by the scenario and deleted by the tag-scoped cleanup.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import FakeClock, verify_on_stand_in

from refarch.live.cleanup import DELETERS, _kind
from refarch.live.verify import LiveResult

PATTERN = "staged-model-promotion"


@pytest.fixture(scope="module")
def live_run() -> tuple[LiveResult, str, list[str], list[str], FakeClock]:
    left: dict = {}

    def what_is_left(stand_in) -> None:
        sagemaker = stand_in.client("sagemaker")
        left["endpoints"] = sagemaker.list_endpoints()["Endpoints"]
        left["configs"] = sagemaker.list_endpoint_configs()["EndpointConfigs"]
        left["models"] = sagemaker.list_models()["Models"]

    run = verify_on_stand_in(PATTERN, synthesized(PATTERN), after=what_is_left, serving_image=True)
    return (*run, left)


def test_the_scenario_passes_through_the_live_path(live_run):
    result, trace, _, calls, clock, _ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: staged-model-promotion: 7/7 checks (1 local-only skipped)" in trace
    assert len(result.skipped) == 1 and "two days" in result.skipped[0]
    # Every execution settles within the request that started or answered it in the stand-in.
    assert clock.sleeps == []


def test_the_producers_upload_over_http(live_run):
    _, _, requests, *_ = live_run
    assert any("PUT /" in line and "/test-sets/" in line for line in requests)
    assert any("/models/churn/v8/model.tar.gz" in line for line in requests)
    # The JSON APIs (ECR, SageMaker, Step Functions) are POSTs to / with the action in a header.
    assert sum("POST / HTTP" in line for line in requests) > 100


def test_what_the_deployers_created_is_deleted_by_its_tag(live_run):
    *_, left = live_run
    assert left == {"endpoints": [], "configs": [], "models": []}


def test_the_demo_runs_the_same_scenario_with_one_check_more():
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 8


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/smp", ("sagemaker", "endpoint")),
        (
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/smp-v1-a",
            ("sagemaker", "endpoint-config"),
        ),
        ("arn:aws:sagemaker:us-east-1:123456789012:model/smp-v1-a", ("sagemaker", "model")),
        (
            "arn:aws:sagemaker:us-east-1:123456789012:model-package/models/3",
            ("sagemaker", "model-package"),
        ),
    ],
)
def test_cleanup_knows_what_the_deployers_create(arn, kind):
    assert _kind(arn) == kind and kind in DELETERS
