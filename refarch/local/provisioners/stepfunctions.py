"""Step Functions state machines (here: the custom-resource provider framework's waiter)."""

from __future__ import annotations

from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::StepFunctions::StateMachine")
def state_machine(request: ProvisionRequest) -> Provisioned:
    """Create the state machine; the runner never starts it.

    The one in the templates is aws-cdk-lib's provider-framework waiter, which polls a custom
    resource's ``isComplete`` during a deploy; the runner's custom-resource provisioner does
    that polling itself.
    """
    request.only(
        ["DefinitionString", "RoleArn", "StateMachineName", "StateMachineType", "Tags"],
    )
    props = request.properties
    name = request.name("StateMachineName", max_length=80)
    create: dict[str, Any] = {
        "name": name,
        "definition": props["DefinitionString"],
        "roleArn": props["RoleArn"],
    }
    if "StateMachineType" in props:
        create["type"] = props["StateMachineType"]
    if request.tags():
        create["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in request.tags()]
    arn = request.client("stepfunctions").create_state_machine(**create)["stateMachineArn"]
    return Provisioned(physical_id=arn, attributes={"Arn": arn, "Name": name})
