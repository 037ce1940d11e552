"""Buffering Firehose refuses is refused locally when the stream is created, and at synth.

AWS's rules: both hints or neither
(https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html), no zero buffering with
dynamic partitioning (https://docs.aws.amazon.com/firehose/latest/dev/buffering.html), at least
64 MiB, 128 MiB unless set, with format conversion
(https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
"""

import aws_cdk as cdk
import firehose_fixture
import pytest
from aws_cdk import Duration, Size

from refarch.constructs.stream_to_s3_delivery import StreamToS3DeliveryProps, check_buffering
from refarch.local import DeployError, deploy, emulator
from refarch.local.sources.firehose.configuration import MIB

pytestmark = pytest.mark.slow


def _with_hints(hints):
    def hook(template):
        destination = template["Resources"]["DeliveryStream"]["Properties"][
            "ExtendedS3DestinationConfiguration"
        ]
        if hints is None:
            del destination["BufferingHints"]
        else:
            destination["BufferingHints"] = hints

    return hook


@pytest.mark.parametrize(
    ("options", "hints", "message"),
    [
        ({"parquet": True}, {"SizeInMBs": 32, "IntervalInSeconds": 60}, "at least 64"),
        ({}, {"SizeInMBs": 64, "IntervalInSeconds": 0}, "zero buffering"),
        ({}, {"SizeInMBs": 64}, "both SizeInMBs and IntervalInSeconds"),
    ],
)
def test_buffering_aws_refuses_fails_the_deploy(options, hints, message):
    with emulator(), pytest.raises(DeployError, match=f"InvalidArgumentException.*{message}"):
        deploy(
            "firehose-fixture",
            assembly=firehose_fixture.assembly(**options),
            template_hook=_with_hints(hints),
        )


@pytest.mark.parametrize(("parquet", "size_mb"), [(True, 128), (False, 5)])
def test_without_hints_the_buffer_is_the_api_default(parquet, size_mb):
    with emulator():
        stack = deploy(
            "firehose-fixture",
            assembly=firehose_fixture.assembly(parquet=parquet),
            template_hook=_with_hints(None),
        )
        destination = stack.firehose("DeliveryStream").config.destination
        assert destination.buffer_size_bytes == size_mb * MIB
        assert destination.buffer_interval_seconds == 300


def _props(interval_s, size_mib):
    return StreamToS3DeliveryProps(
        data_output_prefix="events/!{partitionKeyFromLambda:dt}/",
        error_output_prefix="errors/!{firehose:error-output-type}/",
        buffering_interval=Duration.seconds(interval_s),
        buffering_size=Size.mebibytes(size_mib),
    )


@pytest.mark.parametrize(
    ("interval_s", "size_mib", "parquet", "message"),
    [
        (0, 128, False, "zero buffering"),
        (300, 32, True, "at least 64 MiB"),
    ],
)
def test_synth_refuses_what_firehose_refuses(interval_s, size_mib, parquet, message):
    cdk.App()  # the props hold CDK tokens: an app must exist
    with pytest.raises(ValueError, match=message):
        check_buffering(_props(interval_s, size_mib), format_conversion=parquet)


def test_synth_accepts_the_smallest_buffers_firehose_takes():
    check_buffering(_props(1, 64), format_conversion=True)
    check_buffering(_props(1, 1), format_conversion=False)
