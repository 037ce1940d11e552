"""EventBridge rules on the default bus, with their targets.

moto stores the rule and matches events put on the bus against its pattern; ``sources.events``
delivers the AWS-shaped events a service emits (a failed Glue job run) through that match.
"""

from __future__ import annotations

import json
from typing import Any

from refarch.local.provisioners.api_shapes import to_api
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::Events::Rule")
def rule(request: ProvisionRequest) -> Provisioned:
    """Create the rule (pattern or schedule, state) and put its targets (retry policy, DLQ)."""
    request.only(
        [
            "Name",
            "Description",
            "EventPattern",
            "ScheduleExpression",
            "State",
            "EventBusName",
            "RoleArn",
            "Tags",
            "Targets",
        ]
    )
    props = request.properties
    name = request.name("Name", max_length=64)
    put: dict[str, Any] = {"Name": name}
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        put["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    for key in ("Description", "ScheduleExpression", "State", "EventBusName", "RoleArn"):
        if key in props:
            put[key] = props[key]
    if request.tags():
        put["Tags"] = request.tags()
    events = request.client("events")
    arn = events.put_rule(**put)["RuleArn"]
    if props.get("Targets"):
        targets = to_api(request, "Targets", "events", "TargetList")
        bus = {"EventBusName": props["EventBusName"]} if "EventBusName" in props else {}
        failed = events.put_targets(Rule=name, Targets=targets, **bus)
        if failed.get("FailedEntryCount"):
            raise ValueError(f"{request.logical_id}: targets refused: {failed['FailedEntries']}")
    return Provisioned(physical_id=name, attributes={"Arn": arn})
