"""CloudWatch alarms: created in moto as synthesized, though nothing evaluates them locally."""

from __future__ import annotations

from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

_INTEGERS = ("EvaluationPeriods", "Period", "DatapointsToAlarm")
_PASSTHROUGH = (
    "ActionsEnabled",
    "AlarmActions",
    "AlarmDescription",
    "ComparisonOperator",
    "Dimensions",
    "EvaluateLowSampleCountPercentile",
    "ExtendedStatistic",
    "InsufficientDataActions",
    "MetricName",
    "Metrics",
    "Namespace",
    "OKActions",
    "Statistic",
    "ThresholdMetricId",
    "TreatMissingData",
    "Unit",
)


@provisioner("AWS::CloudWatch::Alarm")
def alarm(request: ProvisionRequest) -> Provisioned:
    """Put the metric alarm with every setting the template gives it."""
    request.only(["AlarmName", "Threshold", "Tags", *_INTEGERS, *_PASSTHROUGH])
    props = request.properties
    name = request.name("AlarmName", max_length=255)
    alarm: dict[str, Any] = {"AlarmName": name}
    alarm.update({key: props[key] for key in _PASSTHROUGH if key in props})
    alarm.update({key: int(props[key]) for key in _INTEGERS if key in props})
    if "Threshold" in props:
        alarm["Threshold"] = float(props["Threshold"])
    if "ActionsEnabled" in props:
        alarm["ActionsEnabled"] = str(props["ActionsEnabled"]).lower() == "true"
    if request.tags():
        alarm["Tags"] = request.tags()
    request.client("cloudwatch").put_metric_alarm(**alarm)
    emu = request.emulator
    arn = f"arn:{emu.partition}:cloudwatch:{emu.region}:{emu.account_id}:alarm:{name}"
    return Provisioned(physical_id=name, attributes={"Arn": arn})
