"""Policy conditions and statements are evaluated per the IAM reference (moto's gaps fixed)."""

import json

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from refarch.iam_reference import pattern_applies, request_arns
from refarch.local.moto_patches import moto_gap_fixes
from refarch.local.policy_conditions import UnsupportedConditionError, conditions_hold

TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("conditions", "context", "holds"),
    [
        (TLS_ONLY, {"aws:SecureTransport": "true"}, False),
        (TLS_ONLY, {"aws:SecureTransport": "false"}, True),
        ({"StringEquals": {"AWS:SourceAccount": "123"}}, {"aws:sourceaccount": "123"}, True),
        ({"StringEquals": {"aws:SourceAccount": ["1", "2"]}}, {"aws:SourceAccount": "3"}, False),
        ({"StringEquals": {"aws:SourceAccount": "123"}}, {}, False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "123"}}, {}, True),
        ({"StringNotEquals": {"aws:SourceAccount": "123"}}, {"aws:SourceAccount": "9"}, True),
        ({"StringLike": {"s3:prefix": "incoming/*"}}, {"s3:prefix": "incoming/a"}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::in*"}},
            {"aws:SourceArn": "arn:aws:s3:::input"},
            True,
        ),
        (
            # ArnLike compares component by component: * does not cross a colon.
            {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*"}},
            {"aws:SourceArn": "arn:aws:s3:::input"},
            False,
        ),
        ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
        ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a"]}, True),
        ({"ForAnyValue:StringEquals": {"tags": ["a"]}}, {"tags": ["x", "a"]}, True),
        ({"NumericLessThan": {"n": "10"}}, {"n": "3"}, True),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, True),
    ],
)
def test_conditions(conditions, context, holds):
    assert conditions_hold(conditions, context) is holds


def test_unknown_operator_fails_loudly():
    with pytest.raises(UnsupportedConditionError, match="DateGreaterThan"):
        conditions_hold({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}, {"x": "y"})


def _result(statement, action, resource):
    return IAMPolicy(
        json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    ).is_action_permitted(action, resource)


def test_tls_only_deny_does_not_deny_https_requests():
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": TLS_ONLY,
    }
    # moto as shipped: the ignored condition makes this a deny-all.
    assert _result(deny, "s3:PutObject", "arn:aws:s3:::b/k") == PermissionResult.DENIED
    with moto_gap_fixes([]):
        assert _result(deny, "s3:PutObject", "arn:aws:s3:::b/k") == PermissionResult.NEUTRAL


def test_statements_use_iam_wildcards_not_regular_expressions():
    allow = {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::b/in.coming/*"}
    with moto_gap_fixes([]):
        assert _result(allow, "s3:getobjectversion", "arn:aws:s3:::b/in.coming/x") == (
            PermissionResult.PERMITTED
        )
        assert _result(allow, "s3:GetObject", "arn:aws:s3:::b/inXcoming/x") == (
            PermissionResult.NEUTRAL
        )
        not_resource = {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/*"}
        assert _result(not_resource, "s3:GetObject", "arn:aws:s3:::b/x") == PermissionResult.NEUTRAL
        assert _result(not_resource, "s3:GetObject", "arn:aws:s3:::c/x") == PermissionResult.DENIED


# --- Resource matching from the Service Authorization Reference (refarch.iam_reference) --------

GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f"


@pytest.mark.parametrize(
    ("action", "pattern", "applies"),
    [
        # defect 3: the group's CloudFormation Arn (`:*`) names its streams, never the group.
        ("logs:CreateLogGroup", f"{GROUP}:*", False),
        ("logs:AssociateKmsKey", f"{GROUP}:*", False),
        ("logs:DescribeLogStreams", f"{GROUP}:*", False),
        ("logs:CreateLogGroup", GROUP, True),
        ("logs:PutLogEvents", f"{GROUP}:*", True),
        ("logs:PutLogEvents", GROUP, False),
        ("logs:CreateLogGroup", "arn:aws:logs:*:*:*", True),
        # no resource types: only "*" applies
        ("logs:DescribeLogGroups", "*", True),
        ("logs:DescribeLogGroups", GROUP, False),
        ("s3:GetObject", "arn:aws:s3:::b/*", True),
        ("s3:GetObject", "arn:aws:s3:::b", False),
        ("s3:ListBucket", "arn:aws:s3:::b", True),
        # S3 object keys may hold colons
        ("s3:GetObject", "arn:aws:s3:::b/a:b", True),
        # hand-written: a qualified function ARN (Lambda developer guide)
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:f:*", True),
        ("kinesis:SubscribeToShard", "arn:aws:kinesis:us-east-1:1:stream/s", False),
        # an action the reference does not list is not judged
        ("xray:TraceSegments", "arn:aws:xray:x", True),
    ],
)
def test_pattern_applies_per_the_reference(action, pattern, applies):
    assert pattern_applies(action, pattern) is applies


def test_request_arns_are_built_from_the_reference_templates():
    where = {"partition": "aws", "region": "us-east-1", "account": "1"}
    values = {"LogGroupName": "g", "LogStreamName": "s"}
    assert request_arns("logs:CreateLogGroup", values, **where) == [
        "arn:aws:logs:us-east-1:1:log-group:g"
    ]
    assert request_arns("logs:PutLogEvents", values, **where) == [
        "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"
    ]
    assert request_arns("logs:DescribeLogGroups", values, **where) == ["*"]
    assert request_arns("logs:PutLogEvents", {"LogGroupName": "g"}, **where) == ["*"]


def test_a_statement_on_a_form_of_none_of_the_actions_types_does_not_apply():
    # Even where the request's ARN would match the pattern (moto's old `log-group:NAME:*`), the
    # pattern names log streams: AWS never applies it to CreateLogGroup.
    allow = {"Effect": "Allow", "Action": "logs:*", "Resource": [f"{GROUP}:*", GROUP]}
    with moto_gap_fixes([]):
        assert _result(allow, "logs:CreateLogGroup", f"{GROUP}:*") == PermissionResult.NEUTRAL
        assert _result(allow, "logs:CreateLogGroup", GROUP) == PermissionResult.PERMITTED
        assert _result(allow, "logs:PutLogEvents", f"{GROUP}:log-stream:s") == (
            PermissionResult.PERMITTED
        )


def test_create_log_group_granted_on_the_group_arn_form_is_denied_locally():
    # End to end through moto: the request is authorized on …:log-group:NAME, as in AWS.
    import boto3
    from moto import mock_aws
    from moto.core import enable_iam_authentication

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream"],
                "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:wrong-form:*",
            },
            {
                "Effect": "Allow",
                "Action": "logs:CreateLogGroup",
                "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:right-form",
            },
        ],
    }
    denials = []
    with mock_aws(), moto_gap_fixes(denials):
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="u")
        iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="u")["AccessKey"]
        with enable_iam_authentication():
            logs = boto3.client(
                "logs",
                region_name="us-east-1",
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
            )
            logs.create_log_group(logGroupName="right-form")
            with pytest.raises(logs.exceptions.ClientError, match="AccessDenied"):
                logs.create_log_group(logGroupName="wrong-form")
    assert [(d.action, d.resource) for d in denials] == [
        ("logs:CreateLogGroup", "arn:aws:logs:us-east-1:123456789012:log-group:wrong-form")
    ]
