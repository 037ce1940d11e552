"""The local scenario of ``model-quality-monitor``: baseline, normal traffic, drift, alarm, hook.

What it does, in the order a reader meets it in the trace:

1. The monitored endpoint exists with data capture to the stack's capture bucket (created by
   the deployer, as a separately deployed endpoint would be); a data scientist uploads the
   training data (JSON Lines) under ``training/``.
2. Version 1 of the model is registered and approved in the Model Registry: the approval rule
   hands the state change to the baseline starter (its own role, IAM enforced), which calls
   ``CreateProcessingJob``; SageMaker runs the baselining job as the baseline role:
   ``statistics.json`` and ``constraints.json`` land under ``baselines/1/``. The job's
   completion event invokes the baseline promoter, which copies them to ``baselines/current/``
   (the job definition's fixed baseline) and marks version 1 current. SageMaker sends the
   approval again: the job name is in use, no second job. Another team's approval (its own
   group) starts nothing.
3. Hour 1: the endpoint captures traffic like the training data (plus two hostile lines: not
   JSON, and an image payload); the schedule's execution finds no violation, the bad lines are
   counted, the metrics are published and every feature alarm is OK.
4. Hours 2-4: the traffic drifts: ``monthly_charges`` shifted up by two standard deviations,
   ``discount`` no longer sent. Each execution reports a ``baseline_drift_check`` on
   ``monthly_charges`` and a ``missing_column_check`` on ``discount``; their alarms go to ALARM
   and notify the alarm topic; after the third execution in a row with violations the drift
   watcher puts the retraining event.
5. An hour without traffic: the execution fails with its reason, and the failure rule sends
   the event to the alarm topic.
6. Version 2, trained on the new traffic, is approved: its baselining job runs, its completion
   makes version 2 current with no redeploy, and the next hour's drifted-looking traffic is
   checked against it: no violation. SageMaker then delivers version 1's completion again,
   late: the promoter leaves version 2 current.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from refarch.local.landed import objects, report_landed
from refarch.local.scenario import Check
from refarch.local.sources.alarms import alarm_states, evaluate_alarms
from refarch.local.sources.events import PutEvent
from refarch.local.sources.model_monitor import JobRun
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace
from refarch.model_monitor.capture import capture_line as capture_records_line
from refarch.model_monitor.metrics import NAMESPACE
from refarch.stacks.model_quality_monitor_props import ModelQualityMonitorProps

PLANS = (("basic", 0.5), ("gold", 0.3), ("platinum", 0.2))
FIRST_HOUR = datetime(2026, 6, 1, 9, tzinfo=UTC)
SHIFTED, MISSING = "monthly_charges", "discount"


def rows(count: int, state: int, *, drifted: bool = False) -> list[dict[str, Any]]:
    """Churn-model features; ``drifted``: charges up two standard deviations, no discount."""
    rng = random.Random(state)
    out = []
    for i in range(count):
        row: dict[str, Any] = {
            "tenure_months": rng.randrange(72),
            "monthly_charges": round(rng.gauss(70.0, 15.0) + (30.0 if drifted else 0.0), 2),
            "support_calls": min(int(rng.expovariate(0.7)), 12),
            "plan": rng.choices([p for p, _ in PLANS], [w for _, w in PLANS])[0],
            "discount": None if i % 50 == 0 else round(rng.uniform(0, 0.3), 3),
        }
        if drifted:
            del row["discount"]
        out.append(row)
    return out


def capture_line(features: dict[str, Any], at: datetime) -> str:
    """One captured exchange, as SageMaker's data capture writes it (base64-encoded)."""
    return capture_records_line(
        features,
        answer="0.42",
        event_id=str(uuid.uuid4()),
        inference_time=at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )


HOSTILE_LINES = (
    "this line is not JSON",
    json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "image/png",
                    "data": base64.b64encode(b"\x89PNG").decode(),
                    "encoding": "BASE64",
                }
            }
        }
    ),
)


