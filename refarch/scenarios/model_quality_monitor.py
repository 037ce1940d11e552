"""The scenario of ``model-quality-monitor``: baseline, normal traffic, drift, alarm, hook.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``). It drives the registry with ``CreateModelPackage``/``UpdateModelPackage``, uploads
with ``PutObject``, replays events with ``Invoke``, and reads the monitoring bucket,
``ListProcessingJobs``/``DescribeProcessingJob`` and the functions' logs. In the order a reader
meets it in the trace:

1. A data scientist uploads the training data (JSON Lines) under ``training/``.
2. Version 1 of the model is registered and approved in the Model Registry (its group and
   versions tagged with the run id): SageMaker's state change invokes the baseline starter,
   which calls ``CreateProcessingJob``; SageMaker runs the baselining job as the baseline role:
   ``statistics.json`` and ``constraints.json`` land under ``baselines/1/``. The job's
   completion event invokes the baseline promoter, which copies them to ``baselines/current/``
   and marks version 1 current. The approval is delivered again (``Invoke`` with the documented
   event, as SageMaker may send it twice): the job name is in use, no second job. Another
   team's approval (its own group) starts nothing.
3. Locally only (see ``HOURS_LOCAL_ONLY``): the monitored endpoint is created with data capture
   to the stack's capture bucket; hour 1 captures traffic like the training data (plus two
   hostile lines), hours 2-4 drifted traffic (``monthly_charges`` shifted up by two standard
   deviations, ``discount`` no longer sent), then an hour without traffic. As time passes the
   hourly schedule runs its executions: no violation, then a ``baseline_drift_check`` and a
   ``missing_column_check`` each hour, their alarms go to ALARM, the drift watcher puts the
   retraining event after the third; the empty hour fails and the failure rule tells the topic.
4. Version 2, trained on the new traffic, is approved: its baselining job runs and its
   completion makes version 2 current with no redeploy (locally, the next hour's drifted-looking
   traffic then passes). Version 1's completion is delivered again, late (``Invoke``): the
   promoter leaves version 2 current.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from refarch.model_monitor.capture import capture_line as capture_records_line
from refarch.model_monitor.metrics import NAMESPACE
from refarch.scenarios.observe import (
    function_log_group,
    log_records,
    read_objects,
    report_stack_landed,
)
from refarch.scenarios.serving.image import sklearn_image
from refarch.scenarios.target import Check, Target, WaitTimedOut
from refarch.stacks.model_quality_monitor_props import ModelQualityMonitorProps
from refarch.trace import brief

if TYPE_CHECKING:
    from refarch.local.sources.model_monitor import JobRun
    from refarch.local.stack import LocalStack

PLANS = (("basic", 0.5), ("gold", 0.3), ("platinum", 0.2))
SHIFTED, MISSING = "monthly_charges", "discount"
MONITORING_BUCKET = "MonitoringBucket"
CAPTURE_BUCKET = "CaptureBucket"
MONITOR_KEY = "MonitorKey"
STARTER = "BaselineStarterFunction"
PROMOTER = "BaselinePromoterFunction"
WATCHER = "DriftWatcherFunction"
CURRENT = "baselines/current/"
#: The stack's rule matches groups named with ``approved-model-endpoint``'s prefix.
GROUP_PREFIX = "approved-model-endpoint-models-"
OTHER_GROUP_PREFIX = "fraud-models-"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"

#: A baselining job over 2,000 rows takes minutes on one ml.m5.large (instance start included);
#: SageMaker puts its end on the default bus as a state change event
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
#: DescribeProcessingJob shows its status meanwhile
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeProcessingJob.html).
#: Poll the current baseline every minute for up to 30 minutes.
BASELINE_POLL_SECONDS = 60
BASELINE_TIMEOUT_SECONDS = 1_800
#: An event a rule would match is delivered within seconds; a rule that matches nothing
#: leaves nothing to observe, so the other team's approval is given this long.
EVENT_SETTLE_SECONDS = 60
#: An hourly schedule starts an execution each hour, for the hour before
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-schedule-expression.html);
#: "there could be a delay of 0-20 minutes from the actual requested time to run the execution"
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html), and the
#: stack's job definition stops an execution after 50 minutes. Poll every 10 minutes for up to
#: 2 hours.
EXECUTION_POLL_SECONDS = 600
EXECUTION_TIMEOUT_SECONDS = 7_200
HOURS_LOCAL_ONLY = (
    "the hourly monitoring executions need the monitored endpoint, deployed apart from this "
    "stack (approved-model-endpoint), and an hour of its captured traffic each: the live run "
    "checks the baseline path only"
)
NEXT_HOUR_LOCAL_ONLY = (
    "the next hour's execution against version 2 needs the endpoint's captured traffic, as the "
    "hours before"
)


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


def _suffix(run_id: str) -> str:
    """8 hex digits of the run id: a group name of its own per run."""
    return hashlib.sha256(run_id.encode()).hexdigest()[:8]


class Endpoint:
    """The monitored endpoint, deployed apart from this stack: its config and its capture."""

    def __init__(self, target: Target, name: str) -> None:
        self.name = name
        self.bucket = target.physical_id(CAPTURE_BUCKET)
        self.key_arn = target.client("kms").describe_key(KeyId=target.physical_id(MONITOR_KEY))[
            "KeyMetadata"
        ]["Arn"]
        sagemaker = target.client("sagemaker")
        account = target.client("sts").get_caller_identity()["Account"]
        tags = [{"Key": k, "Value": v} for k, v in target.tags.items()]
        sagemaker.create_model(
            ModelName=f"{name}-model",
            ExecutionRoleArn=f"arn:aws:iam::{account}:role/{name}-execution",
            PrimaryContainer={"Image": f"{account}.dkr.ecr.us-east-1.amazonaws.com/churn:1"},
            Tags=tags,
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
            Tags=tags,
        )
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config", Tags=tags)
        target.trace.line(f"the endpoint {name} captures to s3://{self.bucket}/datacapture")
        self._s3 = target.client("s3")
        self._trace = target.trace

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


class Registry:
    """The data scientist's and the reviewer's side of the Model Registry (tagged, per run)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sagemaker = target.client("sagemaker")
        self.tags = [{"Key": k, "Value": v} for k, v in target.tags.items()]

    def approve(self, group: str, version: int) -> str:
        """Register the next version in ``group`` (created with version 1) and approve it."""
        trace = self.target.trace
        if version == 1:
            self.sagemaker.create_model_package_group(
                ModelPackageGroupName=group,
                ModelPackageGroupDescription="Churn model versions",
                Tags=self.tags,
            )
            trace.line(f"→ CreateModelPackageGroup {group}")
        arn = self.sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=f"churn model v{version}",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                # The monitor never deploys these versions, but a version names an image that
                # exists: SageMaker's scikit-learn image of the region, which any account may
                # pull (refarch.live.serving_image).
                "Containers": [
                    {
                        "Image": sklearn_image(self.sagemaker.meta.region_name).uri(
                            self.sagemaker.meta.region_name
                        )
                    }
                ],
                "SupportedContentTypes": ["application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
            Tags=self.tags,
        )["ModelPackageArn"]
        trace.line(f"→ CreateModelPackage {group} (churn model v{version})")
        self.sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="Approved",
            ApprovalDescription="offline metrics reviewed",
        )
        trace.line(
            f"→ UpdateModelPackage {arn.rsplit('/', 2)[-2]}/{arn.rsplit('/', 1)[-1]}: Approved"
        )
        return str(arn)

    def approval_event(self, arn: str) -> dict[str, Any]:
        """The documented ``SageMaker Model Package State Change`` of an approved version.

        Its detail is the version as ``DescribeModelPackage`` describes it
        (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
        """
        described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        detail = {k: _json_value(v) for k, v in described.items() if k != "ResponseMetadata"}
        return _event(MODEL_PACKAGE_STATE_CHANGE, detail, arn)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _event(detail_type: str, detail: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": arn.split(":")[4],
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": arn.split(":")[3],
        "resources": [arn],
        "detail": detail,
    }


