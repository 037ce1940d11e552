"""queue-worker through ``refarch verify --live``'s code path, against the stand-in.

Its waits depend on time passing: while the run sleeps, the stand-in's Lambda poller drains the
work queue (``FakeClock`` with the account), as Lambda polls all along in AWS.
"""

from __future__ import annotations

from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import emulated_account, verify_on_stand_in

from refarch.live.cleanup import DELETERS, _kind
from refarch.scenarios.queue_worker import (
    EMPTY_POLL_SECONDS,
    NOTIFICATION_SETTLE_SECONDS,
    PROCESSED_POLL_SECONDS,
)
from refarch.scenarios.queue_worker_fifo import DEDUPLICATION_INTERVAL_SECONDS

PATTERN = "queue-worker"


def test_the_scenario_passes_through_the_live_path():
    result, trace, requests, calls, clock = verify_on_stand_in(PATTERN, synthesized(PATTERN))
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
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
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 14
    assert any("partial batch" in check.name for check in local.checks)


def test_the_fifo_variant_passes_through_the_live_path_with_its_context():
    # refarch verify queue-worker --live -c fifo=true: the variant is deployed (and destroyed)
    # with its context, and the scenario follows the deployed queue (a FIFO queue's name ends in
    # .fifo).
    result, trace, _, _, clock = verify_on_stand_in(
        PATTERN, synthesized(PATTERN, fifo="true"), context={"fifo": "true"}
    )
    assert result.ok, trace
    assert "-c patterns=queue-worker -c destroy=true -c fifo=true" in trace
    assert len(result.checks) == 5  # 8 locally, 3 of them local only (what each invocation got)
    assert result.skipped == ["which messages Lambda invoked the function with is not observable"]
    # The archived file's wait passes its receives in one interval here: the stand-in's
    # poller lets the visibility timeouts pass on SQS's clock as it drains.
    assert clock.sleeps.count(DEDUPLICATION_INTERVAL_SECONDS) == 2  # settle, then the interval


def test_cleanup_deletes_a_rule_with_its_targets():
    # The FIFO variant's stack has EventBridge rules (one per message group) with SQS targets.
    # moto's tagging API lists event buses only, not rules, so the deleter is called as
    # delete_tagged calls it for a rule's ARN (tagged() itself is tested with buckets and queues).
    with emulated_account() as stand_in:
        events = stand_in.client("events")
        queue = stand_in.client("sqs").create_queue(QueueName="group-queue")["QueueUrl"]
        target = f"arn:aws:sqs:us-east-1:123456789012:{queue.rsplit('/', 1)[-1]}"
        for name in ("run-rule", "other-rule"):
            events.put_rule(Name=name, EventPattern='{"source": ["aws.s3"]}')
            events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": target}])
        arn = events.describe_rule(Name="run-rule")["Arn"]
        DELETERS[_kind(arn)](stand_in.account, arn)
        rules = {r["Name"] for r in events.list_rules()["Rules"]}
    assert _kind(arn) == ("events", "rule")
    assert rules == {"other-rule"}