class Endpoint:
    """The monitored endpoint, deployed apart from this stack: its config and its capture."""

    def __init__(self, stack: LocalStack, name: str) -> None:
        self.name = name
        emu = stack.emulator
        self.bucket = stack.output("CaptureBucketName")
        self.key_arn = stack.resource("MonitorKey").attributes["Arn"]
        sagemaker = emu.client("sagemaker")
        role = f"arn:{emu.partition}:iam::{emu.account_id}:role/{name}-execution"
        sagemaker.create_model(
            ModelName=f"{name}-model",
            ExecutionRoleArn=role,
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{name}-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": f"{name}-model",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
            DataCaptureConfig={
                "EnableCapture": True,
                "InitialSamplingPercentage": 100,
                "DestinationS3Uri": f"s3://{self.bucket}/datacapture",
                "KmsKeyId": self.key_arn,
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            },
        )
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
        self._s3 = emu.client("s3")
        self._trace = emu.trace

    def capture(self, features: list[dict[str, Any]], hour: datetime, extra: tuple = ()) -> None:
        """Write an hour's captured requests, as SageMaker does, in files of 200 records."""
        lines = [capture_line(f, hour + timedelta(seconds=i)) for i, f in enumerate(features)]
        lines[len(lines) // 2 : len(lines) // 2] = list(extra)
        for part in range(0, len(lines), 200):
            key = (
                f"datacapture/{self.name}/AllTraffic/{hour:%Y/%m/%d/%H}/"
                f"{hour:%M}-{part // 200:02d}-{uuid.uuid4()}.jsonl"
            )
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=("\n".join(lines[part : part + 200]) + "\n").encode(),
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.key_arn,
            )
        self._trace.line(f"the endpoint captured {len(lines)} requests in hour {hour:%H}:00")


def _violations(run: Any) -> set[tuple[str, str]]:
    if run.analysis is None:
        return set()
    return {(v["feature_name"], v["constraint_check_type"]) for v in run.analysis.violations}


#: A group named as ``approved-model-endpoint`` names its registry by default (the stack's rule
#: matches that prefix).
GROUP = "approved-model-endpoint-models-0a1b2c3d"
OTHER_GROUP = "fraud-models"


CURRENT = "baselines/current/"


def approve_version(emu: Any, group: str, version: int = 1) -> PutEvent:
    """Register the next version in ``group`` and approve it: SageMaker emits the change."""
    sm = emu.sagemaker
    if version == 1:
        sm.create_group(group, "Churn model versions")
    arn = emu.client("sagemaker").create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"churn model v{version}",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1.0.0"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]
    return sm.review(arn, "Approved", "offline metrics reviewed")


def current_baseline(stack: LocalStack) -> tuple[int | None, set[str]]:
    """The version the marker names and the versions the two stable files carry (deployer)."""
    stored = objects(stack, "MonitoringBucket", CURRENT)
    marker = stored.get(f"{CURRENT}version.json")
    version = json.loads(marker.body)["modelVersion"] if marker else None
    s3 = stack.emulator.client("s3")
    carried = {
        s3.head_object(Bucket=stack.output("MonitoringBucketName"), Key=key)["Metadata"].get(
            "model-version", ""
        )
        for key in stored
        if not key.endswith("version.json")
    }
    return version, carried


