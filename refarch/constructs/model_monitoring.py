"""SageMaker Model Monitor's data-quality job definition and schedule, as typed constructs.

aws-cdk-lib has no L2 for Model Monitor: ``CfnDataQualityJobDefinition`` and
``CfnMonitoringSchedule`` are wrapped here so that a pattern sets a few typed props and gets
the secure settings (KMS on the volume and the reports, network isolation, a stopping
condition) every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws, CfnMapping, Duration, Fn
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

#: The account serving the prebuilt ``sagemaker-model-monitor-analyzer`` image per region
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html,
#: registry paths: https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html).
MODEL_MONITOR_REGISTRIES = {
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
    "ca-central-1": "536280801234",
    "sa-east-1": "539772159869",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "me-south-1": "607024016150",
    "ap-south-1": "126357580389",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
}
MODEL_MONITOR_REPOSITORY = "sagemaker-model-monitor-analyzer"
#: Hourly, the most frequent a data-quality schedule runs
#: (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-schedule-expression.html).
HOURLY = "cron(0 * ? * * *)"


def model_monitor_image_uri(scope: Construct) -> str:
    """The prebuilt Model Monitor image of the stack's region (a mapping lookup at deploy)."""
    mapping = CfnMapping(
        scope,
        "ModelMonitorRegistry",
        mapping={
            region: {"account": account} for region, account in MODEL_MONITOR_REGISTRIES.items()
        },
    )
    account = mapping.find_in_map(Aws.REGION, "account")
    return Fn.join(
        "", [account, ".dkr.ecr.", Aws.REGION, f".{Aws.URL_SUFFIX}/{MODEL_MONITOR_REPOSITORY}"]
    )


@dataclass(frozen=True)
class MonitoringJobResources:
    """The processing cluster of each monitoring execution (billed per instance-hour)."""

    instance_type: str = "ml.m5.large"
    """The smallest general-purpose processing instance Model Monitor's Spark runs well on."""

    instance_count: int = 1
    volume_size_gb: int = 20
    """Holds the window's captured files and the baseline while the job runs."""

    max_runtime: Duration = Duration.minutes(50)
    """Shorter than the hourly period, so one execution ends before the next starts (an
    hourly schedule's runtime must be at most an hour: schedule expression page above)."""


@dataclass(frozen=True)
class DataQualityJobDefinitionProps:
    """What a data-quality job checks, with what, and where it reports."""

    name: str
    """The definition's name (letters, digits, hyphens; at most 63): the schedule names it."""

    endpoint_name: str
    image_uri: str
    role: iam.IRole
    key: kms.IKey
    """Encrypts the job's storage volume and the reports it writes."""

    baseline_constraints_uri: str
    baseline_statistics_uri: str
    report_uri: str
    """``s3://`` prefix: executions write under ``<endpoint>/<schedule>/yyyy/mm/dd/hh/``."""

    resources: MonitoringJobResources = MonitoringJobResources()


class DataQualityJobDefinition(Construct):
    """``AWS::SageMaker::DataQualityJobDefinition``: the container, its inputs and its outputs.

    - Network isolation: the container makes no outbound call; SageMaker stages the captured
      data and the baseline in and the reports out
      (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MonitoringNetworkConfig.html).
    - Volume and output encrypted with the pattern's key.
    - ``publish_cloudwatch_metrics`` on: the per-feature metrics the alarms read.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: DataQualityJobDefinitionProps
    ) -> None:
        super().__init__(scope, construct_id)
        resources = props.resources
        self.resource = sagemaker.CfnDataQualityJobDefinition(
            self,
            "Resource",
            job_definition_name=props.name,
            role_arn=props.role.role_arn,
            data_quality_app_specification=sagemaker.CfnDataQualityJobDefinition.DataQualityAppSpecificationProperty(
                image_uri=props.image_uri,
                environment={"publish_cloudwatch_metrics": "Enabled"},
            ),
            data_quality_baseline_config=sagemaker.CfnDataQualityJobDefinition.DataQualityBaselineConfigProperty(
                constraints_resource=sagemaker.CfnDataQualityJobDefinition.ConstraintsResourceProperty(
                    s3_uri=props.baseline_constraints_uri
                ),
                statistics_resource=sagemaker.CfnDataQualityJobDefinition.StatisticsResourceProperty(
                    s3_uri=props.baseline_statistics_uri
                ),
            ),
            data_quality_job_input=sagemaker.CfnDataQualityJobDefinition.DataQualityJobInputProperty(
                endpoint_input=sagemaker.CfnDataQualityJobDefinition.EndpointInputProperty(
                    endpoint_name=props.endpoint_name,
                    local_path="/opt/ml/processing/input/endpoint",
                    s3_input_mode="File",
                    s3_data_distribution_type="FullyReplicated",
                )
            ),
            data_quality_job_output_config=sagemaker.CfnDataQualityJobDefinition.MonitoringOutputConfigProperty(
                kms_key_id=props.key.key_arn,
                monitoring_outputs=[
                    sagemaker.CfnDataQualityJobDefinition.MonitoringOutputProperty(
                        s3_output=sagemaker.CfnDataQualityJobDefinition.S3OutputProperty(
                            local_path="/opt/ml/processing/output",
                            s3_uri=props.report_uri,
                            s3_upload_mode="EndOfJob",
                        )
                    )
                ],
            ),
            job_resources=sagemaker.CfnDataQualityJobDefinition.MonitoringResourcesProperty(
                cluster_config=sagemaker.CfnDataQualityJobDefinition.ClusterConfigProperty(
                    instance_count=resources.instance_count,
                    instance_type=resources.instance_type,
                    volume_size_in_gb=resources.volume_size_gb,
                    volume_kms_key_id=props.key.key_arn,
                )
            ),
            network_config=sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty(
                enable_network_isolation=True,
                enable_inter_container_traffic_encryption=True,
            ),
            stopping_condition=sagemaker.CfnDataQualityJobDefinition.StoppingConditionProperty(
                max_runtime_in_seconds=int(resources.max_runtime.to_seconds())
            ),
        )
        # CloudFormation validates the role when it creates the definition: it must exist
        # with its policy first.
        self.resource.node.add_dependency(props.role)
        self.name = props.name
        self.arn = self.resource.attr_job_definition_arn


@dataclass(frozen=True)
class MonitoringScheduleProps:
    """When a job definition runs, for which endpoint."""

    name: str
    """The schedule's name: the ``ScheduleName`` dimension of the metrics it publishes."""

    endpoint_name: str
    job_definition: DataQualityJobDefinition
    schedule_expression: str = HOURLY


class MonitoringSchedule(Construct):
    """``AWS::SageMaker::MonitoringSchedule`` running a data-quality job definition.

    Each execution analyses the capture of the hour before its start
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-scheduling.html).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: MonitoringScheduleProps):
        super().__init__(scope, construct_id)
        self.resource = sagemaker.CfnMonitoringSchedule(
            self,
            "Resource",
            endpoint_name=props.endpoint_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=props.job_definition.name,
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=props.schedule_expression
                ),
            ),
            monitoring_schedule_name=props.name,
        )
        self.resource.node.add_dependency(props.job_definition.resource)
        self.name = props.name
        self.arn = self.resource.attr_monitoring_schedule_arn
