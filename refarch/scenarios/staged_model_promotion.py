"""The scenario of ``staged-model-promotion``: eight versions, two promoted.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``). Each version's image is put in ECR (``target.serving_image``), its artifact uploaded to
S3, and it is registered (``CreateModelPackage``) by a data scientist, then approved
(``UpdateModelPackage``) by a reviewer: the approval rule starts an execution of the promotion
state machine, which deploys the version to staging, waits for it to be in service, and has the
gate test it with the labelled test set. The scenario follows each execution through
``DescribeExecution`` and ``GetExecutionHistory`` and answers its promotion request as ``refarch
promote``/``reject`` do (``SendTaskSuccess``, ``SendTaskFailure`` with the token from the history).

1. v1 (good, 35 ms): the gate passes; the approver promotes; production is created and serves
   v1; the endpoint is tagged and the promotion recorded.
2. v2 (answers wrongly): the gate fails on accuracy; production still v1.
3. v3 (right but 450 ms per answer): the gate fails on p99 latency; production still v1.
4. v4 (good): the approver rejects it (and a second decision on the same request is refused,
   as is a token never issued); production still v1.
5. v5 (good): nobody decides; two days pass and the request expires; a late promote is
   refused; production still v1 (locally only: live, two days cannot pass).
6. v6 (good): promoted while a rollback alarm is in ALARM (``SetAlarmState``): SageMaker rolls
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

from botocore.exceptions import ClientError

from refarch.promotion_commands import (
    REJECTED,
    NoPendingPromotionError,
    promote_output,
    reject_cause,
    task_token,
)
from refarch.scenarios.model_artifacts import model_artifact, serving_container
from refarch.scenarios.observe import report_stack_landed
from refarch.scenarios.target import Check, Target
from refarch.trace import brief

REPOSITORY = "ImageRepository"
ROLLBACK_ALARMS = "RollbackAlarms"
STATE_MACHINE = "Promotion"
DEPLOYER = "DeployerFunction"
GATE = "GateFunction"
ARTIFACTS_BUCKET = "ArtifactsBucket"
#: Where the execution role may read model artifacts (the stack's ``ARTIFACTS_PREFIX``).
ARTIFACTS_PREFIX = "models/"
#: The states whose task results the checks read (the stack's definition).
GATE_STATE = "TestOnStaging"
NOTIFY_FAILURE_STATE = "NotifyFailure"
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
#: The stack's default approval timeout (``approval_timeout_hours``, 48).
EXPIRY_SECONDS = 2 * 24 * 3600
#: A new execution starts when EventBridge delivers the approval's state change, usually within
#: seconds (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
STARTED_POLL_SECONDS = 5
STARTED_TIMEOUT_SECONDS = 300
#: An execution settles (waits for a decision, or ends) once SageMaker has created or updated
#: the staging endpoint, "Creating" or "Updating" until "InService", typically minutes
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html), and the
#: gate has run; a promotion's blue/green rollout adds its baking periods
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html).
#: Poll every 30 s for up to an hour.
SETTLED_POLL_SECONDS = 30
SETTLED_TIMEOUT_SECONDS = 3600
#: Errors ``SendTaskSuccess`` answers a token that is not waiting
#: (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html).
REFUSALS = ("InvalidToken", "TaskTimedOut")
#: A step taken before each poll of a wait (holding an alarm in ALARM).
Poll = Callable[[], Any]
#: Events that close a task (its callback answered, failed or timed out).
_TASK_CLOSED = ("TaskSucceeded", "TaskFailed", "TaskTimedOut")


def labelled_test_set(rows: int = TEST_ROWS) -> bytes:
    """``label,tenure,charges,calls`` rows, labelled by the true model (score ≥ 0.5 → 1)."""
    lines = []
    for n in range(rows):
        features = [float(n % 48), 20.0 + (n * 7) % 90, float(n % 9)]
        total = TRUTH["bias"] + sum(w * x for w, x in zip(TRUTH["weights"], features, strict=True))
        label = int(1 / (1 + math.exp(-total)) >= 0.5)
        lines.append(f"{label}," + ",".join(f"{x:g}" for x in features))
    return ("\n".join(lines) + "\n").encode()


def describe_result(result: Any) -> str:
    """Show a deployer's or the gate's answer briefly."""
    return brief(result)


@dataclass
class Promotion:
    """What happened to one version, as Step Functions and SageMaker report it."""

    version: int
    package_version: int = 0
    """The registry's version number (the n-th registered: v5 is not registered live)."""
    arn: str = ""
    status: str = ""
    error: str = ""
    cause: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    served_after: tuple[str, int] | None = None
    tags_after: dict[str, str] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)

    def ended(self, status: str, error: str = "") -> bool:
        """True if the execution ended with ``status`` (and ``error``)."""
        return bool(self.arn) and self.status == status and self.error == error

    def task_results(self, state: str) -> list[Any]:
        """The outputs of the tasks of ``state`` that succeeded, in order."""
        results, current = [], ""
        for event in self.history:
            entered = event.get("stateEnteredEventDetails")
            if entered:
                current = entered["name"]
            details = event.get("taskSucceededEventDetails")
            if event["type"] == "TaskSucceeded" and current == state and details:
                results.append(json.loads(details.get("output") or "null"))
        return results

    @property
    def gate(self) -> dict[str, Any]:
        """What the gate returned for this version (empty if it never ran)."""
        results = self.task_results(GATE_STATE)
        return results[-1].get("Payload", {}) if results else {}

    @property
    def waiting(self) -> bool:
        """True if the execution waits for a decision (its callback task is open)."""
        if self.status != "RUNNING":
            return False
        try:
            task_token(self.history)
        except NoPendingPromotionError:
            return False
        last = max(i for i, e in enumerate(self.history) if e["type"] == "TaskScheduled")
        return not any(e["type"] in _TASK_CLOSED for e in self.history[last + 1 :])


