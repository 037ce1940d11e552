"""Firehose delivery streams: created in moto as configured, emulated by the runner's engine.

moto stores a delivery stream's configuration but moves no data for a Kinesis source, so the
stream is created in moto (``DescribeDeliveryStream`` answers as in AWS) and its configuration,
checked by ``sources.firehose.configuration``, is registered with the emulator's Firehose
service, which reads the source and delivers (``stack.firehose(...).drain()``).

As CreateDeliveryStream does, the roles are checked up front: Firehose must be able to assume
each one (trust policy for ``firehose.amazonaws.com``).
"""

from __future__ import annotations

from typing import Any

from refarch.local.errors import DeployError, LocalRunnerError, UnsupportedPropertyError
from refarch.local.identities import trusts_service
from refarch.local.provisioners.api_shapes import to_api
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner
from refarch.local.sources.firehose.configuration import (
    DeliveryStreamConfig,
    InvalidDeliveryStreamError,
    LambdaProcessor,
    UnsupportedDeliveryStreamError,
)
from refarch.local.sources.firehose.delivery_stream import FIREHOSE_PRINCIPAL
from refarch.local.sources.firehose.format_conversion import check_timestamp_formats
from refarch.local.sources.firehose.prefixes import PrefixError

#: Properties that are API structures of the same name.
_STRUCTURES = ("KinesisStreamSourceConfiguration", "ExtendedS3DestinationConfiguration")


def _roles(config: DeliveryStreamConfig) -> set[str]:
    destination = config.destination
    roles = {config.source.role_arn, destination.role_arn}
    roles.update(p.role_arn for p in destination.processors if isinstance(p, LambdaProcessor))
    if destination.format_conversion is not None:
        roles.add(destination.format_conversion.role_arn)
    return roles


@provisioner("AWS::KinesisFirehose::DeliveryStream")
def delivery_stream(request: ProvisionRequest) -> Provisioned:
    """Create the delivery stream in moto and register it with the runner's Firehose engine."""
    request.only(["DeliveryStreamName", "DeliveryStreamType", *_STRUCTURES, "Tags"])
    props = request.properties
    name = request.name("DeliveryStreamName", max_length=64)
    create: dict[str, Any] = {
        "DeliveryStreamName": name,
        "DeliveryStreamType": props.get("DeliveryStreamType", "DirectPut"),
    }
    for prop in _STRUCTURES:
        if prop in props:
            create[prop] = to_api(request, prop, "firehose", prop)
    emu = request.emulator
    arn = f"arn:{emu.partition}:firehose:{emu.region}:{emu.account_id}:deliverystream/{name}"
    try:
        config = DeliveryStreamConfig.parse(name, arn, create)
        if config.destination.format_conversion is not None:
            check_timestamp_formats(config.destination.format_conversion.timestamp_formats)
    except InvalidDeliveryStreamError as exc:
        raise DeployError(f"{request.logical_id}: {exc}") from exc  # AWS refuses it too
    except (UnsupportedDeliveryStreamError, PrefixError, LocalRunnerError) as exc:
        raise UnsupportedPropertyError(
            request.resource_type, request.logical_id, [str(exc)]
        ) from exc
    iam = request.client("iam")
    context = {"sts:ExternalId": emu.account_id, "aws:SourceArn": arn}
    for role_arn in sorted(_roles(config)):
        trust = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        if not trusts_service(trust["AssumeRolePolicyDocument"], FIREHOSE_PRINCIPAL, context):
            raise DeployError(f"{request.logical_id}: Firehose is unable to assume role {role_arn}")
    if request.tags():
        create["Tags"] = request.tags()
    created_arn = request.client("firehose").create_delivery_stream(**create)["DeliveryStreamARN"]
    if created_arn != arn:
        raise DeployError(f"{request.logical_id}: moto named it {created_arn}, not {arn}")
    emu.firehose.register(config)
    destination = config.destination
    processor = destination.lambda_processor
    transform = f", transform {processor.function_arn.rsplit(':', 1)[-1]}" if processor else ""
    return Provisioned(
        physical_id=name,
        attributes={"Arn": arn},
        note=f"{config.source.stream_arn.rsplit('/', 1)[-1]} → s3://{destination.bucket}{transform}"
        " (records move when the runner drains it)",
    )
