"""Policy conditions and statements are evaluated per the IAM reference (moto's gaps fixed)."""

import json

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

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
