"""Nothing in a template is skipped silently: unknown types, properties and intrinsics fail."""

import re

import firehose_fixture
import pytest
from assemblies import synthesized

from refarch.local import (
    TemplateError,
    UnsupportedPropertyError,
    UnsupportedResourceTypeError,
    deploy,
    emulator,
)
from refarch.local.provisioners import supported_types

PATTERN = "s3-event-processing"
pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "pattern_id",
    ["s3-event-processing", "stream-to-lake", "glue-partitioned-etl", "approved-model-endpoint"],
)
def test_every_type_of_the_template_has_a_provisioner(pattern_id):
    types = {r["Type"] for r in synthesized(pattern_id).template["Resources"].values()}
    custom = {t for t in types if t.startswith("Custom::")}
    assert types - custom <= set(supported_types())


def test_unsupported_resource_type_fails_with_its_name_before_anything_is_created(
    s3_event_processing,
):
    def add_endpoint(template):
        # The pattern's endpoint is created by its deployer at runtime, never by CloudFormation.
        template["Resources"]["OrdersEndpoint"] = {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {"EndpointConfigName": "orders"},
        }

    with emulator() as aws:
        with pytest.raises(
            UnsupportedResourceTypeError, match=r"AWS::SageMaker::Endpoint"
        ) as raised:
            deploy(PATTERN, assembly=s3_event_processing, template_hook=add_endpoint)
        buckets = aws.client("s3").list_buckets()["Buckets"]
    assert raised.value.logical_id == "OrdersEndpoint"
    assert buckets == []


def test_unsupported_property_fails_with_its_name(s3_event_processing):
    def add_vpc(template):
        function = next(
            r for i, r in template["Resources"].items() if i.startswith("CsvValidatorFunction")
        )
        function["Properties"]["VpcConfig"] = {"SubnetIds": ["subnet-1"], "SecurityGroupIds": []}

    with emulator(), pytest.raises(UnsupportedPropertyError, match="VpcConfig"):
        deploy(PATTERN, assembly=s3_event_processing, template_hook=add_vpc)


def test_unsupported_intrinsic_fails_with_its_name(s3_event_processing):
    def add_cidr(template):
        template["Outputs"]["Cidr"] = {"Value": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}}

    with emulator(), pytest.raises(TemplateError, match="Fn::Cidr"):
        deploy(PATTERN, assembly=s3_event_processing, template_hook=add_cidr)


def _destination(template):
    stream = template["Resources"]["DeliveryStream"]["Properties"]
    return stream["ExtendedS3DestinationConfiguration"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(S3BackupMode="Enabled"), "S3BackupMode Enabled"),
        (lambda d: d.update(CompressionFormat="Snappy"), "CompressionFormat Snappy"),
        (lambda d: d.update(Prefix="raw/!{partitionKeyFromQuery:x}/"), "partitionKeyFromQuery"),
        (
            lambda d: d["ProcessingConfiguration"]["Processors"].append(
                {"Type": "MetadataExtraction", "Parameters": []}
            ),
            "MetadataExtraction processor",
        ),
        (lambda d: d.update(AmazonOpenSearchTarget={}), "AmazonOpenSearchTarget"),
        (lambda d: d["BufferingHints"].update(Hint=1), "BufferingHints.Hint"),
    ],
)
def test_a_delivery_stream_option_the_engine_does_not_emulate_fails_by_name(change, named):
    def hook(template):
        change(_destination(template))

    with emulator(), pytest.raises(UnsupportedPropertyError, match=re.escape(named)):
        deploy("firehose-fixture", assembly=firehose_fixture.assembly(), template_hook=hook)
