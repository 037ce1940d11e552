"""The intrinsic resolver and the creation order, on small templates."""

import pytest

from refarch.local import TemplateError
from refarch.local.intrinsics import Resolver, references
from refarch.local.template import creation_order

TEMPLATE = {
    "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
    "Mappings": {"Layers": {"us-east-1": {"arm64": "arn:layer:1"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "IsNotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]},
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": "Bucket"},
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Env": {"Fn::Sub": "${Queue.Arn}-${AWS::Region}"},
            },
        },
        "Role": {"Type": "AWS::IAM::Role"},
    },
}


def resolver():
    attributes = {("Role", "Arn"): "arn:role", ("Queue", "Arn"): "arn:queue"}

    def attribute(logical_id, name):
        return attributes[(logical_id, name)]

    return Resolver(
        template=TEMPLATE,
        pseudo={"AWS::Region": "us-east-1", "AWS::AccountId": "123", "AWS::Partition": "aws"},
        parameters={"Stage": "prod"},
        physical_id=lambda logical_id: f"{logical_id.lower()}-name",
        attribute=attribute,
        exports={"shared-vpc": "vpc-1"},
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "AWS::Region"}, "us-east-1"),
        ({"Ref": "Stage"}, "prod"),
        ({"Ref": "Bucket"}, "bucket-name"),
        ({"Fn::GetAtt": ["Role", "Arn"]}, "arn:role"),
        ({"Fn::GetAtt": "Role.Arn"}, "arn:role"),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}, "a-prod"),
        (
            {"Fn::Sub": "${Bucket}/${Role.Arn}/${!Literal}/${AWS::AccountId}"},
            "bucket-name/arn:role/${Literal}/123",
        ),
        ({"Fn::Sub": ["${X}-${Stage}", {"X": {"Ref": "Bucket"}}]}, "bucket-name-prod"),
        ({"Fn::Select": ["1", {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::FindInMap": ["Layers", {"Ref": "AWS::Region"}, "arm64"]}, "arn:layer:1"),
        ({"Fn::If": ["IsProd", "yes", "no"]}, "yes"),
        ({"Fn::If": ["IsNotProd", "yes", "no"]}, "no"),
        ({"Fn::If": ["Both", 1, 2]}, 1),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::ImportValue": "shared-vpc"}, "vpc-1"),
        ({"Fn::GetAZs": ""}, ["us-east-1a", "us-east-1b", "us-east-1c"]),
    ],
)
def test_resolves(value, expected):
    assert resolver().resolve(value) == expected


def test_no_value_removes_the_property_and_list_item():
    value = {
        "A": {"Ref": "AWS::NoValue"},
        "B": [1, {"Fn::If": ["IsNotProd", 2, {"Ref": "AWS::NoValue"}]}],
    }
    assert resolver().resolve(value) == {"B": [1]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}, "Fn::Cidr"),
        ({"Ref": "Nope"}, "Nope"),
        ({"Fn::GetAtt": ["Nope", "Arn"]}, "Nope"),
        ({"Fn::FindInMap": ["Layers", "eu-west-1", "arm64"]}, "eu-west-1"),
        ({"Fn::ImportValue": "missing"}, "missing"),
        ({"Fn::If": ["Undefined", 1, 2]}, "Undefined"),
    ],
)
def test_unsupported_or_unknown_fails_loudly(value, message):
    with pytest.raises(TemplateError, match=message):
        resolver().resolve(value)


def test_references_follow_ref_getatt_and_sub():
    assert set(references(TEMPLATE["Resources"]["Function"]["Properties"])) == {"Role", "Queue"}


def test_creation_order_respects_dependencies_and_template_order():
    assert creation_order(TEMPLATE) == ["Bucket", "Queue", "Role", "Function"]


def test_cycles_fail():
    template = {
        "Resources": {
            "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}},
            "B": {"Type": "T", "DependsOn": ["A"]},
        }
    }
    with pytest.raises(TemplateError, match="circular"):
        creation_order(template)