def completion_event(sagemaker: Any, job_name: str) -> dict[str, Any]:
    """The documented ``SageMaker Processing Job State Change`` of a finished job.

    Its detail is the job as ``DescribeProcessingJob`` describes it, times in epoch
    milliseconds, as the SageMaker events page shows it.
    """
    described = sagemaker.describe_processing_job(ProcessingJobName=job_name)
    detail = {
        k: int(v.timestamp() * 1000) if isinstance(v, datetime) else v
        for k, v in described.items()
        if k != "ResponseMetadata"
    }
    return _event(PROCESSING_JOB_STATE_CHANGE, detail, described["ProcessingJobArn"])


def baseline_jobs(sagemaker: Any, prefix: str) -> dict[str, str]:
    """The stack's baselining jobs (``ListProcessingJobs`` by name prefix): name -> status."""
    jobs: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_processing_jobs").paginate(NameContains=prefix):
        for job in page.get("ProcessingJobSummaries", []):
            if job["ProcessingJobName"].startswith(prefix):
                jobs[job["ProcessingJobName"]] = job["ProcessingJobStatus"]
    return jobs


def current_baseline(target: Target) -> tuple[int | None, set[str]]:
    """The version the marker names and the versions the two stable files carry."""
    s3 = target.client("s3")
    bucket = target.physical_id(MONITORING_BUCKET)
    stored = read_objects(s3, bucket, CURRENT)
    marker = stored.get(f"{CURRENT}version.json")
    version = json.loads(marker.body)["modelVersion"] if marker else None
    carried = {
        s3.head_object(Bucket=bucket, Key=key)["Metadata"].get("model-version", "")
        for key in stored
        if not key.endswith("version.json")
    }
    return version, carried


