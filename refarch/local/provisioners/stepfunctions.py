"""Step Functions state machines: the provider framework's waiter, and promotion workflows."""

from __future__ import annotations

from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::StepFunctions::StateMachine")
def state_machine(request: ProvisionRequest) -> Provisioned:
    """Create the state machine in moto; executions run in ``sources.step_functions``.

    aws-cdk-lib's provider-framework waiter (which polls a custom resource's ``isComplete``
    during a deploy) is never started: the runner's custom-resource provisioner polls itself.
    Logging and tracing are recorded as configured; the log delivery and traces themselves are
    not emulated.
    """
    request.only(
        [
            "DefinitionString",
            "LoggingConfiguration",
            "RoleArn",
            "StateMachineName",
            "StateMachineType",
            "Tags",
            "TracingConfiguration",
        ],
    )
    props = request.properties
    name = request.name("StateMachineName", max_length=80)
    create: dict[str, Any] = {
        "name": name,
        "definition": props["DefinitionString"],
        "roleArn": props["RoleArn"],
    }
    if "LoggingConfiguration" in props:
        logging = props["LoggingConfiguration"]
        create["loggingConfiguration"] = {
            "level": logging.get("Level", "OFF"),
            "includeExecutionData": logging.get("IncludeExecutionData", False),
            "destinations": [
                {
                    "cloudWatchLogsLogGroup": {
                        "logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]
                    }
                }
                for d in logging.get("Destinations", [])
            ],
        }
    if "TracingConfiguration" in props:
        create["tracingConfiguration"] = {
            "enabled": bool(props["TracingConfiguration"].get("Enabled"))
        }
    if "StateMachineType" in props:
        create["type"] = props["StateMachineType"]
    if request.tags():
        create["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in request.tags()]
    arn = request.client("stepfunctions").create_state_machine(**create)["stateMachineArn"]
    return Provisioned(physical_id=arn, attributes={"Arn": arn, "Name": name})