class _Scenario:
    def __init__(self, target: Target) -> None:
        self.target, self.trace = target, target.trace
        self.sfn = target.client("stepfunctions")
        self.sagemaker = target.client("sagemaker")
        self.s3 = target.client("s3")
        self.state_machine = target.physical_id(STATE_MACHINE)
        lambda_ = target.client("lambda")
        deployer = _environment(lambda_, target.physical_id(DEPLOYER))
        self.gate_env = _environment(lambda_, target.physical_id(GATE))
        self.group = deployer["MODEL_PACKAGE_GROUP_NAME"]
        self.endpoint = deployer["ENDPOINT_NAME"]
        self.repository = target.physical_id(REPOSITORY)
        self.artifacts = target.physical_id(ARTIFACTS_BUCKET)
        self.approver = target.client("sts").get_caller_identity()["Arn"]
        self.promotions: dict[int, Promotion] = {}

    def _executions(self) -> set[str]:
        pages = self.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine
        )
        return {e["executionArn"] for page in pages for e in page["executions"]}

    def refresh(self, promotion: Promotion) -> Promotion:
        """Read the execution's status and history again."""
        described = self.sfn.describe_execution(executionArn=promotion.arn)
        promotion.status = described["status"]
        promotion.error = described.get("error", "")
        promotion.cause = described.get("cause", "")
        pages = self.sfn.get_paginator("get_execution_history").paginate(executionArn=promotion.arn)
        promotion.history = [event for page in pages for event in page["events"]]
        return promotion

    def settle(self, promotion: Promotion, *, each_poll: Poll | None = None) -> Promotion:
        """Wait until the execution waits for a decision or has ended (``each_poll`` first)."""

        def settled() -> bool:
            if each_poll is not None:
                each_poll()
            self.refresh(promotion)
            return promotion.status != "RUNNING" or promotion.waiting

        self.target.wait_until(
            f"v{promotion.version}'s execution waits for a decision or ends",
            settled,
            timeout=SETTLED_TIMEOUT_SECONDS,
            interval=SETTLED_POLL_SECONDS,
        )
        return promotion

    def approve(self, number: int) -> Promotion:
        """Push, upload, register and approve version ``number``; follow its execution."""
        tags = [{"Key": k, "Value": v} for k, v in self.target.tags.items()]
        image = self.target.serving_image(self.repository, f"1.{number - 1}.0")
        self.trace.line(f"a data scientist registers {image.uri} ({image.digest[:19]}…)")
        key = f"{ARTIFACTS_PREFIX}churn/v{number}/model.tar.gz"
        self.s3.put_object(Bucket=self.artifacts, Key=key, Body=model_artifact(MODELS[number]))
        self.trace.line(f"… uploads s3://{self.artifacts}/{key}")
        self.trace.line("… and registers it (CreateModelPackage, PendingManualApproval)")
        arn = self.sagemaker.create_model_package(
            ModelPackageGroupName=self.group,
            ModelPackageDescription=f"churn v{number}",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [
                    serving_container(image.uri, image.digest, f"s3://{self.artifacts}/{key}")
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            Tags=tags,
        )["ModelPackageArn"]
        registered = self.sagemaker.describe_model_package(ModelPackageName=arn)
        package_version = int(registered["ModelPackageVersion"])
        self.trace.line(f"registered as version {package_version}: {arn}")
        before = self._executions()
        self.trace.line(f"a reviewer approves v{number} (UpdateModelPackage)")
        self.sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="Approved",
            ApprovalDescription="offline metrics reviewed",
        )
        started = self.target.wait_until(
            f"the approval of v{number} starts an execution",
            lambda: sorted(self._executions() - before),
            timeout=STARTED_TIMEOUT_SECONDS,
            interval=STARTED_POLL_SECONDS,
        )
        promotion = self.settle(Promotion(number, package_version, arn=started[-1]))
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
        try:
            return task_token(promotion.history)
        except NoPendingPromotionError:
            self.trace.line(f"✗ v{promotion.version}: no promotion request to answer")
            return ""

    def promote(self, promotion: Promotion, *, each_poll: Poll | None = None) -> None:
        """Answer as ``refarch promote`` does, then wait for the execution to end."""
        token = self.token(promotion)
        if token:
            self.trace.line(f"the approver runs: refarch promote {promotion.arn}")
            self._decide(
                promotion,
                lambda: self.sfn.send_task_success(
                    taskToken=token, output=promote_output(self.approver)
                ),
                each_poll=each_poll,
            )

    def reject(self, promotion: Promotion, reason: str) -> None:
        """Answer as ``refarch reject`` does, then wait for the execution to end."""
        token = self.token(promotion)
        if token:
            self.trace.line(f"the approver runs: refarch reject {promotion.arn}")
            self._decide(
                promotion,
                lambda: self.sfn.send_task_failure(
                    taskToken=token, error=REJECTED, cause=reject_cause(self.approver, reason)
                ),
            )

    def _decide(self, promotion: Promotion, send: Any, *, each_poll: Poll | None = None) -> None:
        """Send a decision; a request that is no longer waiting refuses it, as the CLI reports."""
        try:
            send()
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code not in REFUSALS:
                raise
            self.trace.line(f"✗ the promotion is no longer waiting ({code})")
        self.settle(promotion, each_poll=each_poll)

    def refused(self, promotion: Promotion, token: str, what: str) -> None:
        """A decision Step Functions must refuse; the refusal's name is kept for the checks."""
        try:
            self.sfn.send_task_success(taskToken=token, output=promote_output(self.approver))
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code not in REFUSALS:
                raise
            promotion.refusals.append(code)
            self.trace.line(f"{what}: refused ({code})")
        else:
            self.trace.line(f"✗ {what}: accepted")

    def tag_deployments(self) -> None:
        """Tag what the deployers created (endpoints, configurations, models) with the run id.

        The deployers create them at runtime, untagged by the run: tagged here (``AddTags``),
        teardown finds and deletes them by the run's tag. Their names start with the
        production endpoint's (``<endpoint>[-staging]-v<version>-<suffix>``).
        """
        tags = [{"Key": k, "Value": v} for k, v in self.target.tags.items()]
        listings = (
            ("list_endpoints", "Endpoints", "EndpointArn"),
            ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigArn"),
            ("list_models", "Models", "ModelArn"),
        )
        for operation, member, arn in listings:
            pages = self.sagemaker.get_paginator(operation).paginate(NameContains=self.endpoint)
            for page in pages:
                for item in page[member]:
                    self.sagemaker.add_tags(ResourceArn=item[arn], Tags=tags)

    def note(self, promotion: Promotion) -> None:
        """Record what production serves now, and its tags; tag what the deployers created."""
        self.refresh(promotion)
        self.tag_deployments()
        promotion.served_after = self.serving()
        promotion.tags_after = self.production_tags()
        status, version = promotion.served_after or ("no endpoint", 0)
        self.trace.line(
            f"execution {promotion.status or 'none'}"
            f"{': ' + promotion.error if promotion.error else ''}; "
            f"production is {status}, serving version {version}"
        )

    def _production(self) -> dict[str, Any] | None:
        try:
            return dict(self.sagemaker.describe_endpoint(EndpointName=self.endpoint))
        except ClientError:
            return None

    def serving(self) -> tuple[str, int] | None:
        """What production serves, read from SageMaker: (status, model package version)."""
        endpoint = self._production()
        if endpoint is None:
            return None
        config = self.sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        (variant,) = config["ProductionVariants"]
        model = self.sagemaker.describe_model(ModelName=variant["ModelName"])
        (container,) = model["Containers"]
        package = self.sagemaker.describe_model_package(
            ModelPackageName=container["ModelPackageName"]
        )
        return endpoint["EndpointStatus"], int(package["ModelPackageVersion"])

    def production_tags(self) -> dict[str, str]:
        """The production endpoint's tags ({} if it was never created)."""
        endpoint = self._production()
        if endpoint is None:
            return {}
        tags = self.sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
        return {t["Key"]: t["Value"] for t in tags}


