"""dynamodb-cdc through ``refarch verify --live``'s code path, against the stand-in.

Its waits depend on time passing: while the run sleeps, the stand-in's Lambda pollers read the
table's stream (``FakeClock`` with the account), as Lambda's poll all along in AWS.
"""

from __future__ import annotations

from assemblies import synthesized
from emulated_account import verify_on_stand_in

from refarch.scenarios.dynamodb_cdc import CONSUMED_POLL_SECONDS

PATTERN = "dynamodb-cdc"


def test_the_scenario_passes_through_the_live_path():
    result, trace, requests, calls, clock = verify_on_stand_in(PATTERN, synthesized(PATTERN))
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert "OK: dynamodb-cdc: 6/6 checks (1 local-only skipped)" in trace
    # Nothing was consumed until time passed once in the stand-in; then everything was.
    assert clock.sleeps == [CONSUMED_POLL_SECONDS]
    assert any("/invocations" in line for line in requests)
