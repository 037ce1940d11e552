"""SageMaker Model Monitor: the data-quality job definition and the monitoring schedule.

The definition is created in moto (``CreateDataQualityJobDefinition``), which stores it as
given; moto has no monitoring schedules, so the schedule is kept by the runner's Model Monitor
(``sources.model_monitor``), which runs its executions when the scenario says an hour passed.
"""

from __future__ import annotations

from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

_DEFINITION = (
    "DataQualityAppSpecification",
    "DataQualityBaselineConfig",
    "DataQualityJobInput",
    "DataQualityJobOutputConfig",
    "JobResources",
    "NetworkConfig",
    "RoleArn",
    "StoppingCondition",
)
_INTEGERS = ("InstanceCount", "VolumeSizeInGB", "MaxRuntimeInSeconds")


def _typed(value: Any) -> Any:
    """Template values as the API takes them: the integer fields as integers."""
    if isinstance(value, dict):
        return {k: int(v) if k in _INTEGERS else _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return value


@provisioner("AWS::SageMaker::DataQualityJobDefinition")
def data_quality_job_definition(request: ProvisionRequest) -> Provisioned:
    """Create the definition as the template gives it; ``Ref`` is its ARN, as in CloudFormation."""
    request.only(["JobDefinitionName", "Tags", "EndpointName", *_DEFINITION])
    props = request.properties
    name = request.name("JobDefinitionName", max_length=63)
    create = {key: _typed(props[key]) for key in _DEFINITION if key in props}
    if request.tags():
        create["Tags"] = request.tags()
    arn = request.client("sagemaker").create_data_quality_job_definition(
        JobDefinitionName=name, **create
    )["JobDefinitionArn"]
    return Provisioned(
        physical_id=arn,
        attributes={"JobDefinitionArn": arn},
        note=f"data-quality job definition {name}",
    )


@provisioner("AWS::SageMaker::MonitoringSchedule")
def monitoring_schedule(request: ProvisionRequest) -> Provisioned:
    """Register the schedule with the runner's Model Monitor; ``Ref`` is its ARN."""
    request.only(["MonitoringScheduleName", "MonitoringScheduleConfig", "EndpointName", "Tags"])
    props = request.properties
    name = props["MonitoringScheduleName"]
    config = props["MonitoringScheduleConfig"]
    emu = request.emulator
    # SageMaker writes the names in its ARNs in lower case, as for endpoints.
    arn = (
        f"arn:{emu.partition}:sagemaker:{emu.region}:{emu.account_id}:"
        f"monitoring-schedule/{name.lower()}"
    )
    emu.model_monitor.add_schedule(
        name=name,
        arn=arn,
        endpoint_name=props.get("EndpointName")
        or config.get("MonitoringJobDefinition", {}).get("EndpointName", ""),
        job_definition_name=config["MonitoringJobDefinitionName"],
        schedule_expression=config["ScheduleConfig"]["ScheduleExpression"],
    )
    return Provisioned(
        physical_id=arn,
        attributes={"MonitoringScheduleArn": arn},
        note=f"monitoring schedule {name} ({config['ScheduleConfig']['ScheduleExpression']})",
    )