def _wait_for_baseline(target: Target, version: int) -> bool:
    """Wait until ``version`` is current; False (the checks say what is missing) if it is not."""
    try:
        target.wait_until(
            f"version {version}'s baseline is current",
            # The promoter logs the promotion after writing the marker: both, so that the
            # checks below read a log that holds it.
            lambda: (
                current_baseline(target)[0] == version
                and f"v{version} promoted" in promotions(target)
            ),
            timeout=BASELINE_TIMEOUT_SECONDS,
            interval=BASELINE_POLL_SECONDS,
        )
    except WaitTimedOut as timed_out:
        target.trace.line(f"✗ {timed_out}")
        return False
    return True


def _records(target: Target, function: str) -> list[dict[str, Any]]:
    name = target.physical_id(function)
    return log_records(target.client("logs"), function_log_group(target.client("lambda"), name))


def promotions(target: Target) -> list[str]:
    """What the promoter logged of each completion: ``v<version> <outcome>``."""
    return [
        f"v{r['job'].rsplit('-v', 1)[-1]} {r['outcome']}"
        for r in _records(target, PROMOTER)
        if r.get("message") == "baseline version" and "job" in r
    ]


def _invoke(target: Target, function: str, event: dict[str, Any]) -> dict[str, Any]:
    name = target.physical_id(function)
    target.trace.line(f"→ Invoke (RequestResponse) {name} ({event['detail-type']})")
    response = target.client("lambda").invoke(
        FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(event)
    )
    result = json.loads(response["Payload"].read() or b"null")
    target.trace.line(f"← {brief(result)}", 2)
    return result if isinstance(result, dict) else {}


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``ModelQualityMonitor`` stack; return its checks."""
    trace = target.trace
    s3, sagemaker = target.client("s3"), target.client("sagemaker")
    bucket = target.physical_id(MONITORING_BUCKET)
    environment = target.client("lambda").get_function_configuration(
        FunctionName=target.physical_id(STARTER)
    )["Environment"]["Variables"]
    prefix = environment["JOB_NAME_PREFIX"]
    group = f"{GROUP_PREFIX}{_suffix(target.run_id)}"
    other_group = f"{OTHER_GROUP_PREFIX}{_suffix(target.run_id)}"
    registry = Registry(target)
    checks: list[Check] = []

    trace.section("Run: the training data is uploaded")
    training = rows(2_000, state=7)
    s3.put_object(
        Bucket=bucket,
        Key="training/churn.jsonl",
        Body="\n".join(json.dumps(r) for r in training).encode(),
    )
    trace.line(f"→ PutObject s3://{bucket}/training/churn.jsonl ({len(training)} rows)")

    trace.section("Run: version 1 is approved in the registry; the baseline starter starts it")
    v1 = registry.approve(group, 1)
    _wait_for_baseline(target, 1)
    jobs = baseline_jobs(sagemaker, prefix)
    trace.section("Run: the approval is delivered again (SageMaker may send an event twice)")
    again = _invoke(target, STARTER, registry.approval_event(v1))
    stack = target.local_only("SageMaker sending the same event again through the bus")
    redelivered = True
    if stack is not None:
        announced = [
            put
            for put in stack.emulator.events.events
            if put.event["detail"].get("ModelPackageArn") == v1
            and put.event["detail"].get("ModelApprovalStatus") == "Approved"
        ]
        resent = stack.emulator.sagemaker.resend(announced[-1])
        redelivered = any(d.delivered for d in resent.deliveries)
        redelivered &= not stack.emulator.model_monitor.run_processing_jobs()
    started = [r for r in _records(target, STARTER) if r.get("message") == "baselining job started"]
    checks.append(
        Check(
            "the approval reaches the baseline starter, which starts one baselining job; a "
            "repeated event starts none",
            len(jobs) == 1
            and len(started) == 1
            and again.get("outcome") == "already_started"
            and redelivered
            and baseline_jobs(sagemaker, prefix) == jobs,
            ", ".join(f"{name}: {status}" for name, status in jobs.items()),
        )
    )
    trace.section(f"Run: another team approves a version in its own group ({other_group})")
    registry.approve(other_group, 1)
    target.let_settle("SageMaker's state change reaches the rules", EVENT_SETTLE_SECONDS)
    checks.append(
        Check(
            "another group's approval matches no rule and starts no baselining job",
            baseline_jobs(sagemaker, prefix) == jobs
            and not any(r.get("group") == other_group for r in _records(target, STARTER)),
        )
    )
    stored = read_objects(s3, bucket, "baselines/1/")
    constraints = (
        json.loads(stored["baselines/1/constraints.json"].body)
        if ("baselines/1/constraints.json" in stored)
        else {}
    )
    checks.append(
        Check(
            "the baseline's statistics.json and constraints.json are stored for model version 1",
            list(jobs.values()) == ["Completed"]
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
            current_baseline(target) == (1, {"1"}) and promotions(target)[:1] == ["v1 promoted"],
            " → ".join(promotions(target)),
        )
    )
    stack = target.local_only(HOURS_LOCAL_ONLY)
    endpoint = None
    if stack is not None:
        endpoint = Endpoint(target, ModelQualityMonitorProps().endpoint_name)
        checks += _hours(target, stack, endpoint)
    checks += _new_version(target, registry, group, prefix, endpoint)
    report_stack_landed(trace, s3, target.client("sqs"), target)
    return checks


def _wait_for_execution(target: Target, stack: LocalStack, description: str) -> JobRun:
    """Let time pass until the schedule's next execution has ended; return it."""
    monitor = stack.emulator.model_monitor
    seen = len(monitor.runs)

    def ended() -> JobRun | None:
        return next((r for r in monitor.runs[seen:] if r.kind == "data-quality"), None)

    return target.wait_until(
        description, ended, timeout=EXECUTION_TIMEOUT_SECONDS, interval=EXECUTION_POLL_SECONDS
    )