def _promotions(stack: LocalStack) -> list[str]:
    promoter = stack.physical_id("BaselinePromoterFunction")
    return [
        f"v{i.result.get('version')} {i.result.get('outcome')}"
        for i in stack.emulator.lambda_service.invocations
        if i.function_name == promoter and isinstance(i.result, dict)
    ]


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``ModelQualityMonitor`` stack; return its checks."""
    emu = stack.emulator
    props = ModelQualityMonitorProps()
    monitor = emu.model_monitor
    bucket = stack.output("MonitoringBucketName")
    schedule = stack.output("MonitoringScheduleName")
    checks: list[Check] = []

    trace.section("Run: the endpoint captures to this stack; the training data is uploaded")
    endpoint = Endpoint(stack, props.endpoint_name)
    training = rows(2_000, state=7)
    emu.client("s3").put_object(
        Bucket=bucket,
        Key="training/churn.jsonl",
        Body="\n".join(json.dumps(r) for r in training).encode(),
    )

    trace.section("Run: version 1 is approved in the registry; the baseline starter starts it")
    approval = approve_version(emu, GROUP)
    trace.section("Run: SageMaker runs the baselining job the starter created")
    runs = monitor.run_processing_jobs()
    trace.section("Run: SageMaker sends the approval again; the job name is in use: no new job")
    emu.sagemaker.resend(approval)
    repeats = monitor.run_processing_jobs()
    checks.append(
        Check(
            "the approval reaches the baseline starter, which starts one baselining job; a "
            "repeated event starts none",
            any(d.delivered for d in approval.deliveries) and len(runs) == 1 and not repeats,
            ", ".join(f"{d.rule} → {d.target}" for d in approval.deliveries),
        )
    )
    trace.section(f"Run: another team approves a version in its own group ({OTHER_GROUP})")
    elsewhere = approve_version(emu, OTHER_GROUP)
    checks.append(
        Check(
            "another group's approval matches no rule and starts no baselining job",
            not elsewhere.matched_rules and not monitor.run_processing_jobs(),
        )
    )
    baseline = runs[0] if runs else JobRun(name="none", kind="baseline", status="Failed")
    stored = objects(stack, "MonitoringBucket", "baselines/1/")
    constraints = baseline.baseline.constraints if baseline.baseline else {}
    checks.append(
        Check(
            "the baseline's statistics.json and constraints.json are stored for model version 1",
            baseline.status == "Completed"
            and {k.rsplit("/", 1)[-1] for k in stored} == {"statistics.json", "constraints.json"},
            ", ".join(
                f"{f['name']}: {f['inferred_type']} {f['completeness']:.0%}"
                for f in constraints.get("features", [])
            ),
        )
    )

    checks.append(
        Check(
            "the baselining job's completion makes version 1 current under baselines/current/",
            current_baseline(stack) == (1, {"1"}) and _promotions(stack)[:1] == ["v1 promoted"],
            " → ".join(_promotions(stack)),
        )
    )

    trace.section("Run: hour 1, traffic like the training data")
    endpoint.capture(rows(600, state=11), FIRST_HOUR, HOSTILE_LINES)
    normal = monitor.run_schedule(schedule, FIRST_HOUR + timedelta(hours=1))
    evaluate_alarms(emu, namespace=NAMESPACE, at=FIRST_HOUR + timedelta(hours=1))
    calm = alarm_states(emu, namespace=NAMESPACE)
    report = normal.analysis.report if normal.analysis else None
    checks.append(
        Check(
            "traffic like the training data: checked against the current baseline (version 1), "
            "the execution completes with no violation",
            normal.status == "Completed"
            and not _violations(normal)
            and any(uri.endswith(f"{CURRENT}statistics.json") for uri in normal.inputs),
            normal.exit_message or normal.failure_reason,
        )
    )
    checks.append(
        Check(
            "the capture reader counts the hostile lines with their reason and reads the rest",
            report is not None and report.bad_lines == 2 and report.records == 600,
            json.dumps(dict(report.bad)) if report else "",
        )
    )
    checks.append(
        Check(
            "every feature alarm is OK after the normal hour",
            len(calm) == 2 * len(props.features) and set(calm.values()) == {"OK"},
            f"{len(calm)} alarms evaluated",
        )
    )

    trace.section("Run: hours 2-4, drifted traffic (charges shifted, discount missing)")
    drifted_runs, transitions = [], []
    for hour in range(1, 4):
        start = FIRST_HOUR + timedelta(hours=hour)
        endpoint.capture(rows(600, state=20 + hour, drifted=True), start)
        drifted_runs.append(monitor.run_schedule(schedule, start + timedelta(hours=1)))
        transitions += evaluate_alarms(emu, namespace=NAMESPACE, at=start + timedelta(hours=1))
    expected = {(SHIFTED, "baseline_drift_check"), (MISSING, "missing_column_check")}
    first = drifted_runs[0]
    checks.append(
        Check(
            f"drifted traffic: the violations name {SHIFTED} (drift) and {MISSING} (missing)",
            all(
                r.status == "CompletedWithViolations" and _violations(r) == expected
                for r in drifted_runs
            ),
            "; ".join(v["description"] for v in first.analysis.violations)
            if first.analysis
            else "",
        )
    )
    reports = objects(stack, "MonitoringBucket", f"reports/{props.endpoint_name}/{schedule}/")
    checks.append(
        Check(
            "each execution's statistics.json and constraint_violations.json: in its hour folder",
            len([k for k in reports if k.endswith("constraint_violations.json")]) == 4
            and len([k for k in reports if k.endswith("statistics.json")]) == 4,
            f"{len(reports)} report files",
        )
    )
    alarmed = {t.alarm for t in transitions if t.new == "ALARM" and t.notified}
    drift_alarm = stack.physical_id("DriftMonthlyCharges")
    missing_alarm = stack.physical_id("CompletenessDiscount")
    checks.append(
        Check(
            "the drift and completeness alarms of those features go to ALARM and notify the topic",
            alarmed == {drift_alarm, missing_alarm},
            ", ".join(sorted(alarmed)),
        )
    )
    watcher = stack.physical_id("DriftWatcherFunction")
    outcomes = [
        i.result.get("outcome")
        for i in emu.lambda_service.invocations
        if i.function_name == watcher and isinstance(i.result, dict)
    ]
    checks.append(
        Check(
            "the drift watcher puts the retraining event after 3 executions with violations",
            outcomes == ["no_streak", "no_streak", "no_streak", "retraining_event"],
            " → ".join(outcomes),
        )
    )

    trace.section("Run: an hour without traffic")
    empty = monitor.run_schedule(schedule, FIRST_HOUR + timedelta(hours=6))
    failed_events = [
        put
        for put in emu.events.events
        if put.event["detail"].get("ProcessingJobName") == empty.name
    ]
    checks.append(
        Check(
            "an hour without captured data fails the execution with its reason; the topic hears",
            empty.status == "Failed"
            and bool(failed_events)
            and any(d.delivered and ":sns:" in d.target for d in failed_events[0].deliveries),
            empty.failure_reason,
        )
    )
    checks += _new_version(stack, trace, endpoint, v1_baseline=baseline)
    report_landed(stack, trace)
    return checks


def _new_version(
    stack: LocalStack, trace: Trace, endpoint: Endpoint, *, v1_baseline: JobRun
) -> list[Check]:
    """Version 2 replaces version 1's baseline by itself; a late version 1 completion does not."""
    emu = stack.emulator
    monitor = emu.model_monitor
    checks = []
    trace.section("Run: version 2, trained on the new traffic, is approved and baselined")
    emu.client("s3").put_object(
        Bucket=stack.output("MonitoringBucketName"),
        Key="training/churn.jsonl",
        Body="\n".join(json.dumps(r) for r in rows(2_000, state=8, drifted=True)).encode(),
    )
    approve_version(emu, GROUP, version=2)
    runs = monitor.run_processing_jobs()
    checks.append(
        Check(
            "version 2's baselining job completes and becomes current with no redeploy",
            [r.status for r in runs] == ["Completed"] and current_baseline(stack) == (2, {"2"}),
            " → ".join(_promotions(stack)),
        )
    )
    trace.section("Run: hour 8, the new traffic, checked against version 2's baseline")
    hour = FIRST_HOUR + timedelta(hours=7)
    endpoint.capture(rows(600, state=31, drifted=True), hour)
    checked = monitor.run_schedule(
        stack.output("MonitoringScheduleName"), hour + timedelta(hours=1)
    )
    checks.append(
        Check(
            "the schedule now checks against version 2: the traffic version 1 flagged passes",
            checked.status == "Completed" and not _violations(checked),
            checked.exit_message or checked.failure_reason,
        )
    )
    trace.section("Run: SageMaker delivers version 1's completion again, late")
    monitor.resend(v1_baseline)
    checks.append(
        Check(
            "a late completion of version 1 leaves version 2 current",
            current_baseline(stack) == (2, {"2"}) and _promotions(stack)[-1] == "v1 superseded",
            " → ".join(_promotions(stack)),
        )
    )
    return checks
