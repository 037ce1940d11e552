"""CloudWatch alarm evaluation: the metrics a run published, compared as each alarm says.

CloudWatch evaluates a metric alarm on its period and statistic: the alarm goes to ``ALARM``
when ``DatapointsToAlarm`` of the last ``EvaluationPeriods`` datapoints breach the threshold,
and missing data is treated as ``TreatMissingData`` says
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html). On a
state change it notifies the SNS topics of the new state's actions, as
``cloudwatch.amazonaws.com``, if the topic's policy lets it publish
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html).

The runner evaluates when a scenario asks (after a job published metrics), at a given time;
there is no background clock. Not emulated: metric math and anomaly-detection alarms,
percentile statistics, and ``evaluate low sample count``.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from refarch.local.policy_conditions import resource_policy_allows

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator

CLOUDWATCH_PRINCIPAL = "cloudwatch.amazonaws.com"
_COMPARE = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclass(frozen=True)
class AlarmTransition:
    """One alarm's state change, and the topics it notified."""

    alarm: str
    old: str
    new: str
    reason: str
    notified: tuple[str, ...]
    refused: tuple[str, ...] = ()


def _datapoints(cloudwatch: Any, alarm: dict[str, Any], at: datetime) -> list[float]:
    """The alarm's statistic for each of its last evaluation periods ending at ``at``."""
    period = int(alarm["Period"])
    periods = int(alarm.get("EvaluationPeriods", 1))
    statistic = alarm["Statistic"]
    end = at
    start = end - timedelta(seconds=period * periods)
    answer = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions", []),
        StartTime=start,
        EndTime=end,
        Period=period,
        Statistics=[statistic],
    )
    points = sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])
    return [p[statistic] for p in points]


def evaluate_alarms(emu: Emulator, *, namespace: str, at: datetime) -> list[AlarmTransition]:
    """Evaluate every metric alarm on ``namespace`` at ``at``; notify on state changes."""
    cloudwatch = emu.client("cloudwatch")
    transitions = []
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    for alarm in (a for page in pages for a in page["MetricAlarms"]):
        if alarm.get("Namespace") != namespace or "Statistic" not in alarm:
            continue
        values = _datapoints(cloudwatch, alarm, at)
        needed = int(alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods", 1))
        compare = _COMPARE[alarm["ComparisonOperator"]]
        breaching = [v for v in values if compare(v, alarm["Threshold"])]
        if values:
            new = "ALARM" if len(breaching) >= needed else "OK"
            shown = ", ".join(f"{v:.4g}" for v in values)
            reason = (
                f"{len(breaching)} of {len(values)} datapoints [{shown}] "
                f"{alarm['ComparisonOperator']} {alarm['Threshold']}"
            )
        elif alarm.get("TreatMissingData", "missing") in ("notBreaching", "ignore"):
            new, reason = (
                alarm["StateValue"] if alarm["StateValue"] != "INSUFFICIENT_DATA" else "OK",
                "no data (not breaching)",
            )
        else:
            new, reason = "INSUFFICIENT_DATA", "no data"
        if new == alarm["StateValue"]:
            continue
        cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=new, StateReason=reason)
        actions = {"ALARM": "AlarmActions", "OK": "OKActions"}.get(new, "InsufficientDataActions")
        notified, refused = [], []
        for topic in alarm.get(actions, []):
            if _notify(emu, topic, alarm, alarm["StateValue"], new, reason, at):
                notified.append(topic)
            else:
                refused.append(topic)
        transitions.append(
            AlarmTransition(
                alarm["AlarmName"],
                alarm["StateValue"],
                new,
                reason,
                tuple(notified),
                tuple(refused),
            )
        )
        mark = "✗ " if refused else ""
        emu.trace.line(
            f"{mark}CloudWatch alarm {alarm['AlarmName']}: {alarm['StateValue']} → {new} ({reason})"
            + (f", notified {len(notified)} topic(s)" if notified else "")
            + (f", topic policy refused {len(refused)}" if refused else ""),
            2,
        )
    return transitions


def _notify(
    emu: Emulator, topic: str, alarm: dict[str, Any], old: str, new: str, reason: str, at: datetime
) -> bool:
    """Publish the alarm's notification as CloudWatch, if the topic's policy allows it."""
    if ":sns:" not in topic:
        return False
    sns = emu.client("sns")
    policy = sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("Policy")
    context = {"aws:SourceAccount": emu.account_id, "aws:SecureTransport": "true"}
    if not policy or not resource_policy_allows(
        policy, action="sns:Publish", principal=CLOUDWATCH_PRINCIPAL, context=context
    ):
        return False
    message = {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "NewStateValue": new,
        "OldStateValue": old,
        "NewStateReason": reason,
        "StateChangeTime": at.isoformat(),
        "Region": emu.region,
        "Trigger": {
            "MetricName": alarm["MetricName"],
            "Namespace": alarm["Namespace"],
            "Statistic": alarm["Statistic"].upper(),
            "Dimensions": [
                {"name": d["Name"], "value": d["Value"]} for d in alarm.get("Dimensions", [])
            ],
            "Period": alarm["Period"],
            "EvaluationPeriods": alarm.get("EvaluationPeriods", 1),
            "ComparisonOperator": alarm["ComparisonOperator"],
            "Threshold": alarm["Threshold"],
        },
    }
    sns.publish(
        TopicArn=topic,
        Subject=f'{new}: "{alarm["AlarmName"]}" in {emu.region}'[:100],
        Message=json.dumps(message),
    )
    return True


def alarm_states(emu: Emulator, *, namespace: str) -> dict[str, str]:
    """Every metric alarm on ``namespace`` and its current state."""
    cloudwatch = emu.client("cloudwatch")
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    return {
        a["AlarmName"]: a["StateValue"]
        for page in pages
        for a in page["MetricAlarms"]
        if a.get("Namespace") == namespace
    }
