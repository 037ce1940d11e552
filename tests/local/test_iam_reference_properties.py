"""Properties of the reference-driven resource matching, over generated names."""

from hypothesis import given
from hypothesis import strategies as st

from refarch.iam_reference import pattern_applies, request_arns, resource_types

#: CloudWatch Logs' logGroupName pattern ([\.\-_/#A-Za-z0-9]+): no colon.
LOG_GROUP_NAMES = st.from_regex(r"[.\-_/#A-Za-z0-9]{1,40}", fullmatch=True)
LOG_STREAM_NAMES = st.from_regex(r"[.\-_/#A-Za-z0-9]{1,40}", fullmatch=True)
WHERE = {"partition": "aws", "region": "eu-west-1", "account": "123456789012"}
GROUP_ACTIONS = st.sampled_from(
    ["logs:CreateLogGroup", "logs:AssociateKmsKey", "logs:DescribeLogStreams"]
)
STREAM_ACTIONS = st.sampled_from(["logs:CreateLogStream", "logs:PutLogEvents"])


@given(GROUP_ACTIONS, LOG_GROUP_NAMES)
def test_a_group_action_applies_to_its_group_arn_never_to_the_group_arn_with_a_suffix(
    action, group
):
    (arn,) = request_arns(action, {"LogGroupName": group}, **WHERE)
    assert arn.endswith(f":log-group:{group}")
    assert pattern_applies(action, arn)
    assert not pattern_applies(action, f"{arn}:*")


@given(STREAM_ACTIONS, LOG_GROUP_NAMES, LOG_STREAM_NAMES)
def test_a_stream_action_is_authorized_on_a_stream_the_group_pattern_covers(action, group, stream):
    values = {"LogGroupName": group, "LogStreamName": stream}
    (arn,) = request_arns(action, values, **WHERE)
    group_arn = request_arns("logs:CreateLogGroup", values, **WHERE)[0]
    assert arn == f"{group_arn}:log-stream:{stream}"
    assert pattern_applies(action, f"{group_arn}:*")
    assert not pattern_applies(action, group_arn)


@given(
    st.sampled_from(
        [
            "s3:GetObject",
            "kinesis:PutRecord",
            "kms:Decrypt",
            "lambda:InvokeFunction",
            "glue:GetTable",
            "ecr:BatchGetImage",
            "sagemaker:InvokeEndpoint",
        ]
    ),
    st.from_regex(r"[a-z0-9][a-z0-9\-]{0,20}", fullmatch=True),
)
def test_every_arn_built_from_an_actions_template_is_one_its_grants_can_name(action, name):
    for kind in resource_types(action):
        values = {v: name for v in kind.variables if v not in ("Partition", "Region", "Account")}
        (arn,) = request_arns(action, values, **WHERE)
        assert pattern_applies(action, arn)
        # ...and that another service's action never applies to.
        assert not pattern_applies("logs:CreateLogGroup", arn)
