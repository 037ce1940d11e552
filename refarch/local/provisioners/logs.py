"""CloudWatch Logs log groups (a function's, with its retention) and log streams."""

from __future__ import annotations

from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


def log_group_arn(request: ProvisionRequest, name: str) -> str:
    """Return the ARN CloudFormation gives a log group (``…:log-group:NAME:*``)."""
    emu = request.emulator
    return f"arn:{emu.partition}:logs:{emu.region}:{emu.account_id}:log-group:{name}:*"


@provisioner("AWS::Logs::LogGroup")
def log_group(request: ProvisionRequest) -> Provisioned:
    """Create the log group and set its retention."""
    request.only(["LogGroupName", "RetentionInDays", "KmsKeyId", "LogGroupClass", "Tags"])
    props = request.properties
    name = request.name("LogGroupName", max_length=512)
    logs = request.client("logs")
    create: dict[str, Any] = {"logGroupName": name}
    if "KmsKeyId" in props:
        create["kmsKeyId"] = props["KmsKeyId"]
    if "LogGroupClass" in props:
        create["logGroupClass"] = props["LogGroupClass"]
    if request.tags():
        create["tags"] = {t["Key"]: t["Value"] for t in request.tags()}
    logs.create_log_group(**create)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    return Provisioned(physical_id=name, attributes={"Arn": log_group_arn(request, name)})


@provisioner("AWS::Logs::LogStream")
def log_stream(request: ProvisionRequest) -> Provisioned:
    """Create the stream in its group (a Firehose delivery stream's error log, for one)."""
    request.only(["LogGroupName", "LogStreamName"])
    props = request.properties
    name = request.name("LogStreamName", max_length=512)
    request.client("logs").create_log_stream(logGroupName=props["LogGroupName"], logStreamName=name)
    return Provisioned(physical_id=name)
