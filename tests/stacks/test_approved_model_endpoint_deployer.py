"""The approved-model endpoint's deployer role, asserted on the template: what it may do is what
a reconcile of its group and endpoint needs, and nothing of the stack's own alarms.
"""

# The fixtures imported from approved_model_endpoint_support are found by name as parameters.
# ruff: noqa: F811

import json

from approved_model_endpoint_support import (  # noqa: F401 (fixtures, found by name)
    ENDPOINT,
    allow,
    arn,
    custom,
    custom_ids,
    ids,
    normalized,
    stack,
    versions_arn,
)
from template_queries import (
    actions_on,
    as_list,
    getatt,
    statements_of,
)


def test_deployer_may_pass_the_execution_role_to_sagemaker_only(stack, ids):
    statements = statements_of(stack, ids["deployer_role"])
    passes = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert passes == [
        {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": getatt(ids["execution_role"]),
        }
    ]


def test_deployer_reads_only_this_groups_versions_and_creates_models_from_them(stack, ids):
    statements = statements_of(stack, ids["deployer_role"])
    assert actions_on(statements, versions_arn(stack)) == {
        "sagemaker:DescribeModelPackage",
        "sagemaker:CreateModel",
    }
    # List calls have no resource-level permissions in SageMaker (API permissions reference):
    # a grant on the group's versions would never match.
    assert "sagemaker:ListModelPackages" in actions_on(statements, "*")


def test_deployer_may_neither_change_nor_delete_the_stacks_alarms(stack, ids):
    # Its CloudWatch alarm permissions are on "*" for Application Auto Scaling's validation
    # probes, which name no alarm; an explicit deny keeps its own alarms out of reach.
    statements = statements_of(stack, ids["deployer_role"])
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert sorted(as_list(deny["Action"])) == [
        "cloudwatch:DeleteAlarms",
        "cloudwatch:PutMetricAlarm",
    ]
    alarms = {i for i in stack.resources("AWS::CloudWatch::Alarm")}
    denied = {r["Fn::GetAtt"][0] for r in as_list(deny["Resource"])}
    assert {ids["errors_alarm"], ids["latency_alarm"]} <= denied <= alarms
    assert len(denied) == 5


def test_deployer_manages_only_this_endpoint_and_the_models_and_configs_it_names(stack, ids):
    statements = statements_of(stack, ids["deployer_role"])
    assert actions_on(statements, arn("sagemaker", f"model/{ENDPOINT}-v*")) == {
        "sagemaker:CreateModel",
        "sagemaker:DescribeModel",
        "sagemaker:AddTags",
        "sagemaker:ListTags",
    }
    assert actions_on(statements, arn("sagemaker", f"endpoint-config/{ENDPOINT}-v*")) == {
        "sagemaker:CreateEndpointConfig",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:AddTags",
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
    }
    assert actions_on(statements, arn("sagemaker", f"endpoint/{ENDPOINT}")) == {
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeEndpoint",
        "sagemaker:AddTags",
        "sagemaker:ListTags",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
    }
    sagemaker_resources = {
        json.dumps(r)
        for s in statements
        if as_list(s["Action"])[0].startswith("sagemaker:")
        for r in as_list(s["Resource"])
    }
    assert sagemaker_resources == {
        json.dumps(r)
        for r in (
            versions_arn(stack),
            arn("sagemaker", f"model/{ENDPOINT}-v*"),
            arn("sagemaker", f"endpoint-config/{ENDPOINT}-v*"),
            arn("sagemaker", f"endpoint/{ENDPOINT}"),
        )
    }
    every_action = {a for s in statements for a in as_list(s["Action"])}
    assert not any(a.startswith("sagemaker:Delete") for a in every_action)


def test_deployer_permissions_follow_a_given_endpoint_and_group(custom, custom_ids):
    statements = statements_of(custom, custom_ids["deployer_role"])
    assert "sagemaker:DescribeModelPackage" in actions_on(
        statements, arn("sagemaker", "model-package/churn-models/*")
    )
    assert "sagemaker:UpdateEndpoint" in actions_on(statements, arn("sagemaker", "endpoint/churn"))
    assert "sagemaker:CreateModel" in actions_on(statements, arn("sagemaker", "model/churn-v*"))


def test_deployer_may_let_sagemaker_use_the_endpoint_key_for_aws_resources_only(stack, ids):
    statements = statements_of(stack, ids["deployer_role"])
    on_key = [s for s in statements if getatt(ids["key"]) in as_list(s["Resource"])]
    assert normalized(on_key) == normalized(
        [
            allow(
                ["kms:CreateGrant"],
                [getatt(ids["key"])],
                {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            allow(["kms:DescribeKey"], [getatt(ids["key"])]),
        ]
    )


def test_deployer_registers_autoscaling_and_may_create_only_its_service_linked_role(stack, ids):
    statements = statements_of(stack, ids["deployer_role"])
    assert actions_on(statements, arn("application-autoscaling", "scalable-target/*")) == {
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
    }
    (linked_role,) = (
        s for s in statements if "iam:CreateServiceLinkedRole" in as_list(s["Action"])
    )
    assert linked_role == {
        "Action": "iam:CreateServiceLinkedRole",
        "Condition": {
            "StringLike": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
        },
        "Effect": "Allow",
        "Resource": arn(
            "iam",
            "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
            region=False,
        ),
    }


def test_only_actions_without_resource_level_permissions_are_granted_on_every_resource(stack):
    unscoped = sorted(
        (action, json.dumps(statement.get("Condition")))
        for policy in stack.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "*" in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    )
    unconditioned = [
        # X-Ray tracing of the deployer.
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
        # SageMaker List calls have no resource-level permissions (AWS docs).
        "sagemaker:ListModelPackages",
        # Application Auto Scaling: Describe calls, and its validation of the caller's
        # CloudWatch alarm permissions, with requests that name no alarm (AWS docs).
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
        # The execution role's ECR token.
        "ecr:GetAuthorizationToken",
    ]
    instance_metrics = {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}}
    assert unscoped == sorted(
        [
            *((action, json.dumps(None)) for action in unconditioned),
            ("cloudwatch:PutMetricData", json.dumps(instance_metrics)),
        ]
    )
