"""SageMaker Model Monitor, played locally: baselining jobs and monitoring executions.

What SageMaker does for a data-quality monitor, and how the runner does the same
(``Emulator.model_monitor``); the container's computations are ``refarch.model_monitor``:

=====================================================  ===========================================
SageMaker                                              here (signed as the job's role, IAM enforced)
=====================================================  ===========================================
a baselining processing job (``CreateProcessingJob``   ``sts:AssumeRole`` after the trust check;
with the Model Monitor image, ``dataset_format``,      ``ListObjectsV2`` + ``GetObject`` (streamed,
``output_path``) reads the training data               twice: the bucket edges need the range)
writes ``statistics.json`` and ``constraints.json``    ``PutObject`` SSE-KMS with the output key
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html)
each hour, the schedule's execution reads the          the endpoint's ``DataCaptureConfig``
endpoint's captured data of the hour before            (deployer's ``Describe*``), then as the
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-scheduling.html)
                                                       role: list and read the capture files of
                                                       that hour, streamed line by line
reads the baseline statistics and constraints          ``GetObject`` of both ``S3Uri``
writes ``statistics.json`` and                         ``PutObject`` SSE-KMS under ``<output>/
``constraint_violations.json``                         <endpoint>/<schedule>/yyyy/mm/dd/hh/``
publishes per-feature metrics                          ``PutMetricData`` in the data-metric
                                                       namespace (``publish_cloudwatch_metrics``)
encrypts the processing volume with the job's          ``kms:CreateGrant`` on the key as the role,
``VolumeKmsKeyId``: the job's role must allow           ``kms:GrantIsForAWSResource`` true (EBS
``kms:CreateGrant`` on it                               makes the grant); denied: the job fails
(https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createprocessingjob-perms)
writes the processing job's logs                       ``CreateLogGroup``, ``DescribeLogStreams``,
                                                       ``CreateLogStream``, ``PutLogEvents`` in
                                                       ``/aws/sagemaker/ProcessingJobs``
ends the execution: ``Completed`` (with                ``SageMaker Processing Job State Change``
``CompletedWithViolations`` in ``ExitMessage``) or     on the default bus, with the schedule's
``Failed`` (no captured data, an input it could not    ARN
read)
ends a baselining job: ``Completed`` or ``Failed``     the same event, its detail the job as
                                                       ``DescribeProcessingJob`` answers it
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)
=====================================================  ===========================================

Not emulated: the processing instances and their billing, the volume encryption itself, network
isolation itself (nothing here reaches a network), Spark, KLL sketches (see
``refarch.model_monitor.profile``), record preprocessor and post-analytics scripts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.constructs.model_monitoring import HOURLY, MODEL_MONITOR_REPOSITORY
from refarch.local.identities import assume_role_as_service
from refarch.local.moto_resources import service_context
from refarch.local.moto_sagemaker import processing_job_requests
from refarch.local.s3_url import split_s3_url
from refarch.local.sources.alarms import AlarmTransition, evaluate_alarms
from refarch.local.sources.log_groups import create_log_group
from refarch.model_monitor.jobs import Analysis, Baseline, analyse_window, suggest_baseline
from refarch.model_monitor.metrics import NAMESPACE, metric_data

if TYPE_CHECKING:
    import boto3

    from refarch.local.account import LocalAccount
    from refarch.local.sources.events import EventBus, PutEvent

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"
#: Where the monitor's clock starts: this long before the emulator starts, 5 minutes past the
#: hour, so that the metrics of the hours a run passes are never in the future (CloudWatch takes
#: datapoints up to two weeks old:
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
CLOCK_START_BEFORE = timedelta(hours=24)


@dataclass(frozen=True)
class Schedule:
    """A monitoring schedule as CloudFormation created it."""

    name: str
    arn: str
    endpoint_name: str
    job_definition_name: str
    schedule_expression: str


@dataclass
class JobRun:
    """One baselining job or monitoring execution: what it read, wrote and concluded."""

    name: str
    kind: str
    status: str = "InProgress"
    """``Completed``, ``CompletedWithViolations`` or ``Failed`` (Model Monitor's statuses)."""

    exit_message: str = ""
    failure_reason: str = ""
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    analysis: Analysis | None = None
    metrics: int = 0
    event: PutEvent | None = None
    """The ``SageMaker Processing Job State Change`` its end put on the default bus."""


class ModelMonitorService:
    """The account's Model Monitor: schedules, and the jobs the runner runs for them."""

    def __init__(self, account: LocalAccount, *, events: EventBus) -> None:
        self._emulator = account
        self._events = events
        self.schedules: dict[str, Schedule] = {}
        self.runs: list[JobRun] = []
        self._processing_seen = 0
        self.clock = datetime.now(UTC).replace(minute=5, second=0, microsecond=0) - (
            CLOCK_START_BEFORE
        )
        """The time of day the schedules see; ``pass_time`` advances it."""
        self.alarm_transitions: list[AlarmTransition] = []
        """The alarm state changes each scheduled execution's metrics caused, in order."""

    @property
    def _trace(self) -> Any:
        return self._emulator.trace

    def add_schedule(self, **schedule: str) -> Schedule:
        """Keep a schedule CloudFormation created (moto has none)."""
        created = Schedule(**schedule)
        self.schedules[created.name] = created
        return created

    def _session(self, role_arn: str, job_name: str) -> boto3.Session:
        return assume_role_as_service(
            self._emulator.deployer,
            role_arn,
            service=SAGEMAKER_PRINCIPAL,
            session_name=job_name[:64],
            account_id=self._emulator.account_id,
        )

    # -- baselining ---------------------------------------------------------------------------

    def baseline(
        self,
        *,
        role_arn: str,
        dataset_uri: str,
        output_uri: str,
        key_arn: str,
        dataset_format: str = "json",
        name: str = "",
        volume_key_arn: str = "",
    ) -> JobRun:
        """Run a baselining job (``CreateProcessingJob`` with the Model Monitor image)."""
        run = JobRun(name=name or f"baseline-{uuid.uuid4().hex[:12]}", kind="baseline")
        self._trace.line(f"SageMaker starts baselining job {run.name} as {role_arn}")
        session = self._session(role_arn, run.name)
        s3 = session.client("s3")
        try:
            self._grant_volume_key(session, volume_key_arn, role_arn)
            bucket, prefix = split_s3_url(dataset_uri)
            keys = self._list(s3, bucket, prefix)
            run.inputs = [f"s3://{bucket}/{k}" for k in keys]
            run.baseline = suggest_baseline(lambda: self._lines(s3, bucket, keys), dataset_format)
            out_bucket, out_prefix = split_s3_url(output_uri)
            for name, document in (
                ("statistics.json", run.baseline.statistics),
                ("constraints.json", run.baseline.constraints),
            ):
                run.outputs.append(
                    self._put(s3, out_bucket, f"{out_prefix.rstrip('/')}/{name}", document, key_arn)
                )
            run.status, run.exit_message = "Completed", "Completed: Job completed successfully"
            report = run.baseline.report
            self._trace.line(
                f"profiled {report.records} rows of {len(keys)} objects "
                f"({report.bad_lines} bad lines); wrote {', '.join(run.outputs)}",
                2,
            )
        except (ClientError, ValueError, KeyError) as exc:
            # KeyError: a dataset_format the container does not read.
            run.status, run.failure_reason = "Failed", f"{type(exc).__name__}: {exc}"[:1024]
            self._trace.line(f"✗ baselining failed: {run.failure_reason}", 2)
        self._log(session, run)
        self.runs.append(run)
        return run

    def run_processing_jobs(self) -> list[JobRun]:
        """Run the baselining jobs created with ``CreateProcessingJob`` since the last call.

        A request with the Model Monitor image and its ``dataset_source`` and ``output_path``
        environment is a baselining job, as the SageMaker Python SDK's ``suggest_baseline``
        creates it (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html);
        the runner runs no other processing container (traced and left alone).
        """
        runs = []
        requests = processing_job_requests()
        for request in requests[self._processing_seen :]:
            name = request["ProcessingJobName"]
            image = request.get("AppSpecification", {}).get("ImageUri", "")
            environment = request.get("Environment") or {}
            if not image.endswith(f"/{MODEL_MONITOR_REPOSITORY}") or not {
                "dataset_source",
                "output_path",
            } <= set(environment):
                self._trace.line(f"processing job {name} is not a baselining job: not run")
                continue
            dataset_format = next(iter(json.loads(environment.get("dataset_format", "{}"))), "")
            cluster = (request.get("ProcessingResources") or {}).get("ClusterConfig") or {}
            run = self.baseline(
                role_arn=request["RoleArn"],
                dataset_uri=request["ProcessingInputs"][0]["S3Input"]["S3Uri"],
                output_uri=request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"],
                key_arn=request["ProcessingOutputConfig"].get("KmsKeyId", ""),
                dataset_format=dataset_format or "json",
                name=name,
                volume_key_arn=cluster.get("VolumeKmsKeyId", ""),
            )
            run.event = self._emit_job(run, request)
            runs.append(run)
        self._processing_seen = len(requests)
        return runs

    # -- time passing -------------------------------------------------------------------------

    def pass_time(self, seconds: float) -> list[JobRun]:
        """Let ``seconds`` pass: the jobs created meanwhile run, and each hour's executions.

        Baselining jobs created since the last call run to their end (``run_processing_jobs``).
        Each hourly schedule (``HOURLY``, the only expression run by itself) then runs its
        execution at every hour the clock passes, and CloudWatch evaluates the data-metric
        alarms then (it evaluates each period as it ends:
        https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html).
        """
        runs = self.run_processing_jobs()
        start, self.clock = self.clock, self.clock + timedelta(seconds=seconds)
        hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        hourly = [s for s in self.schedules.values() if s.schedule_expression == HOURLY]
        while hourly and hour <= self.clock:
            for schedule in hourly:
                runs.append(self.run_schedule(schedule.name, hour))
            self.alarm_transitions += evaluate_alarms(self._emulator, namespace=NAMESPACE, at=hour)
            hour += timedelta(hours=1)
        return runs

    # -- monitoring executions ----------------------------------------------------------------

    def run_schedule(self, name: str, scheduled_time: datetime) -> JobRun:
        """Run the schedule's execution of ``scheduled_time``: the hour before it is analysed."""
        schedule = self.schedules[name]
        deployer = self._emulator.client("sagemaker")
        definition = deployer.describe_data_quality_job_definition(
            JobDefinitionName=schedule.job_definition_name
        )
        run = JobRun(
            name=f"model-monitoring-{scheduled_time:%Y%m%d%H%M}-{uuid.uuid4().hex[:8]}",
            kind="data-quality",
        )
        role_arn = definition["RoleArn"]
        self._trace.line(
            f"SageMaker starts {schedule.name}'s execution of {scheduled_time:%Y-%m-%d %H:%M} "
            f"({run.name}) as {role_arn}"
        )
        session = self._session(role_arn, run.name)
        cluster = definition.get("JobResources", {}).get("ClusterConfig", {})
        try:
            self._grant_volume_key(session, cluster.get("VolumeKmsKeyId", ""), role_arn)
            self._execute(session, schedule, definition, scheduled_time, run)
        except (ClientError, ValueError, KeyError) as exc:
            run.status, run.failure_reason = "Failed", f"{type(exc).__name__}: {exc}"[:1024]
        if run.status == "Failed":
            self._trace.line(f"✗ execution failed: {run.failure_reason}", 2)
        self._log(session, run)
        run.event = self._emit(schedule, run)
        self.runs.append(run)
        return run

    def _capture_location(self, endpoint_name: str) -> tuple[str, str]:
        """The endpoint's capture destination (``s3://...``) and the key it encrypts with."""
        sagemaker = self._emulator.client("sagemaker")
        try:
            endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        except ClientError:
            raise ValueError(f"Endpoint {endpoint_name} does not exist") from None
        config = sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        capture = config.get("DataCaptureConfig") or {}
        if not capture.get("EnableCapture", True) or "DestinationS3Uri" not in capture:
            raise ValueError(f"Endpoint {endpoint_name} does not capture data")
        return capture["DestinationS3Uri"], capture.get("KmsKeyId", "")

    def _execute(
        self,
        session: boto3.Session,
        schedule: Schedule,
        definition: dict[str, Any],
        scheduled_time: datetime,
        run: JobRun,
    ) -> None:
        s3 = session.client("s3")
        endpoint = definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"]
        destination, _ = self._capture_location(endpoint)
        bucket, prefix = split_s3_url(destination)
        hour = (scheduled_time - timedelta(hours=1)).strftime("%Y/%m/%d/%H")
        endpoint_prefix = f"{prefix.rstrip('/')}/{endpoint}/"
        keys = [k for k in self._list(s3, bucket, endpoint_prefix) if f"/{hour}/" in k]
        run.inputs = [f"s3://{bucket}/{k}" for k in keys]
        self._trace.line(
            f"read {len(keys)} capture files of hour {hour} under s3://{bucket}/{endpoint_prefix}",
            2,
        )
        baseline = definition["DataQualityBaselineConfig"]
        constraints = self._get_json(s3, baseline["ConstraintsResource"]["S3Uri"])
        statistics = self._get_json(s3, baseline["StatisticsResource"]["S3Uri"])
        run.inputs += [
            baseline["ConstraintsResource"]["S3Uri"],
            baseline["StatisticsResource"]["S3Uri"],
        ]
        analysis = analyse_window(self._lines(s3, bucket, keys), constraints, statistics)
        run.analysis = analysis
        report = analysis.report
        self._trace.line(
            f"analysed {report.records} records of {report.lines} lines; bad lines: "
            + (json.dumps(dict(report.bad)) if report.bad_lines else "none"),
            2,
        )
        if not report.records:
            # An hour without captured data ends the execution as failed, with a reason.
            run.status, run.failure_reason = (
                "Failed",
                (f"No captured data for {endpoint} in hour {hour}"),
            )
            return
        output = definition["DataQualityJobOutputConfig"]
        out_bucket, out_prefix = split_s3_url(output["MonitoringOutputs"][0]["S3Output"]["S3Uri"])
        folder = f"{out_prefix.rstrip('/')}/{endpoint}/{schedule.name}/{hour}"
        key_arn = output.get("KmsKeyId", "")
        run.outputs = [
            self._put(s3, out_bucket, f"{folder}/statistics.json", analysis.statistics, key_arn),
            self._put(
                s3,
                out_bucket,
                f"{folder}/constraint_violations.json",
                analysis.violations_document,
                key_arn,
            ),
        ]
        environment = definition["DataQualityAppSpecification"].get("Environment", {})
        if environment.get("publish_cloudwatch_metrics") == "Enabled":
            data = metric_data(analysis, constraints, endpoint, schedule.name)
            stamp = scheduled_time - timedelta(minutes=30)
            for entry in data:
                entry["Timestamp"] = stamp
            cloudwatch = session.client("cloudwatch")
            for start in range(0, len(data), 1000):
                cloudwatch.put_metric_data(
                    Namespace=NAMESPACE, MetricData=data[start : start + 1000]
                )
            run.metrics = len(data)
            self._trace.line(f"published {len(data)} metrics to {NAMESPACE}", 2)
        found = len(analysis.violations)
        run.status = "CompletedWithViolations" if found else "Completed"
        run.exit_message = (
            f"CompletedWithViolations: Job completed successfully with {found} violations."
            if found
            else "Completed: Job completed successfully with no violations."
        )
        for violation in analysis.violations:
            self._trace.line(
                f"violation {violation['constraint_check_type']} on "
                f"{violation['feature_name']}: {violation['description']}",
                3,
            )

    # -- I/O as the job's role ----------------------------------------------------------------

    def _grant_volume_key(self, session: boto3.Session, key_arn: str, role_arn: str) -> None:
        """The volume key's grant, made for the job with its role's permissions.

        The job's role needs ``kms:CreateGrant`` on a volume KMS key (SageMaker roles page,
        cited in the module docstring); the grant is EBS's, so KMS sees it made for an AWS
        resource (``kms:GrantIsForAWSResource`` true) and EBS uses it to decrypt the volume's
        data key (https://docs.aws.amazon.com/ebs/latest/userguide/how-ebs-encryption-works.html).
        The grantee here is the role: the EBS principal AWS uses is not public.
        """
        if not key_arn:
            return
        with service_context({"kms:GrantIsForAWSResource": "true"}):
            session.client("kms").create_grant(
                KeyId=key_arn, GranteePrincipal=role_arn, Operations=["Decrypt"]
            )
        self._trace.line(f"the processing volume's grant on {key_arn} is created", 2)

    @staticmethod
    def _list(s3: Any, bucket: str, prefix: str) -> list[str]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(
            o["Key"]
            for page in pages
            for o in page.get("Contents", [])
            if not o["Key"].endswith("/")
        )

    @staticmethod
    def _lines(s3: Any, bucket: str, keys: list[str]) -> Iterator[bytes]:
        """Every line of the objects, streamed: one object's body at a time, never whole."""
        for key in keys:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            yield from body.iter_lines()

    @staticmethod
    def _get_json(s3: Any, uri: str) -> dict[str, Any]:
        bucket, key = split_s3_url(uri)
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    @staticmethod
    def _put(s3: Any, bucket: str, key: str, document: Any, key_arn: str) -> str:
        put: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": json.dumps(document, indent=2).encode(),
            "ContentType": "application/json",
        }
        if key_arn:
            put.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
        s3.put_object(**put)
        return f"s3://{bucket}/{key}"

    def _log(self, session: boto3.Session, run: JobRun) -> None:
        """The job's log stream, ``<job name>/algo-1-<epoch>``, as the role."""
        logs = session.client("logs")
        now = datetime.now(UTC)
        stream = f"{run.name}/algo-1-{int(now.timestamp())}"
        message = json.dumps(
            {"status": run.status, "exit": run.exit_message, "failure": run.failure_reason}
        )
        try:
            create_log_group(logs, PROCESSING_LOG_GROUP)
            logs.describe_log_streams(
                logGroupName=PROCESSING_LOG_GROUP, logStreamNamePrefix=run.name
            )
            logs.create_log_stream(logGroupName=PROCESSING_LOG_GROUP, logStreamName=stream)
            logs.put_log_events(
                logGroupName=PROCESSING_LOG_GROUP,
                logStreamName=stream,
                logEvents=[{"timestamp": int(now.timestamp() * 1000), "message": message}],
            )
        except ClientError as exc:
            self._trace.line(f"✗ job log not written: {exc}", 2)

    def _job_arn(self, name: str) -> str:
        emu = self._emulator
        return f"arn:{emu.partition}:sagemaker:{emu.region}:{emu.account_id}:processing-job/{name}"

    def _emit_job(self, run: JobRun, request: dict[str, Any]) -> PutEvent:
        """``SageMaker Processing Job State Change`` for a baselining job's end.

        The detail is the job as ``DescribeProcessingJob`` describes it (the request's fields,
        the ARN, status, exit message or failure reason, times in epoch milliseconds), as the
        SageMaker events page shows it.
        """
        now = int(datetime.now(UTC).timestamp() * 1000)
        arn = self._job_arn(run.name)
        detail = {
            **{k: v for k, v in request.items() if k != "Tags"},
            "ProcessingJobArn": arn,
            "ProcessingJobStatus": "Failed" if run.status == "Failed" else "Completed",
            "ExitMessage": run.exit_message,
            "FailureReason": run.failure_reason,
            "CreationTime": now,
            "ProcessingEndTime": now,
            "LastModifiedTime": now,
            "Tags": {t["Key"]: t["Value"] for t in request.get("Tags") or []},
        }
        return self._events.put(
            source="aws.sagemaker",
            detail_type=PROCESSING_JOB_STATE_CHANGE,
            detail={k: v for k, v in detail.items() if v or k == "Tags"},
            resources=[arn],
        )

    def resend(self, run: JobRun) -> PutEvent | None:
        """Put a job's end event again (SageMaker may send several, late ones included)."""
        if run.event is None:
            return None
        self._trace.line(f"SageMaker sends {run.name}'s state change again")
        event = run.event.event
        return self._events.put(
            source=event["source"],
            detail_type=event["detail-type"],
            detail=event["detail"],
            resources=event["resources"],
        )

    def _emit(self, schedule: Schedule, run: JobRun) -> PutEvent:
        """``SageMaker Processing Job State Change`` for the execution's end."""
        arn = self._job_arn(run.name)
        detail = {
            "ProcessingJobName": run.name,
            "ProcessingJobArn": arn,
            "ProcessingJobStatus": "Failed" if run.status == "Failed" else "Completed",
            "ExitMessage": run.exit_message,
            "FailureReason": run.failure_reason,
            "MonitoringScheduleArn": schedule.arn,
        }
        return self._events.put(
            source="aws.sagemaker",
            detail_type=PROCESSING_JOB_STATE_CHANGE,
            detail={k: v for k, v in detail.items() if v},
            resources=[arn],
        )
