"""Nothing in a template is skipped silently: unknown types, properties and intrinsics fail."""

import pytest

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


def test_every_type_of_the_template_has_a_provisioner(s3_event_processing):
    types = {r["Type"] for r in s3_event_processing.template["Resources"].values()}
    custom = {t for t in types if t.startswith("Custom::")}
    assert types - custom <= set(supported_types())


def test_unsupported_resource_type_fails_with_its_name_before_anything_is_created(
    s3_event_processing,
):
    def add_glue_database(template):
        template["Resources"]["OrdersDatabase"] = {
            "Type": "AWS::Glue::Database",
            "Properties": {"CatalogId": {"Ref": "AWS::AccountId"}},
        }

    with emulator() as aws:
        with pytest.raises(UnsupportedResourceTypeError, match=r"AWS::Glue::Database") as raised:
            deploy(PATTERN, assembly=s3_event_processing, template_hook=add_glue_database)
        buckets = aws.client("s3").list_buckets()["Buckets"]
    assert raised.value.logical_id == "OrdersDatabase"
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
