"""queue-worker through ``refarch verify --live``'s code path, against the stand-in.

Its waits depend on time passing: while the run sleeps, the stand-in's Lambda poller drains the
work queue (``FakeClock`` with the account), as Lambda polls all along in AWS.
"""

from __future__ import annotations

import io

from assemblies import synthesized
from emulated_account import EmulatorDeployer, FakeClock, emulated_account

from refarch.live.verify import verify_live
from refarch.local import run_demo
from refarch.scenarios.queue_worker import (
    EMPTY_POLL_SECONDS,
    NOTIFICATION_SETTLE_SECONDS,
    PROCESSED_POLL_SECONDS,
)

PATTERN = "queue-worker"


def test_the_scenario_passes_through_the_live_path():
    out = io.StringIO()
    with emulated_account() as stand_in:
        stand_in.bootstrap()
        clock = FakeClock(stand_in)
        deployer = EmulatorDeployer(assemblies={PATTERN: synthesized(PATTERN)})
        result = verify_live(
            PATTERN,
            account=stand_in.account,
            deployer=deployer,
            yes=True,
            out=out,
            sleep=clock.sleep,
            clock=clock,
        )
        requests = list(stand_in.requests)
    trace = out.getvalue()
    assert result.ok, trace
    assert deployer.calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: queue-worker: 12/12 checks (1 local-only skipped)" in trace
    assert result.skipped == ["which messages Lambda invoked the function with is not observable"]
    # Nothing was processed until time passed once in the stand-in after the uploads; the
    # replays, once more.
    assert clock.sleeps == [NOTIFICATION_SETTLE_SECONDS, PROCESSED_POLL_SECONDS, EMPTY_POLL_SECONDS]
    assert any('"PUT /queueworker-inputbucket' in line for line in requests)
    assert any("DELETE /queueworker-inputbucket" in line for line in requests)  # 204, coloured
    assert any('"POST / HTTP' in line for line in requests)  # SQS (JSON protocol)


def test_the_demo_runs_the_same_scenario_with_two_checks_more():
    local = run_demo(PATTERN, out=None, assembly=synthesized(PATTERN))
    assert local.ok
    assert len(local.checks) == 14
    assert any("partial batch" in check.name for check in local.checks)
