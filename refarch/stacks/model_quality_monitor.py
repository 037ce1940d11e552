"""SageMaker Model Monitor data quality over an endpoint's captured traffic, with alarms.

A baselining job (the prebuilt Model Monitor container, started by the baseline starter when a
version of the model is approved in the registry, or on demand) profiles the training data
under ``training/`` into ``baselines/<version>/statistics.json`` and ``constraints.json``; when
it completes, the baseline promoter copies them to ``baselines/current/`` if the version is the
newest. A monitoring schedule runs the same container every hour over the endpoint's captured
requests against ``baselines/current/``, so it follows each new version without a redeploy:
it writes ``statistics.json`` and ``constraint_violations.json`` under ``reports/`` and
publishes per-feature drift and completeness metrics, which alarm to the alarm topic. Each
execution's completion or failure is an EventBridge event: failures go to the topic, and a
small function announces persistent drift (violations in N executions in a row) as a
retraining event for the training pipeline.

How Model Monitor works: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor.html.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs import (
    AccessLogBucket,
    AlarmTopic,
    AlarmTopicProps,
    ObservedFunction,
    ObservedFunctionProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    grant_sagemaker_logs,
    stateful_removal,
    undelivered_events_queue,
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.iam_wildcards import acknowledge_wildcard
from refarch.constructs.model_monitoring import (
    DataQualityJobDefinition,
    DataQualityJobDefinitionProps,
    MonitoringSchedule,
    MonitoringScheduleProps,
    model_monitor_image_uri,
)
from refarch.model_monitor.metrics import NAMESPACE, completeness_metric, drift_metric
from refarch.stacks.model_quality_monitor_baseline import add_baseline_starter, baseline_job_prefix
from refarch.stacks.model_quality_monitor_promoter import CURRENT_PREFIX, add_baseline_promoter
from refarch.stacks.model_quality_monitor_props import ModelQualityMonitorProps

TRAINING_PREFIX = "training/"
BASELINES_PREFIX = "baselines/"
REPORTS_PREFIX = "reports/"
#: Where every processing job, monitoring executions included, writes its logs (execution
#: role permissions for CreateProcessingJob:
#: https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html).
PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
#: The retraining hook's event (``source`` and ``detail-type``) on the default bus.
RETRAINING_EVENT_SOURCE = "refarch.model-monitor"
RETRAINING_DETAIL_TYPE = "Model Data Drift Persisted"
#: Monitoring executions are processing jobs; their state changes are SageMaker events
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"
EXECUTION_ENDED = ("Completed", "Failed", "Stopped")


class ModelQualityMonitorStack(Stack):
    """Baseline, hourly data-quality checks, drift alarms and a retraining hook for an endpoint."""

    training_prefix = TRAINING_PREFIX
    baselines_prefix = BASELINES_PREFIX

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ModelQualityMonitorProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or ModelQualityMonitorProps.from_context(self)
        self.props = props
        self.schedule_name = f"{self.stack_name}-data-quality"[:63]

        self.alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        # Customer-managed: who may read the reports and baselines is this key's policy, and
        # the processing volumes are encrypted with it too.
        self.key = kms.Key(
            self,
            "MonitorKey",
            description="Encrypts Model Monitor's baselines, reports and processing volumes",
            enable_key_rotation=True,
            removal_policy=stateful_removal(self).policy,
        )
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.monitoring = SecureBucket(
            self,
            "Monitoring",
            access_logs=access_logs,
            props=SecureBucketProps(
                access_logs_prefix="monitoring/",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="expire-reports",
                        prefix=REPORTS_PREFIX,
                        expiration=props.report_expiration,
                    )
                ],
            ),
        )
        self.capture_bucket, self.capture_key = self._capture(props, access_logs)
        self.capture_objects = f"{props.capture_prefix}/{props.endpoint_name}/"

        self.baseline_role = self._baseline_role()
        self.monitoring_role = self._monitoring_role()
        self.image_uri = model_monitor_image_uri(self)
        self.job_definition = DataQualityJobDefinition(
            self,
            "DataQualityJob",
            props=DataQualityJobDefinitionProps(
                name=f"{self.stack_name}-data-quality"[:63],
                endpoint_name=props.endpoint_name,
                image_uri=self.image_uri,
                role=self.monitoring_role,
                key=self.key,
                # The stable copy of the newest baseline (the promoter keeps it current).
                baseline_constraints_uri=self.monitoring.bucket.s3_url_for_object(
                    f"{CURRENT_PREFIX}constraints.json"
                ),
                baseline_statistics_uri=self.monitoring.bucket.s3_url_for_object(
                    f"{CURRENT_PREFIX}statistics.json"
                ),
                report_uri=self.monitoring.bucket.s3_url_for_object(REPORTS_PREFIX.rstrip("/")),
                resources=props.resources,
            ),
        )
        self.schedule = MonitoringSchedule(
            self,
            "Schedule",
            props=MonitoringScheduleProps(
                name=self.schedule_name,
                endpoint_name=props.endpoint_name,
                job_definition=self.job_definition,
                schedule_expression=props.schedule_expression,
            ),
        )
        self.feature_alarms = self._feature_alarms(props)
        self.undelivered = undelivered_events_queue(
            self, "UndeliveredEvents", used_by="the monitoring execution rules' targets"
        )
        self.execution_failed_rule = self._execution_rule(
            "ExecutionFailed", "A monitoring execution failed or was stopped", ["Failed", "Stopped"]
        )
        self.alarms.publish_events(self.execution_failed_rule, dead_letter_queue=self.undelivered)
        self.drift_watcher = None
        if props.consecutive_runs_for_retraining:
            self.drift_watcher = self._drift_watcher(props)
        self.approval_rule: events.Rule | None = None
        self.baseline_starter = add_baseline_starter(self) if props.baseline_on_approval else None
        self.completion_rule: events.Rule | None = None
        self.baseline_refused_alarm: cloudwatch.Alarm | None = None
        self.baseline_promoter = add_baseline_promoter(self)

        CfnOutput(self, "MonitoringBucketName", value=self.monitoring.bucket.bucket_name)
        CfnOutput(self, "CaptureBucketName", value=self.capture_bucket.bucket_name)
        CfnOutput(self, "BaselineRoleArn", value=self.baseline_role.role_arn)
        # An on-demand baselining job named <prefix>-<8 hex>-v<version>, writing to
        # baselines/<version>/, is promoted like an approved version's.
        CfnOutput(self, "BaselineJobNamePrefix", value=baseline_job_prefix(self))
        CfnOutput(self, "MonitoringScheduleName", value=self.schedule_name)
        CfnOutput(self, "ModelMonitorImageUri", value=self.image_uri)
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn)

    def _capture(
        self, props: ModelQualityMonitorProps, access_logs: AccessLogBucket
    ) -> tuple[s3.IBucket, kms.IKey]:
        """The endpoint's capture bucket and key: given, or this stack's."""
        if props.capture_bucket_name:
            bucket = s3.Bucket.from_bucket_name(self, "CaptureBucket", props.capture_bucket_name)
            key = (
                kms.Key.from_key_arn(self, "CaptureKey", props.capture_key_arn)
                if props.capture_key_arn
                else self.key
            )
            return bucket, key
        capture = SecureBucket(
            self, "Capture", access_logs=access_logs, props=SecureBucketProps("capture/")
        )
        return capture.bucket, self.key

    def _processing_role(self, construct_id: str, description: str) -> iam.Role:
        """A role only SageMaker acting for this account may assume, with processing-job logs."""
        role = iam.Role(
            self,
            construct_id,
            # Confused-deputy guard (https://docs.aws.amazon.com/sagemaker/latest/dg/security-confused-deputy-prevention.html).
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description=description,
        )
        # The four log actions of a processing job's role, on the ARNs IAM checks.
        grant_sagemaker_logs(role, PROCESSING_LOG_GROUP)
        # The processing volume is encrypted with the monitor key: "If you specify a volume KMS
        # key in the resource configuration of your processing job, add ... kms:CreateGrant"
        # to the job's role (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createprocessingjob-perms);
        # monitoring executions are processing jobs with the definition's volume key. Only for
        # grants an AWS service makes for its resources (the volume), never one of the role's
        # own (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
        # The caller of CreateProcessingJob needs no grant: AWS lists it for the job's role only
        # and the Service Authorization Reference gives CreateProcessingJob no dependent action.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[self.key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        return role

    def _baseline_role(self) -> iam.Role:
        """The baselining job's role: read ``training/``, write ``baselines/``."""
        role = self._processing_role(
            "BaselineRole", "Model Monitor baselining jobs: training data in, baselines out"
        )
        bucket = self.monitoring.bucket
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{TRAINING_PREFIX}*")]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{BASELINES_PREFIX}*")],
            )
        )
        # SageMaker lists the input prefix to stage its files: ListBucket names keys only.
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        # The baseline is written SSE-KMS with the monitor key (GenerateDataKey).
        self.key.grant(role, "kms:GenerateDataKey")
        self._acknowledge_role(role, [f"{TRAINING_PREFIX}*", f"{BASELINES_PREFIX}*"])
        return role

    def _monitoring_role(self) -> iam.Role:
        """The schedule's role: capture and baseline in, reports and metrics out."""
        props = self.props
        role = self._processing_role(
            "MonitoringRole",
            f"Model Monitor data-quality executions of {props.endpoint_name}",
        )
        bucket = self.monitoring.bucket
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[
                    self.capture_bucket.arn_for_objects(f"{self.capture_objects}*"),
                    # The current baseline's two files, whichever version they hold.
                    bucket.arn_for_objects(f"{CURRENT_PREFIX}statistics.json"),
                    bucket.arn_for_objects(f"{CURRENT_PREFIX}constraints.json"),
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{REPORTS_PREFIX}*")]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"], resources=[self.capture_bucket.bucket_arn]
            )
        )
        # Captured data and the baseline are SSE-KMS (Decrypt); the reports are written
        # SSE-KMS with the monitor key (GenerateDataKey).
        self.key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
        if self.capture_key is not self.key:
            self.capture_key.grant(role, "kms:Decrypt")
        # PutMetricData has no resource-level permissions: the namespace condition scopes it.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
            )
        )
        acknowledge_wildcard(
            role,
            ["cloudwatch:PutMetricData"],
            "Metrics go to Model Monitor's data-metric namespace, which the condition fixes.",
        )
        self._acknowledge_role(
            role,
            [f"{REPORTS_PREFIX}*"],
            capture=True,
        )
        return role

    def _acknowledge_role(self, role: iam.Role, prefixes: list[str], *, capture: bool = False):
        monitoring = self.get_logical_id(self.monitoring.bucket.node.default_child)
        findings = [f"Resource::<{monitoring}.Arn>/{p}" for p in prefixes]
        findings.append(
            "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
            f"{PROCESSING_LOG_GROUP}:log-stream:*"
        )
        if capture:
            findings.append("Resource::*")
            capture_bucket = self.capture_bucket.node.default_child
            if capture_bucket is not None:
                findings.append(
                    f"Resource::<{self.get_logical_id(capture_bucket)}.Arn>/{self.capture_objects}*"
                )
            else:
                findings.append(
                    f"Resource::arn:<AWS::Partition>:s3:::{self.props.capture_bucket_name}/"
                    f"{self.capture_objects}*"
                )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Object ARNs under the job's own prefixes only (SageMaker and the container name "
            "the objects); the processing jobs' log streams, which SageMaker names per job; "
            "Resource::* is cloudwatch:PutMetricData, which has no resource-level permissions "
            "and is limited to Model Monitor's namespace.",
            findings=findings,
        )

    def _feature_alarms(self, props: ModelQualityMonitorProps) -> list[cloudwatch.Alarm]:
        """Per feature: drift above the threshold, completeness below the minimum.

        AWS suggests querying both metrics with ``Sum`` (CloudWatch metrics page cited in
        ``refarch.model_monitor.metrics``); an hourly schedule publishes one datapoint per
        period, where Sum, Maximum and Minimum agree, and Maximum (drift) / Minimum
        (completeness) stay right if an extra execution (``NOW``) lands in the same hour.
        """
        dimensions = {"EndpointName": props.endpoint_name, "ScheduleName": self.schedule_name}
        hourly = Duration.hours(1)
        alarms = []
        for feature in props.features:
            safe = "".join(c for c in feature.title() if c.isalnum())
            alarms.append(
                self.alarms.alarm_on_threshold(
                    self,
                    f"Drift{safe}",
                    cloudwatch.Metric(
                        namespace=NAMESPACE,
                        metric_name=drift_metric(feature),
                        dimensions_map=dimensions,
                        period=hourly,
                        statistic="Maximum",
                    ),
                    f"The distribution of {feature} in the captured requests drifted from the "
                    "training baseline (see the execution's constraint_violations.json)",
                    threshold=props.drift_threshold,
                    comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                )
            )
            alarms.append(
                self.alarms.alarm_on_threshold(
                    self,
                    f"Completeness{safe}",
                    cloudwatch.Metric(
                        namespace=NAMESPACE,
                        metric_name=completeness_metric(feature),
                        dimensions_map=dimensions,
                        period=hourly,
                        statistic="Minimum",
                    ),
                    f"Fewer captured requests than expected carry {feature}",
                    threshold=props.min_completeness,
                    comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                )
            )
        return alarms

    def _execution_rule(self, construct_id: str, description: str, statuses: list[str]):
        """State changes of this schedule's executions into ``statuses``."""
        return events.Rule(
            self,
            construct_id,
            description=description,
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[PROCESSING_JOB_STATE_CHANGE],
                detail={
                    "MonitoringScheduleArn": [self.schedule.arn],
                    "ProcessingJobStatus": statuses,
                },
            ),
        )

    def _drift_watcher(self, props: ModelQualityMonitorProps) -> ObservedFunction:
        """The retraining hook: reads the latest reports after each completed execution."""
        watcher = ObservedFunction(
            self,
            "DriftWatcher",
            alarms=self.alarms,
            props=ObservedFunctionProps(
                asset="drift_watcher",
                description="Puts a retraining event when data drift persists across executions",
                memory_size=256,
                timeout=Duration.seconds(60),
                environment={
                    "REPORT_BUCKET": self.monitoring.bucket.bucket_name,
                    "REPORT_PREFIX": (
                        f"{REPORTS_PREFIX}{props.endpoint_name}/{self.schedule_name}/"
                    ),
                    "SCHEDULE_ARN": self.schedule.arn,
                    "ENDPOINT_NAME": props.endpoint_name,
                    "SCHEDULE_NAME": self.schedule_name,
                    "CONSECUTIVE_RUNS": str(props.consecutive_runs_for_retraining),
                    "EVENT_SOURCE": RETRAINING_EVENT_SOURCE,
                },
            ),
        )
        function = watcher.function
        bucket = self.monitoring.bucket
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(f"{REPORTS_PREFIX}*")],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        # Reports are SSE-KMS with the monitor key.
        self.key.grant(function, "kms:Decrypt")
        events.EventBus.from_event_bus_name(self, "DefaultBus", "default").grant_put_events_to(
            function
        )
        acknowledge(
            watcher.role,
            "AwsSolutions-IAM5",
            "Reads the violation reports under reports/ only (Model Monitor names them per "
            "execution hour).",
            findings=[
                f"Resource::<{self.get_logical_id(bucket.node.default_child)}.Arn>/"
                f"{REPORTS_PREFIX}*"
            ],
        )
        acknowledge_unexercised(
            watcher.role,
            ["sqs:SendMessage"],
            "Lambda's asynchronous dead-letter queue, written only after the watcher failed "
            "three times (an S3 or EventBridge outage); the scenario's watcher never fails",
        )
        acknowledge_unexercised(
            watcher.role,
            ["logs:CreateLogGroup"],
            "Lambda Insights' managed policy: the account's /aws/lambda-insights log group "
            "is created by the first function that reports to it, and in the scenario a "
            "baseline function runs first",
        )
        rule = self._execution_rule(
            "ExecutionCompleted",
            "A monitoring execution completed: check for persistent drift",
            ["Completed"],
        )
        rule.add_target(
            targets.LambdaFunction(
                function,
                dead_letter_queue=self.undelivered,
                retry_attempts=10,
                max_event_age=Duration.hours(6),
            )
        )
        return watcher
