"""SQS queues (a function's dead-letter queue) and queue policies."""

from __future__ import annotations

import json

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

#: Queue properties that are queue attributes of the same name in the SQS API.
_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


def _attribute_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


@provisioner("AWS::SQS::Queue")
def queue(request: ProvisionRequest) -> Provisioned:
    """Create the queue with every attribute the template sets."""
    request.only(["QueueName", "Tags", *_ATTRIBUTES])
    props = request.properties
    fifo = str(props.get("FifoQueue", "false")).lower() == "true"
    name = request.name("QueueName", max_length=75 if fifo else 80)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = {key: _attribute_value(props[key]) for key in _ATTRIBUTES if key in props}
    sqs = request.client("sqs")
    create: dict[str, object] = {"QueueName": name, "Attributes": attributes}
    if request.tags():
        create["tags"] = {t["Key"]: t["Value"] for t in request.tags()}
    url = sqs.create_queue(**create)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Provisioned(physical_id=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


@provisioner("AWS::SQS::QueuePolicy")
def queue_policy(request: ProvisionRequest) -> Provisioned:
    """Set the ``Policy`` attribute of each queue."""
    request.only(["Queues", "PolicyDocument"])
    sqs = request.client("sqs")
    document = json.dumps(request.properties["PolicyDocument"])
    for url in request.properties["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document})
    return Provisioned(physical_id=request.name(None))
