"""stream-consumer through ``refarch verify --live``'s code path, against the stand-in.

Its waits depend on time passing: while the run sleeps, the stand-in's Lambda pollers read the
stream for both mappings (``FakeClock`` with the account), as Lambda's poll all along in AWS.
The archiver falling two hours behind exists only locally, so live both mappings read the late
events on time and the check of their age is skipped, with its reason.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import FakeClock, emulated_account, verify_on_stand_in

from refarch.live.cleanup import DELETERS, _kind
from refarch.live.verify import LiveResult
from refarch.scenarios.stream_consumer import CONSUMED_POLL_SECONDS

PATTERN = "stream-consumer"


@pytest.fixture(scope="module")
def live_run() -> tuple[LiveResult, str, list[str], list[str], FakeClock]:
    return verify_on_stand_in(PATTERN, synthesized(PATTERN))


def test_the_scenario_passes_through_the_live_path(live_run):
    result, trace, _, calls, _ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert "OK: stream-consumer: 10/10 checks (3 local-only skipped)" in trace


def test_nothing_is_read_until_time_passes_once_per_wait(live_run):
    # The first records and the late ones: each wait polls once, time passes once, then holds.
    _, _, _, _, clock = live_run
    assert clock.sleeps == [CONSUMED_POLL_SECONDS, CONSUMED_POLL_SECONDS]


def test_the_local_only_steps_are_skipped_with_their_reasons(live_run):
    result, trace, _, _, _ = live_run
    assert len(result.skipped) == 3
    assert any("two hours behind" in reason for reason in result.skipped)
    assert not any("too old" in check.name for check in result.checks)
    assert not any(
        check.name.startswith("the poison record is bisected") for check in result.checks
    )
    assert "- skipped live (local only): holding the archiver's mapping" in trace


def test_live_the_archive_holds_the_late_events_too(live_run):
    result, _, _, _, _ = live_run
    (late,) = [c for c in result.checks if c.name.startswith("archiver (late events)")]
    assert late.ok and "(5 + 0 = 5)" in late.name


def test_the_scenario_reached_the_stand_in_over_http(live_run):
    _, _, requests, _, _ = live_run
    assert any('"GET /streamconsumer-rawarchivebucket' in line for line in requests)
    assert any('"POST / HTTP' in line for line in requests)  # Kinesis, SQS, DynamoDB (JSON)


def test_the_demo_runs_the_same_scenario_with_two_checks_more():
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 12
    assert any("too old" in check.name for check in local.checks)


def test_cleanup_knows_the_stream_and_the_mappings():
    # moto's Resource Groups Tagging API does not list Kinesis streams, so the deleter is driven
    # directly: by the ARN GetResources would return, on the stand-in, over HTTP.
    stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/run-stream"
    mapping_arn = (
        "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:"
        "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"
    )
    assert _kind(stream_arn) == ("kinesis", "stream")
    assert _kind(mapping_arn) == ("lambda", "event-source-mapping")
    with emulated_account() as stand_in:
        kinesis = stand_in.client("kinesis")
        kinesis.create_stream(StreamName="run-stream", ShardCount=1)
        kinesis.create_stream(StreamName="other-stream", ShardCount=1)

        DELETERS[_kind(stream_arn)](stand_in.account, stream_arn)

        names = set(kinesis.list_streams()["StreamNames"])
    assert names == {"other-stream"}