def _hour(stack: LocalStack) -> datetime:
    """The hour the schedule's clock is in (its next execution analyses it)."""
    return stack.emulator.model_monitor.clock.replace(minute=0, second=0, microsecond=0)


def _hours(target: Target, stack: LocalStack, endpoint: Endpoint) -> list[Check]:
    """Hour 1 normal, hours 2-4 drifted, an empty hour: the executions as time passes."""
    trace, emu = target.trace, stack.emulator
    props = ModelQualityMonitorProps()
    checks: list[Check] = []
    trace.section("Run: hour 1, traffic like the training data")
    endpoint.capture(rows(600, state=11), _hour(stack), HOSTILE_LINES)
    normal = _wait_for_execution(target, stack, "the hour's execution has ended")
    calm = _alarm_states(target)
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
    drifted_runs = []
    transitions_before = len(emu.model_monitor.alarm_transitions)
    for hour in range(1, 4):
        endpoint.capture(rows(600, state=20 + hour, drifted=True), _hour(stack))
        drifted_runs.append(_wait_for_execution(target, stack, "the hour's execution has ended"))
    transitions = emu.model_monitor.alarm_transitions[transitions_before:]
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
    reports = read_objects(target.client("s3"), target.physical_id(MONITORING_BUCKET), "reports/")
    checks.append(
        Check(
            "each execution's statistics.json and constraint_violations.json: in its hour folder",
            len([k for k in reports if k.endswith("constraint_violations.json")]) == 4
            and len([k for k in reports if k.endswith("statistics.json")]) == 4,
            f"{len(reports)} report files",
        )
    )
    alarmed = {t.alarm for t in transitions if t.new == "ALARM" and t.notified}
    drift_alarm = target.physical_id("DriftMonthlyCharges")
    missing_alarm = target.physical_id("CompletenessDiscount")
    checks.append(
        Check(
            "the drift and completeness alarms of those features go to ALARM and notify the topic",
            alarmed == {drift_alarm, missing_alarm},
            ", ".join(sorted(alarmed)),
        )
    )
    watcher = target.physical_id(WATCHER)
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
    empty = _wait_for_execution(target, stack, "the empty hour's execution has ended")
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
    return checks


