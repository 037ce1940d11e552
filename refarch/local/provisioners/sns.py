"""SNS topics (the alarm topic), topic policies and subscriptions."""

from __future__ import annotations

import json
from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

_TOPIC_ATTRIBUTES = (
    "DisplayName",
    "KmsMasterKeyId",
    "FifoTopic",
    "ContentBasedDeduplication",
    "SignatureVersion",
    "TracingConfig",
)


@provisioner("AWS::SNS::Topic")
def topic(request: ProvisionRequest) -> Provisioned:
    """Create the topic with its attributes and inline subscriptions."""
    request.only(["TopicName", "Subscription", "Tags", *_TOPIC_ATTRIBUTES])
    props = request.properties
    fifo = str(props.get("FifoTopic", "false")).lower() == "true"
    name = request.name("TopicName", max_length=251 if fifo else 256)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    sns = request.client("sns")
    create: dict[str, Any] = {
        "Name": name,
        "Attributes": {
            key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
            for key in _TOPIC_ATTRIBUTES
            if key in props
        },
    }
    if request.tags():
        create["Tags"] = request.tags()
    arn = sns.create_topic(**create)["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(
            TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"]
        )
    return Provisioned(physical_id=arn, attributes={"TopicArn": arn, "TopicName": name})


@provisioner("AWS::SNS::TopicPolicy")
def topic_policy(request: ProvisionRequest) -> Provisioned:
    """Set the ``Policy`` attribute of each topic."""
    request.only(["Topics", "PolicyDocument"])
    sns = request.client("sns")
    document = json.dumps(request.properties["PolicyDocument"])
    for arn in request.properties["Topics"]:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=document)
    return Provisioned(physical_id=request.name(None))


@provisioner("AWS::SNS::Subscription")
def subscription(request: ProvisionRequest) -> Provisioned:
    """Subscribe the endpoint, with its filter policy and raw delivery setting."""
    request.only(
        [
            "TopicArn",
            "Protocol",
            "Endpoint",
            "FilterPolicy",
            "FilterPolicyScope",
            "RawMessageDelivery",
        ],
        ignored={"Region": "every resource of a local run is in one region"},
    )
    props = request.properties
    attributes = {}
    if "FilterPolicy" in props:
        attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
    for key in ("FilterPolicyScope", "RawMessageDelivery"):
        if key in props:
            attributes[key] = str(props[key]).lower()
    arn = request.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Provisioned(physical_id=arn, attributes={"Arn": arn})
