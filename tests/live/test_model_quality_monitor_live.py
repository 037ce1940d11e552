"""model-quality-monitor through ``refarch verify --live``'s code path, against the stand-in.

The registry is driven over HTTP (``CreateModelPackage``, ``UpdateModelPackage``); while the run
sleeps, the stand-in's SageMaker announces the approvals, the baseline starter creates the
baselining job, SageMaker runs it and its completion invokes the promoter, as AWS does all
along. The hourly executions are the local-only part (they need the monitored endpoint's
captured traffic): skipped live, saying why.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import FakeClock, verify_on_stand_in

from refarch.live.verify import LiveResult
from refarch.scenarios.model_quality_monitor import (
    BASELINE_POLL_SECONDS,
    EVENT_SETTLE_SECONDS,
    HOURS_LOCAL_ONLY,
    NEXT_HOUR_LOCAL_ONLY,
)

PATTERN = "model-quality-monitor"


@pytest.fixture(scope="module")
def live_run() -> tuple[LiveResult, str, list[str], list[str], FakeClock, dict]:
    tags: dict = {}

    def registry_tags(stand_in) -> None:
        # What the registry still holds after teardown, with each resource's tags.
        sagemaker = stand_in.client("sagemaker")
        groups = sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]
        packages = [
            p
            for g in groups
            for p in sagemaker.list_model_packages(
                ModelPackageGroupName=g["ModelPackageGroupName"]
            )["ModelPackageSummaryList"]
        ]
        tags.update(
            {
                arn: {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
                for arn in [g["ModelPackageGroupArn"] for g in groups]
                + [p["ModelPackageArn"] for p in packages]
            }
        )

    run = verify_on_stand_in(PATTERN, synthesized(PATTERN), after=registry_tags)
    return (*run, tags)


def test_the_baseline_path_passes_through_the_live_path(live_run):
    result, trace, _, calls, *_ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: model-quality-monitor: 6/6 checks (3 local-only skipped)" in trace
    assert result.skipped == [
        "SageMaker sending the same event again through the bus",
        HOURS_LOCAL_ONLY,
        NEXT_HOUR_LOCAL_ONLY,
    ]


def test_each_baseline_is_waited_for_at_its_poll_interval(live_run):
    # Each approval's job runs while the run sleeps one poll; the other team's approval is
    # given the settle time, with nothing to observe.
    *_, clock, _ = live_run
    assert clock.sleeps == [BASELINE_POLL_SECONDS, EVENT_SETTLE_SECONDS, BASELINE_POLL_SECONDS]


def test_the_registry_is_driven_and_the_events_replayed_over_http(live_run):
    _, trace, requests, *_ = live_run
    assert "→ UpdateModelPackage approved-model-endpoint-models-" in trace
    assert '"outcome":"already_started"' in trace and '"outcome":"superseded"' in trace
    assert sum("/invocations" in line for line in requests) == 2


def test_teardown_deletes_the_registered_versions_then_their_groups_by_the_run_tag(live_run):
    result, *_, left = live_run
    deleted = [d for d in result.torn_down if ":sagemaker:" in d]
    kinds = [d.split(":")[-1].split("/")[0] for d in deleted]
    assert kinds == ["model-package"] * 3 + ["model-package-group"] * 2
    assert left == {}  # nothing registered is left in the stand-in


def test_the_demo_runs_the_same_scenario_with_the_hours_checked():
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 15