def _alarm_states(target: Target) -> dict[str, str]:
    """Each alarm on the data-metric namespace, by name: its state (``DescribeAlarms``)."""
    cloudwatch = target.client("cloudwatch")
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    return {
        a["AlarmName"]: a["StateValue"]
        for page in pages
        for a in page["MetricAlarms"]
        if a.get("Namespace") == NAMESPACE
    }


def _new_version(
    target: Target, registry: Registry, group: str, prefix: str, endpoint: Endpoint | None
) -> list[Check]:
    """Version 2 replaces version 1's baseline by itself; a late version 1 completion does not."""
    trace = target.trace
    s3, sagemaker = target.client("s3"), target.client("sagemaker")
    checks = []
    trace.section("Run: version 2, trained on the new traffic, is approved and baselined")
    s3.put_object(
        Bucket=target.physical_id(MONITORING_BUCKET),
        Key="training/churn.jsonl",
        Body="\n".join(json.dumps(r) for r in rows(2_000, state=8, drifted=True)).encode(),
    )
    v1_jobs = baseline_jobs(sagemaker, prefix)
    registry.approve(group, 2)
    _wait_for_baseline(target, 2)
    new_jobs = {k: v for k, v in baseline_jobs(sagemaker, prefix).items() if k not in v1_jobs}
    checks.append(
        Check(
            "version 2's baselining job completes and becomes current with no redeploy",
            list(new_jobs.values()) == ["Completed"] and current_baseline(target) == (2, {"2"}),
            " → ".join(promotions(target)),
        )
    )
    stack = target.local_only(NEXT_HOUR_LOCAL_ONLY)
    if stack is not None and endpoint is not None:
        trace.section("Run: the next hour, the new traffic, checked against version 2's baseline")
        endpoint.capture(rows(600, state=31, drifted=True), _hour(stack))
        checked = _wait_for_execution(target, stack, "the hour's execution has ended")
        checks.append(
            Check(
                "the schedule now checks against version 2: the traffic version 1 flagged passes",
                checked.status == "Completed" and not _violations(checked),
                checked.exit_message or checked.failure_reason,
            )
        )
    trace.section("Run: SageMaker delivers version 1's completion again, late")
    late = (
        _invoke(target, PROMOTER, completion_event(sagemaker, next(iter(v1_jobs))))
        if v1_jobs
        else {}
    )
    checks.append(
        Check(
            "a late completion of version 1 leaves version 2 current",
            current_baseline(target) == (2, {"2"}) and late.get("outcome") == "superseded",
            " → ".join(promotions(target)),
        )
    )
    return checks


def describe_result(result: Any) -> str:
    """Show a function's answer briefly: its outcome, else the answer."""
    if isinstance(result, dict) and "outcome" in result:
        return str(result["outcome"])
    return brief(result)
