"""s3-event-processing through ``refarch verify --live``'s code path, against the stand-in.

The stack is provisioned by the local runner (``cdk deploy`` cannot run here); everything after
that is the live path: the scenario's requests go over HTTP to the moto server with the
caller's credentials, its waits go through the injected clock, and teardown runs.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import FakeClock, verify_on_stand_in

from refarch.live.verify import LiveResult
from refarch.scenarios.s3_event_processing import NOTIFICATION_SETTLE_SECONDS

PATTERN = "s3-event-processing"


@pytest.fixture(scope="module")
def live_run() -> tuple[LiveResult, str, list[str], list[str], FakeClock]:
    # S3 delivers synchronously here: no time needs to pass in the stand-in.
    return verify_on_stand_in(PATTERN, synthesized(PATTERN), time_passes=False)


def test_the_scenario_passes_through_the_live_path(live_run):
    result, trace, _, calls, _ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: s3-event-processing: 13/13 checks (1 local-only skipped)" in trace


def test_the_one_local_only_check_is_skipped_with_its_reason(live_run):
    result, trace, _, _, _ = live_run
    assert result.skipped == ["the event S3 sends is seen only by the function it invokes"]
    assert "- skipped live (local only): the event S3 sends" in trace
    assert not any("arrives URL-encoded" in check.name for check in result.checks)


def test_the_scenario_reached_the_stand_in_over_http(live_run):
    _, _, requests, _, _ = live_run
    assert any('"PUT /s3eventprocessing-inputbucket' in line for line in requests)
    assert any("/functions/" in line and "/invocations" in line for line in requests)
    assert any('"POST / HTTP' in line for line in requests)  # SQS, Logs (JSON protocols)


def test_waits_never_sleep_beyond_the_documented_settling_time(live_run):
    # The emulator delivers synchronously: every wait holds at its first poll, and the only time
    # that passes is the notification configuration's documented settling time.
    *_, clock = live_run
    assert clock.sleeps == [NOTIFICATION_SETTLE_SECONDS]


def test_the_demo_runs_the_same_scenario_with_one_check_more():
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 14
    assert any("arrives URL-encoded" in check.name for check in local.checks)
