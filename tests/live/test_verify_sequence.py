"""deploy → scenario → teardown, teardown in a ``finally``, cleanup scoped to the run's tag."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from emulated_account import EmulatedAccount, EmulatorDeployer, emulated_account

from refarch.live import verify
from refarch.live.cleanup import delete_tagged
from refarch.live.plans import PLANS
from refarch.scenarios.target import RUN_TAG, Check, Target

#: A pattern with no stack resources the stub needs: the fake scenarios create their own.
PATTERN = "s3-event-processing"
RUN_ID = "s3-event-processing-20261204T000000Z-abcd"


class FakeDeployer(EmulatorDeployer):
    """Records the sequence; deploys nothing (the fake scenarios need no stack)."""

    def deploy(self, pattern, run_id, account, context=None):  # type: ignore[override]
        self.calls.append("deploy")
        return {}


def _queues(stand_in: EmulatedAccount) -> set[str]:
    urls = stand_in.client("sqs").list_queues().get("QueueUrls", [])
    return {url.rsplit("/", 1)[-1] for url in urls}


def _scenario(calls: list[str], *, fail: bool):
    """A scenario that creates a queue tagged with the run id and one without, then ends."""

    def run(target: Target) -> list[Check]:
        calls.append("scenario")
        sqs = target.client("sqs")
        sqs.create_queue(QueueName="run-queue", tags=target.tags)
        sqs.create_queue(QueueName="someone-elses-queue")
        if fail:
            raise RuntimeError("the scenario broke half way")
        return [Check("the queue was created", True)]

    return run


@pytest.fixture
def stand_in(monkeypatch):
    with emulated_account() as account:
        account.bootstrap()
        yield account


@pytest.mark.parametrize("fail", [False, True])
def test_teardown_runs_after_the_scenario_whatever_it_did(stand_in, monkeypatch, fail):
    deployer = FakeDeployer()
    monkeypatch.setattr(verify, "CONVERTED", {PATTERN: _scenario(deployer.calls, fail=fail)})
    out = io.StringIO()
    result = verify.verify_live(
        PATTERN, account=stand_in.account, deployer=deployer, yes=True, out=out, run_id=RUN_ID
    )
    assert deployer.calls == ["deploy", "scenario", "destroy"]
    # The tagged queue is gone; the untagged one (not the run's) is still there.
    assert _queues(stand_in) == {"someone-elses-queue"}
    assert any("run-queue" in line for line in result.torn_down)
    assert result.ok is not fail
    trace = out.getvalue()
    if fail:
        assert result.error == "RuntimeError: the scenario broke half way"
        assert f"FAILED: {PATTERN}: 0/0 checks" in trace
    else:
        assert f"OK: {PATTERN}: 1/1 checks, live in 123456789012/us-east-1" in trace
    assert "report the result" in trace


def test_a_failed_destroy_is_reported_and_tagged_resources_still_go(stand_in, monkeypatch):
    deployer = FakeDeployer(fail_destroy=True)
    monkeypatch.setattr(verify, "CONVERTED", {PATTERN: _scenario(deployer.calls, fail=False)})
    result = verify.verify_live(
        PATTERN, account=stand_in.account, deployer=deployer, yes=True, out=None, run_id=RUN_ID
    )
    assert deployer.calls == ["deploy", "scenario", "destroy"]
    # The stand-in has no CloudFormation stack to list; the failed destroy is what is reported.
    assert result.leftovers == [f"stack {PATTERNS_STACK}: DELETE_FAILED (injected)"]
    assert not result.ok
    assert _queues(stand_in) == {"someone-elses-queue"}


def test_keep_leaves_everything_and_says_how_to_delete_it(stand_in, monkeypatch):
    deployer = FakeDeployer()
    monkeypatch.setattr(verify, "CONVERTED", {PATTERN: _scenario(deployer.calls, fail=False)})
    out = io.StringIO()
    result = verify.verify_live(
        PATTERN,
        account=stand_in.account,
        deployer=deployer,
        yes=True,
        keep=True,
        out=out,
        run_id=RUN_ID,
    )
    assert deployer.calls == ["deploy", "scenario"]
    assert result.kept and result.ok
    assert _queues(stand_in) == {"run-queue", "someone-elses-queue"}
    assert "npx cdk destroy S3EventProcessing" in out.getvalue()


def test_cleanup_deletes_only_what_carries_this_runs_tag(stand_in):
    s3, sqs = stand_in.client("s3"), stand_in.client("sqs")
    tagging = [{"Key": RUN_TAG, "Value": RUN_ID}]
    s3.create_bucket(Bucket="run-bucket")
    s3.put_bucket_tagging(Bucket="run-bucket", Tagging={"TagSet": tagging})
    s3.put_object(Bucket="run-bucket", Key="a.txt", Body=b"a")
    s3.create_bucket(Bucket="untagged-bucket")
    s3.create_bucket(Bucket="other-run-bucket")
    s3.put_bucket_tagging(
        Bucket="other-run-bucket", Tagging={"TagSet": [{"Key": RUN_TAG, "Value": "another-run"}]}
    )
    sqs.create_queue(QueueName="run-queue", tags={RUN_TAG: RUN_ID})

    report = delete_tagged(stand_in.account, RUN_ID)

    assert report.failed == []
    assert sorted(report.deleted) == [
        "arn:aws:s3:::run-bucket",
        "arn:aws:sqs:us-east-1:123456789012:run-queue",
    ]
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {"untagged-bucket", "other-run-bucket"} <= buckets
    assert "run-bucket" not in buckets
    assert _queues(stand_in) == set()


def test_every_converted_pattern_has_a_plan_with_cited_prices():
    for plan in PLANS.values():
        assert plan.creates and plan.cost and plan.duration and plan.teardown
        assert all(url.startswith("https://aws.amazon.com/") for url in plan.pricing)


PATTERNS_STACK = "S3EventProcessing"


class ContextRecordingDeployer(FakeDeployer):
    """Also records the context deploy was given (``destroy`` records its own)."""

    def deploy(self, pattern, run_id, account, context=None):  # type: ignore[override]
        self.contexts.append(dict(context or {}))
        return super().deploy(pattern, run_id, account, context)


@pytest.mark.parametrize(
    ("started", "schedule"),
    [
        (datetime(2026, 12, 4, 1, 50, tzinfo=UTC), "cron(0 13 * * ? *)"),
        (datetime(2026, 12, 4, 14, 5, tzinfo=UTC), "cron(0 2 * * ? *)"),
    ],
)
def test_a_glue_run_moves_the_daily_schedule_twelve_hours_from_its_start(
    stand_in, monkeypatch, started, schedule
):
    # At 01:50 the stack's own 02:00 run would start ten minutes into the scenario, and the
    # workflow allows one run at a time: the run deploys (and destroys) with the schedule moved.
    deployer = ContextRecordingDeployer()
    pattern = "glue-partitioned-etl"
    monkeypatch.setattr(verify, "CONVERTED", {pattern: _scenario(deployer.calls, fail=False)})
    out = io.StringIO()
    verify.verify_live(
        pattern,
        account=stand_in.account,
        deployer=deployer,
        yes=True,
        out=out,
        now=lambda: started,
    )
    assert deployer.contexts == [{"schedule": schedule}] * 2
    assert f"-c schedule={schedule}: so the daily scheduled run cannot start" in out.getvalue()


def test_a_schedule_the_user_chose_is_kept(stand_in, monkeypatch):
    deployer = ContextRecordingDeployer()
    pattern = "glue-partitioned-etl"
    monkeypatch.setattr(verify, "CONVERTED", {pattern: _scenario(deployer.calls, fail=False)})
    chosen = {"schedule": "cron(30 6 * * ? *)"}
    out = io.StringIO()
    verify.verify_live(
        pattern, account=stand_in.account, deployer=deployer, yes=True, out=out, context=chosen
    )
    assert deployer.contexts == [chosen] * 2
    assert "so the daily scheduled run" not in out.getvalue()


def test_patterns_without_a_schedule_deploy_with_only_the_users_context(stand_in, monkeypatch):
    deployer = ContextRecordingDeployer()
    monkeypatch.setattr(verify, "CONVERTED", {PATTERN: _scenario(deployer.calls, fail=False)})
    verify.verify_live(
        PATTERN, account=stand_in.account, deployer=deployer, yes=True, out=io.StringIO()
    )
    assert deployer.contexts == [{}] * 2
