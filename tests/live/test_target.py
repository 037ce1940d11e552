"""The scenario's target: bounded waits at their interval, local-only steps skipped live."""

from __future__ import annotations

import io

import pytest

from refarch.scenarios.target import DeployedResource, Target, WaitTimedOut
from refarch.trace import Trace


class RecordingTarget(Target):
    """A target whose time passes only when it waits, and that records each pass."""

    def __init__(self, out: io.StringIO) -> None:
        super().__init__(
            pattern_id="p",
            stack_name="S",
            trace=Trace(out),
            run_id="r",
            resources={
                "InputBucket35D89CB1": DeployedResource(
                    "InputBucket35D89CB1", "AWS::S3::Bucket", "input-bucket"
                ),
                "InputBucketPolicy9501ED46": DeployedResource(
                    "InputBucketPolicy9501ED46", "AWS::S3::BucketPolicy", "input-bucket"
                ),
            },
            live=True,
        )
        self.now = 0.0
        self.passes: list[float] = []

    def client(self, service, *, config=None):
        raise AssertionError("no client needed")

    def _now(self) -> float:
        return self.now

    def _pass_time(self, seconds: float) -> None:
        self.passes.append(seconds)
        self.now += seconds


def test_a_true_condition_is_not_waited_for():
    target = RecordingTarget(io.StringIO())
    assert target.wait_until("ready", lambda: "yes", timeout=60, interval=5) == "yes"
    assert target.passes == []


def test_a_wait_polls_at_its_interval_until_the_condition_holds():
    target = RecordingTarget(out := io.StringIO())
    answers = iter([None, [], "done"])
    assert target.wait_until("ready", lambda: next(answers), timeout=60, interval=5) == "done"
    assert target.passes == [5, 5]
    assert "(waited 10 s: ready)" in out.getvalue()


def test_a_wait_is_bounded_by_its_timeout():
    target = RecordingTarget(io.StringIO())
    polls = []
    with pytest.raises(WaitTimedOut, match="never: still not true after 60 s"):
        target.wait_until("never", lambda: polls.append(1), timeout=60, interval=15)
    assert target.passes == [15, 15, 15, 15]
    assert len(polls) == 5  # at once, then after each interval


def test_local_only_steps_are_skipped_live_with_their_reason():
    target = RecordingTarget(out := io.StringIO())
    assert target.local_only("only the emulator sees it") is None
    assert target.skipped == ["only the emulator sees it"]
    assert "skipped live (local only): only the emulator sees it" in out.getvalue()


def test_resources_are_found_by_logical_id_prefix_and_tagged_runs():
    target = RecordingTarget(io.StringIO())
    assert target.physical_id("InputBucket") == "input-bucket"
    assert [r.logical_id for r in target.of_type("AWS::S3::Bucket")] == ["InputBucket35D89CB1"]
    assert target.tags == {"refarch:run-id": "r"}
    with pytest.raises(KeyError, match="matches InputBucket35D89CB1, InputBucketPolicy"):
        target.resource("input-bucket")  # two resources share the physical id
