"""The local scenario of ``staged-model-promotion``: eight versions, two promoted.

Each version is pushed, uploaded and registered by a data scientist, then approved by a
reviewer: the approval rule starts an execution of the promotion state machine (its synthesized
definition, run by the runner's interpreter under the state machine's role), which deploys the
version to staging, waits for it to be in service, and has the gate test it with the labelled
test set in the gate bucket.

1. v1 (good, 35 ms): the gate passes; the approver runs ``refarch promote``; production is
   created and serves v1; the endpoint is tagged and the promotion recorded.
2. v2 (answers wrongly): the gate fails on accuracy; production still v1.
3. v3 (right but 450 ms per answer): the gate fails on p99 latency; production still v1.
4. v4 (good): the approver rejects it (and a second decision on the same request is refused,
   as is a token never issued); production still v1.
5. v5 (good): nobody decides; two days pass and the request expires; a late promote is
   refused; production still v1.
6. v6 (good): promoted, but a rollback alarm is in ALARM during the canary: SageMaker rolls
   back, the execution fails ``RolledBack``; production still v1.
7. v7 (good) waits for a decision when v8 (good) is approved: v8's execution stops v7's
   (ABORTED, the cause naming v8); v8 is promoted and production serves v8; a late promote of
   v7 is refused.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from refarch.local.asl.machine import Execution, InvalidToken, TaskTimedOut
from refarch.local.landed import report_landed
from refarch.local.s3_url import split_s3_url
from refarch.local.scenario import Check
from refarch.local.sources.sagemaker import SageMakerService
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace
from refarch.promotion_commands import (
    REJECTED,
    NoPendingPromotionError,
    promote_output,
    reject_cause,
    task_token,
)
from refarch.scenarios.approved_model_endpoint import serving

REPOSITORY = "ImageRepository"
ROLLBACK_ALARMS = "RollbackAlarms"
APPROVER = "arn:aws:iam::123456789012:user/refarch-deployer"
#: The model the test set's labels come from (the churn model of approved-model-endpoint).
TRUTH = {"weights": [0.01, 0.02, 0.3], "bias": -2.0}
GOOD = {"name": "churn", **TRUTH, "latency_ms": 35}
MODELS: dict[int, dict[str, Any]] = {
    1: {**GOOD, "version": "v1"},
    2: {
        "name": "churn",
        "version": "v2",
        "weights": [-0.01, -0.02, -0.3],
        "bias": 2.0,
        "latency_ms": 35,
    },
    3: {**TRUTH, "name": "churn", "version": "v3", "latency_ms": 450},
    4: {**GOOD, "version": "v4"},
    5: {**GOOD, "version": "v5"},
    6: {**GOOD, "version": "v6"},
    7: {**GOOD, "version": "v7"},
    8: {**GOOD, "version": "v8"},
}
TEST_ROWS = 60
EXPIRY_SECONDS = 2 * 24 * 3600


def labelled_test_set(rows: int = TEST_ROWS) -> bytes:
    """``label,tenure,charges,calls`` rows, labelled by the true model (score ≥ 0.5 → 1)."""
    lines = []
    for n in range(rows):
        features = [float(n % 48), 20.0 + (n * 7) % 90, float(n % 9)]
        total = TRUTH["bias"] + sum(w * x for w, x in zip(TRUTH["weights"], features, strict=True))
        label = int(1 / (1 + math.exp(-total)) >= 0.5)
        lines.append(f"{label}," + ",".join(f"{x:g}" for x in features))
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Promotion:
    """What happened to one version."""

    version: int
    execution: Execution | None = None
    served_after: tuple[str, int] | None = None
    tags_after: dict[str, str] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)

    @property
    def gate(self) -> dict[str, Any]:
        """What the gate returned for this version (empty if it never ran)."""
        for event in reversed(self.execution.history if self.execution else []):
            if event.type == "TaskSucceeded" and event.state == "TestOnStaging":
                return event.detail["output"]["Payload"]
        return {}


class _Scenario:
    def __init__(self, stack: LocalStack, trace: Trace) -> None:
        self.stack, self.trace, self.aws = stack, trace, stack.emulator
        self.sagemaker: SageMakerService = self.aws.sagemaker
        self.group = str(stack.output("ModelPackageGroupName"))
        self.repository = stack.physical_id(REPOSITORY)
        self.artifacts = str(stack.output("ArtifactsLocation"))
        self.promotions: dict[int, Promotion] = {}

    def approve(self, number: int) -> Promotion:
        image = self.sagemaker.push_image(self.repository, f"1.{number - 1}.0", label=f"v{number}")
        url = self.sagemaker.upload_model(
            f"{self.artifacts}churn/v{number}/model.tar.gz", MODELS[number]
        )
        version = self.sagemaker.register(
            self.group, image=image, model_data_url=url, description=f"churn v{number}"
        )
        before = set(self.aws.stepfunctions.executions)
        self.sagemaker.review(version.arn, "Approved", "offline metrics reviewed")
        started = [arn for arn in self.aws.stepfunctions.executions if arn not in before]
        promotion = Promotion(number)
        if started:
            promotion.execution = self.aws.stepfunctions.executions[started[-1]]
        self.promotions[number] = promotion
        gate = promotion.gate
        if gate:
            self.trace.line(
                f"gate on v{number}: {'PASSED' if gate['passed'] else 'FAILED'} ({gate['reason']})"
                f" {json.dumps(gate['metrics'])}"
            )
        return promotion

    def token(self, promotion: Promotion) -> str:
        """The pending request's token, from the history ('' if the execution never asked)."""
        if promotion.execution is None:
            return ""
        try:
            return task_token(self.aws.stepfunctions.history(promotion.execution.arn))
        except NoPendingPromotionError:
            self.trace.line(f"✗ v{promotion.version}: no promotion request to answer")
            return ""

    def promote(self, promotion: Promotion) -> None:
        token = self.token(promotion)
        if token:
            self.trace.line(f"the approver runs: refarch promote {promotion.execution.arn}")
            self._decide(
                lambda: self.aws.stepfunctions.send_task_success(token, promote_output(APPROVER))
            )

    def reject(self, promotion: Promotion, reason: str) -> None:
        token = self.token(promotion)
        if token:
            self.trace.line(f"the approver runs: refarch reject {promotion.execution.arn}")
            self._decide(
                lambda: self.aws.stepfunctions.send_task_failure(
                    token, REJECTED, reject_cause(APPROVER, reason)
                )
            )

    def _decide(self, send: Callable[[], Any]) -> None:
        """Send a decision; a request that is no longer waiting refuses it, as the CLI reports."""
        try:
            send()
        except (InvalidToken, TaskTimedOut) as exc:
            self.trace.line(f"✗ the promotion is no longer waiting ({type(exc).__name__})")

    def refused(self, promotion: Promotion, token: str, what: str) -> None:
        """A decision Step Functions must refuse; the refusal's name is kept for the checks."""
        try:
            self.aws.stepfunctions.send_task_success(token, promote_output(APPROVER))
        except (InvalidToken, TaskTimedOut) as exc:
            promotion.refusals.append(type(exc).__name__)
            self.trace.line(f"{what}: refused ({type(exc).__name__})")

    def note(self, promotion: Promotion) -> None:
        now = serving(
            self.stack.emulator.client("sagemaker"), str(self.stack.output("EndpointName"))
        )
        promotion.served_after = now.state if now else None
        promotion.tags_after = _production_tags(self.stack)
        status, version = promotion.served_after or ("no endpoint", 0)
        execution = promotion.execution
        self.trace.line(
            f"execution {execution.status if execution else 'none'}"
            f"{': ' + execution.error if execution and execution.error else ''}; "
            f"production is {status}, serving version {version}"
        )


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``StagedModelPromotion`` stack; return its checks."""
    run_ = _Scenario(stack, trace)
    aws = run_.aws
    bucket, key = split_s3_url(str(stack.output("TestSetLocation")))
    aws.client("s3").put_object(Bucket=bucket, Key=key, Body=labelled_test_set())
    trace.line(f"a data scientist uploads the labelled test set ({TEST_ROWS} rows) to {key}")

    trace.section("Run: v1 (good) is approved, tested on staging, promoted by the approver")
    v1 = run_.approve(1)
    run_.promote(v1)
    run_.note(v1)

    trace.section("Run: v2 (answers wrongly) is approved: the gate fails it on accuracy")
    v2 = run_.approve(2)
    run_.note(v2)

    trace.section("Run: v3 (slow: 450 ms an answer) is approved: the gate fails it on p99")
    v3 = run_.approve(3)
    run_.note(v3)

    trace.section("Run: v4 (good) passes the gate; the approver rejects it")
    v4 = run_.approve(4)
    token = run_.token(v4)
    run_.reject(v4, "the retention team wants another week of shadow traffic")
    run_.refused(v4, token, "a second decision on the same request")
    run_.refused(v4, "AAAA" + token[4:] if token else "forged", "a forged token")
    run_.note(v4)

    trace.section("Run: v5 (good) passes the gate; nobody decides within two days")
    v5 = run_.approve(5)
    token = run_.token(v5)
    aws.stepfunctions.advance(EXPIRY_SECONDS)
    run_.refused(v5, token, "a promote after the request expired")
    run_.note(v5)

    trace.section("Run: v6 (good) is promoted; a rollback alarm trips during the canary")
    v6 = run_.approve(6)
    alarm = next(
        a.physical_id
        for a in stack.of_type("AWS::CloudWatch::Alarm")
        if a.logical_id.startswith(ROLLBACK_ALARMS)
    )
    aws.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="5xx errors on the canary"
    )
    run_.promote(v6)
    aws.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="OK", StateReason="rolled back"
    )
    run_.note(v6)

    trace.section("Run: v7 waits for a decision when v8 is approved: v8 supersedes it")
    v7 = run_.approve(7)
    token = run_.token(v7)
    v8 = run_.approve(8)
    run_.note(v7)
    run_.promote(v8)
    run_.refused(v7, token, "a late promote of the superseded v7")
    run_.note(v8)

    report_landed(stack, trace)
    return _checks(run_)


def _production_tags(stack: LocalStack) -> dict[str, str]:
    """The production endpoint's tags ({} if it was never created)."""
    sagemaker = stack.emulator.client("sagemaker")
    name = str(stack.output("EndpointName"))
    found = sagemaker.list_endpoints(NameContains=name)["Endpoints"]
    if not any(e["EndpointName"] == name for e in found):  # the staging one contains the name
        return {}
    arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
    return {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def _ended(promotion: Promotion, status: str, error: str = "") -> bool:
    execution = promotion.execution
    return execution is not None and execution.status == status and execution.error == error


def _checks(run_: _Scenario) -> list[Check]:
    p = run_.promotions
    stack, aws = run_.stack, run_.aws
    bucket, _ = split_s3_url(str(stack.output("ReportsLocation")))
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    v1_gate, v2_gate, v3_gate = p[1].gate, p[2].gate, p[3].gate
    return [
        Check(
            "v1: gate passed on staging, promoted by the approver → production created and in "
            "service on v1, tagged with the promoted version and approver, promotion recorded",
            _ended(p[1], "SUCCEEDED")
            and v1_gate.get("passed") is True
            and p[1].served_after == ("InService", 1)
            and p[1].tags_after.get("refarch:promoted-version") == "1"
            and p[1].tags_after.get("refarch:promoted-by") == APPROVER
            and any(k.startswith("promotions/v1/") for k in keys)
            and any(k.startswith("reports/v1/") for k in keys),
            json.dumps(v1_gate.get("metrics")),
        ),
        Check(
            "v2 answers wrongly: the gate fails it on accuracy, the execution ends GateFailed "
            "with the report's reason; production untouched (v1)",
            _ended(p[2], "FAILED", "GateFailed")
            and "accuracy" in p[2].execution.cause
            and v2_gate.get("passed") is False
            and p[2].served_after == ("InService", 1),
            p[2].execution.cause if p[2].execution else "no execution",
        ),
        Check(
            "v3 answers right but slowly: the gate fails it on p99 latency; production "
            "untouched (v1)",
            _ended(p[3], "FAILED", "GateFailed")
            and "p99 latency" in p[3].execution.cause
            and "accuracy" not in p[3].execution.cause
            and v3_gate.get("metrics", {}).get("accuracy") == 1.0
            and p[3].served_after == ("InService", 1),
            p[3].execution.cause if p[3].execution else "no execution",
        ),
        Check(
            "v4 rejected by the approver: the execution ends Rejected with who and why; a "
            "second decision (TaskTimedOut) and a forged token (InvalidToken) are refused; "
            "production untouched (v1)",
            _ended(p[4], "FAILED", REJECTED)
            and APPROVER in p[4].execution.cause
            and p[4].refusals == ["TaskTimedOut", "InvalidToken"]
            and p[4].served_after == ("InService", 1),
            ", ".join(p[4].refusals),
        ),
        Check(
            "v5 not decided within the approval timeout: the execution ends PromotionExpired; "
            "a late promote is refused (TaskTimedOut); production untouched (v1)",
            _ended(p[5], "FAILED", "PromotionExpired")
            and p[5].refusals == ["TaskTimedOut"]
            and p[5].served_after == ("InService", 1),
        ),
        Check(
            "v6 promoted, a rollback alarm trips during the canary: SageMaker rolls back, the "
            "execution ends RolledBack; production serves v1",
            _ended(p[6], "FAILED", "RolledBack")
            and p[6].served_after == ("InService", 1)
            and p[6].tags_after.get("refarch:promoted-version") == "1",
            p[6].execution.cause if p[6].execution else "no execution",
        ),
        Check(
            "v7 waiting for a decision when v8 is approved: v8's execution stops v7's (ABORTED, "
            "the cause naming v8) and a late promote of v7 is refused (TaskTimedOut); v8 "
            "promoted → production serves v8",
            _ended(p[7], "ABORTED", "Superseded")
            and "superseded by version 8" in p[7].execution.cause
            and p[8].execution is not None
            and p[8].execution.arn in p[7].execution.cause
            and p[7].served_after == ("InService", 1)
            and p[7].refusals == ["TaskTimedOut"]
            and _ended(p[8], "SUCCEEDED")
            and p[8].served_after == ("InService", 8)
            and p[8].tags_after.get("refarch:promoted-version") == "8",
            p[7].execution.cause if p[7].execution else "no execution",
        ),
        Check(
            "every approval started one execution and every execution ended (none left "
            "waiting); every failure was notified before it ended",
            all(x.execution is not None for x in p.values())
            and all(x.execution.status != "RUNNING" for x in p.values())
            and all(
                any(
                    e.state == "NotifyFailure" and e.type == "TaskSucceeded"
                    for e in x.execution.history
                )
                for x in p.values()
                if x.execution.status == "FAILED"
            ),
        ),
    ]
