"""`refarch check`'s IAM findings on small hand-made templates: defects 3 and 7, a broken grant."""

import pytest

from refarch.iam_findings import WILDCARD_METADATA, template_findings

LOG_GROUP_ARN = {"Fn::GetAtt": ["Logs", "Arn"]}  # …:log-group:NAME:* (CloudFormation's Arn)


def _template(*statements, role_metadata=None):
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
    if role_metadata:
        role["Metadata"] = role_metadata
    return {
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {}},
            "Role": role,
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
                    "Roles": [{"Ref": "Role"}],
                },
            },
        }
    }


def _allow(actions, resources):
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _found(template):
    return {(f.kind, f.action) for f in template_findings(template)}


def test_defect_3_group_actions_on_the_log_group_getatt_arn():
    template = _template(
        _allow(
            [
                "logs:CreateLogGroup",
                "logs:AssociateKmsKey",
                "logs:DescribeLogStreams",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            LOG_GROUP_ARN,
        )
    )
    # The stream actions apply to …:log-group:NAME:*; the group actions never do.
    assert _found(template) == {
        ("resource-format", "logs:CreateLogGroup"),
        ("resource-format", "logs:AssociateKmsKey"),
        ("resource-format", "logs:DescribeLogStreams"),
    }


def test_defect_3_fixed_group_actions_on_the_group_arn():
    group = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":logs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":log-group:",
                {"Ref": "Logs"},
            ],
        ]
    }
    sub = {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:x"}
    template = _template(
        _allow(["logs:CreateLogGroup", "logs:AssociateKmsKey"], group),
        _allow("logs:DescribeLogStreams", sub),
    )
    assert _found(template) == set()


def test_defect_7_alarm_actions_on_star():
    template = _template(
        _allow(["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"], "*"),
        _allow("cloudwatch:DescribeAlarms", "*"),
    )
    assert _found(template) == {
        ("unexplained-wildcard", "cloudwatch:PutMetricAlarm"),
        ("unexplained-wildcard", "cloudwatch:DeleteAlarms"),
        ("unexplained-wildcard", "cloudwatch:DescribeAlarms"),
    }


def test_defect_7_fixed_alarm_actions_on_alarm_arns():
    alarms = {
        "Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:p-*"
    }
    template = _template(
        _allow(["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"], alarms),
        _allow("cloudwatch:DescribeAlarms", alarms),
    )
    assert _found(template) == set()


def test_a_deliberately_broken_grant():
    # Objects granted on the bucket's ARN (not `/…`), a stream action on a bucket, a typo.
    template = _template(
        _allow("s3:GetObject", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        _allow("kinesis:PutRecord", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        _allow("s3:GetObjekt", "*"),
        _allow("s3:Fetch*", "*"),
    )
    assert _found(template) == {
        ("resource-format", "s3:GetObject"),
        ("resource-format", "kinesis:PutRecord"),
        ("unknown-action", "s3:GetObjekt"),
        ("unknown-action", "s3:Fetch*"),
    }


def test_correct_grants_pass():
    bucket = {"Fn::GetAtt": ["Bucket", "Arn"]}
    objects = {"Fn::Join": ["", [bucket, "/incoming/*"]]}
    template = _template(
        _allow(["s3:GetObject*", "s3:GetBucket*", "s3:List*"], [bucket, objects]),
        _allow(["kinesis:PutRecord", "kinesis:PutRecords"], {"Fn::GetAtt": ["Stream", "Arn"]}),
        _allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
        _allow(["logs:CreateLogStream", "logs:PutLogEvents"], LOG_GROUP_ARN),
        _allow("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:1:function:f:*"),
        # Unresolvable values match anything: never reported.
        _allow("s3:PutObject", {"Fn::ImportValue": "elsewhere"}),
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    )
    assert _found(template) == set()


def test_wildcard_acknowledged_with_a_reason_per_action():
    statement = _allow(["cloudwatch:PutMetricData", "cloudwatch:PutMetricAlarm"], "*")
    reason = "Metrics go to one namespace, which the statement's condition fixes."
    acknowledged = {
        WILDCARD_METADATA: [{"actions": ["cloudwatch:PutMetricData"], "reason": reason}]
    }
    assert _found(_template(statement, role_metadata=acknowledged)) == {
        ("unexplained-wildcard", "cloudwatch:PutMetricAlarm")
    }


@pytest.mark.parametrize("reason", ["", "because"])
def test_wildcard_acknowledgment_without_a_real_reason_acknowledges_nothing(reason):
    statement = _allow("cloudwatch:PutMetricData", "*")
    acknowledged = {
        WILDCARD_METADATA: [{"actions": ["cloudwatch:PutMetricData"], "reason": reason}]
    }
    assert _found(_template(statement, role_metadata=acknowledged)) == {
        ("unexplained-wildcard", "cloudwatch:PutMetricData")
    }


def test_inline_role_policies_are_checked():
    template = _template()
    template["Resources"]["Role"]["Properties"]["Policies"] = [
        {
            "PolicyName": "p",
            "PolicyDocument": {"Statement": [_allow("logs:CreateLogGroup", LOG_GROUP_ARN)]},
        }
    ]
    assert _found(template) == {("resource-format", "logs:CreateLogGroup")}


def test_acknowledge_wildcard_writes_what_the_check_reads(tmp_path):
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam

    from refarch.constructs.iam_wildcards import acknowledge_wildcard

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Acknowledged")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData", "cloudwatch:PutMetricAlarm"], resources=["*"]
        )
    )
    acknowledge_wildcard(
        role, ["cloudwatch:PutMetricData"], "Metrics go to one namespace the condition fixes."
    )
    with pytest.raises(ValueError, match="real reason"):
        acknowledge_wildcard(role, ["cloudwatch:PutMetricAlarm"], "needed")
    template = app.synth().get_stack_by_name("Acknowledged").template
    assert _found(template) == {("unexplained-wildcard", "cloudwatch:PutMetricAlarm")}
