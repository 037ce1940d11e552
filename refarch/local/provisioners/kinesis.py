"""Kinesis data streams and their enhanced fan-out consumers."""

from __future__ import annotations

from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

#: Kinesis keeps records 24 hours unless told otherwise (24 h to 8,760 h:
#: https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html).
DEFAULT_RETENTION_HOURS = 24


@provisioner("AWS::Kinesis::Stream")
def stream(request: ProvisionRequest) -> Provisioned:
    """Create the stream in its capacity mode, then retention, encryption, metrics and tags."""
    request.only(
        [
            "Name",
            "ShardCount",
            "StreamModeDetails",
            "RetentionPeriodHours",
            "StreamEncryption",
            "DesiredShardLevelMetrics",
            "Tags",
        ]
    )
    props = request.properties
    name = request.name("Name", max_length=128)
    mode = props.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
    kinesis = request.client("kinesis")
    create: dict[str, Any] = {"StreamName": name, "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        # CloudFormation creates a provisioned stream with one shard when none is given.
        create["ShardCount"] = int(props.get("ShardCount", 1))
    kinesis.create_stream(**create)
    retention = int(props.get("RetentionPeriodHours", DEFAULT_RETENTION_HOURS))
    if retention != DEFAULT_RETENTION_HOURS:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=retention)
    encryption = props.get("StreamEncryption")
    if encryption:
        kinesis.start_stream_encryption(
            StreamName=name,
            EncryptionType=encryption["EncryptionType"],
            KeyId=encryption["KeyId"],
        )
    if props.get("DesiredShardLevelMetrics"):
        kinesis.enable_enhanced_monitoring(
            StreamName=name, ShardLevelMetrics=props["DesiredShardLevelMetrics"]
        )
    if request.tags():
        kinesis.add_tags_to_stream(
            StreamName=name, Tags={t["Key"]: t["Value"] for t in request.tags()}
        )
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    key = f", encrypted with {encryption['KeyId']}" if encryption else ""
    capacity = "on-demand" if mode == "ON_DEMAND" else f"{create['ShardCount']} shards"
    return Provisioned(
        physical_id=name, attributes={"Arn": arn}, note=f"{capacity}, {retention} h retention{key}"
    )


@provisioner("AWS::Kinesis::StreamConsumer")
def stream_consumer(request: ProvisionRequest) -> Provisioned:
    """Register the enhanced fan-out consumer on its stream."""
    request.only(["ConsumerName", "StreamARN", "Tags"])
    props = request.properties
    create: dict[str, Any] = {
        "StreamARN": props["StreamARN"],
        "ConsumerName": props["ConsumerName"],
    }
    if request.tags():
        create["Tags"] = {t["Key"]: t["Value"] for t in request.tags()}
    consumer = request.client("kinesis").register_stream_consumer(**create)["Consumer"]
    arn = consumer["ConsumerARN"]
    return Provisioned(
        physical_id=arn,
        attributes={
            "ConsumerARN": arn,
            "ConsumerName": consumer["ConsumerName"],
            "ConsumerStatus": consumer["ConsumerStatus"],
            "ConsumerCreationTimestamp": str(consumer["ConsumerCreationTimestamp"]),
            "StreamARN": props["StreamARN"],
        },
    )