def _environment(lambda_: Any, function: str) -> dict[str, str]:
    """A function's environment variables (what the stack configured it with)."""
    config = lambda_.get_function_configuration(FunctionName=function)
    return dict(config.get("Environment", {}).get("Variables", {}))


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``StagedModelPromotion`` stack; return its checks."""
    trace = target.trace
    run_ = _Scenario(target)
    bucket, key = run_.gate_env["TEST_SET_BUCKET"], run_.gate_env["TEST_SET_KEY"]
    run_.s3.put_object(Bucket=bucket, Key=key, Body=labelled_test_set())
    trace.line(f"a data scientist uploads the labelled test set ({TEST_ROWS} rows) to {key}")

    trace.section("Run: v1 (good) is approved, tested on staging, promoted by the approver")
    v1 = run_.approve(1)
    run_.promote(v1)
    run_.note(v1)

    trace.section("Run: v2 (answers wrongly) is approved: the gate fails it on accuracy")
    run_.note(run_.approve(2))

    trace.section("Run: v3 (slow: 450 ms an answer) is approved: the gate fails it on p99")
    run_.note(run_.approve(3))

    trace.section("Run: v4 (good) passes the gate; the approver rejects it")
    v4 = run_.approve(4)
    token = run_.token(v4)
    run_.reject(v4, "the retention team wants another week of shadow traffic")
    run_.refused(v4, token, "a second decision on the same request")
    run_.refused(v4, "AAAA" + token[4:] if token else "forged", "a forged token")
    run_.note(v4)

    trace.section("Run: v5 (good) passes the gate; nobody decides within two days")
    local = target.local_only(
        "the approval timeout is two days (the stack's default, approval_timeout_hours=48): "
        "a verification run does not wait that long"
    )
    if local is not None:
        v5 = run_.approve(5)
        token = run_.token(v5)
        local.emulator.stepfunctions.advance(EXPIRY_SECONDS)
        run_.settle(v5)
        run_.refused(v5, token, "a promote after the request expired")
        run_.note(v5)

    trace.section("Run: v6 (good) is promoted; a rollback alarm trips during the canary")
    v6 = run_.approve(6)
    cloudwatch = target.client("cloudwatch")
    alarm = next(
        a.physical_id
        for a in target.of_type("AWS::CloudWatch::Alarm")
        if a.logical_id.startswith(ROLLBACK_ALARMS)
    )

    # The operator's way to force an alarm: SetAlarmState holds only until the alarm's next
    # evaluation (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html),
    # so it is set again at each poll while the rollout runs.
    def trip() -> None:
        cloudwatch.set_alarm_state(
            AlarmName=alarm, StateValue="ALARM", StateReason="5xx errors on the canary"
        )

    trip()
    run_.promote(v6, each_poll=trip)
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="rolled back")
    run_.note(v6)

    trace.section("Run: v7 waits for a decision when v8 is approved: v8 supersedes it")
    v7 = run_.approve(7)
    token = run_.token(v7)
    v8 = run_.approve(8)
    run_.settle(v7)
    run_.note(v7)
    run_.promote(v8)
    run_.refused(v7, token, "a late promote of the superseded v7")
    run_.note(v8)

    report_stack_landed(trace, run_.s3, target.client("sqs"), target)
    return _checks(run_, local is not None)


def _notified_before_failing(promotion: Promotion) -> bool:
    return bool(promotion.task_results(NOTIFY_FAILURE_STATE))


def _checks(run_: _Scenario, expired: bool) -> list[Check]:
    p = run_.promotions
    approver = run_.approver
    listed = run_.s3.list_objects_v2(Bucket=run_.gate_env["REPORT_BUCKET"]).get("Contents", [])
    keys = [o["Key"] for o in listed]
    v1_gate, v2_gate, v3_gate = p[1].gate, p[2].gate, p[3].gate
    v8 = p[8].package_version
    checks = [
        Check(
            "v1: gate passed on staging, promoted by the approver → production created and in "
            "service on v1, tagged with the promoted version and approver, promotion recorded",
            p[1].ended("SUCCEEDED")
            and v1_gate.get("passed") is True
            and p[1].served_after == ("InService", 1)
            and p[1].tags_after.get("refarch:promoted-version") == "1"
            and p[1].tags_after.get("refarch:promoted-by") == approver
            and any(k.startswith("promotions/v1/") for k in keys)
            and any(k.startswith("reports/v1/") for k in keys),
            json.dumps(v1_gate.get("metrics")),
        ),
        Check(
            "v2 answers wrongly: the gate fails it on accuracy, the execution ends GateFailed "
            "with the report's reason; production untouched (v1)",
            p[2].ended("FAILED", "GateFailed")
            and "accuracy" in p[2].cause
            and v2_gate.get("passed") is False
            and p[2].served_after == ("InService", 1),
            p[2].cause or "no execution",
        ),
        Check(
            "v3 answers right but slowly: the gate fails it on p99 latency; production "
            "untouched (v1)",
            p[3].ended("FAILED", "GateFailed")
            and "p99 latency" in p[3].cause
            and "accuracy" not in p[3].cause
            and v3_gate.get("metrics", {}).get("accuracy") == 1.0
            and p[3].served_after == ("InService", 1),
            p[3].cause or "no execution",
        ),
        Check(
            "v4 rejected by the approver: the execution ends Rejected with who and why; a "
            "second decision (TaskTimedOut) and a forged token (InvalidToken) are refused; "
            "production untouched (v1)",
            p[4].ended("FAILED", REJECTED)
            and approver in p[4].cause
            and p[4].refusals == ["TaskTimedOut", "InvalidToken"]
            and p[4].served_after == ("InService", 1),
            ", ".join(p[4].refusals),
        ),
    ]
    if expired:
        checks.append(
            Check(
                "v5 not decided within the approval timeout: the execution ends "
                "PromotionExpired; a late promote is refused (TaskTimedOut); production "
                "untouched (v1)",
                p[5].ended("FAILED", "PromotionExpired")
                and p[5].refusals == ["TaskTimedOut"]
                and p[5].served_after == ("InService", 1),
            )
        )
    checks += [
        Check(
            "v6 promoted, a rollback alarm trips during the canary: SageMaker rolls back, the "
            "execution ends RolledBack; production serves v1",
            p[6].ended("FAILED", "RolledBack")
            and p[6].served_after == ("InService", 1)
            and p[6].tags_after.get("refarch:promoted-version") == "1",
            p[6].cause or "no execution",
        ),
        Check(
            "v7 waiting for a decision when v8 is approved: v8's execution stops v7's (ABORTED, "
            "the cause naming v8) and a late promote of v7 is refused (TaskTimedOut); v8 "
            "promoted → production serves v8",
            p[7].ended("ABORTED", "Superseded")
            and f"superseded by version {v8} " in p[7].cause
            and bool(p[8].arn)
            and p[8].arn in p[7].cause
            and p[7].served_after == ("InService", 1)
            and p[7].refusals == ["TaskTimedOut"]
            and p[8].ended("SUCCEEDED")
            and p[8].served_after == ("InService", v8)
            and p[8].tags_after.get("refarch:promoted-version") == str(v8),
            p[7].cause or "no execution",
        ),
        Check(
            "every approval started one execution and every execution ended (none left "
            "waiting); every failure was notified before it ended",
            all(x.arn for x in p.values())
            and all(x.status not in ("", "RUNNING") for x in p.values())
            and all(_notified_before_failing(x) for x in p.values() if x.status == "FAILED"),
        ),
    ]
    return checks
