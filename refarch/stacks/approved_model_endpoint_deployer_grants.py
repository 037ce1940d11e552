"""What approved-model-endpoint's deployer may do: what a reconcile of its group needs.

A deployer of requested versions only (staged-model-promotion's) lists no versions. The stack
calls ``grant_deployer`` for its production deployer; a stack with a second endpoint
(staged-model-promotion's staging) calls it for that one's deployer too.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack, Token
from aws_cdk import aws_iam as iam

from refarch.constructs import acknowledge
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.iam_wildcards import acknowledge_wildcard

#: The service-linked role Application Auto Scaling creates for SageMaker endpoints the first
#: time a variant is registered, and the principal it is linked to (AWS docs).
AUTOSCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
AUTOSCALING_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"


@dataclass(frozen=True)
class DeployerTarget:
    """The deployer's role and what it deploys to."""

    role: iam.IRole
    endpoint_name: str
    """Lowercase: SageMaker ARNs spell names in lowercase."""
    versions_arn: str
    """The model package group's versions (``model-package/<group>/*``)."""
    group_finding_name: str
    """The group's name as cdk-nag prints it inside an ARN."""
    execution_role_arn: str
    key_arn: str
    """The endpoint's storage-volume key."""
    autoscaling: bool = True
    follows_registry: bool = True
    registry_account_finding: str = "<AWS::AccountId>"
    """The registry's account as cdk-nag prints it in the versions' ARN (another account's id
    when the registry is there)."""


def account_finding(stack: Stack) -> str:
    """The stack's account as cdk-nag prints it in an ARN.

    ``<AWS::AccountId>``, or the id of the account the stack's environment names.
    """
    return "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account


def _sagemaker_arn(stack: Stack, resource: str, name: str) -> str:
    return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)


def grant_deployer(stack: Stack, target: DeployerTarget) -> None:
    """What the deployer may do: exactly what a reconcile of this group and endpoint needs.

    A deployer whose endpoint has no autoscaling (``autoscaling=False``) gets none of its
    grants, and one that deploys only requested versions (``follows_registry=False``) lists
    none.

    SageMaker ARNs spell names in lowercase (the endpoint name is kept lowercase for that),
    and the deployer names what it creates ``<endpoint>-v<version>-<suffix>``, so models
    and configs of other endpoints stay out of reach.
    """
    role, endpoint_name = target.role, target.endpoint_name
    autoscaling, follows_registry = target.autoscaling, target.follows_registry

    endpoint = _sagemaker_arn(stack, "endpoint", endpoint_name)
    configs = _sagemaker_arn(stack, "endpoint-config", f"{endpoint_name}-v*")
    models = _sagemaker_arn(stack, "model", f"{endpoint_name}-v*")
    statements = [
        # The registry, read: DescribeModelPackage authorizes on the version (Service
        # Authorization Reference: resource type model-package), so on this group's
        # versions. CreateModel too: a model whose container names the package is
        # authorized on it (AWS's cross-account model group policy grants it there).
        iam.PolicyStatement(
            actions=["sagemaker:DescribeModelPackage", "sagemaker:CreateModel"],
            resources=[target.versions_arn],
        ),
        # Listing a group's versions is authorized on "*": "Except for the ListTags API,
        # resource-level restrictions are not available on List- calls" (https://
        # docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html); the
        # reference's model-package resource type is optional for it. It reveals the
        # versions' metadata in this account, never their artifacts.
        *(
            [iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"])]
            if follows_registry
            else []
        ),
        # Tagging on create (refarch:model-package-arn) needs AddTags on the new resource;
        # the deployer reads that tag back (ListTags) to tell which version is live.
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateModel",
                "sagemaker:DescribeModel",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            resources=[models],
        ),
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateEndpointConfig",
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:AddTags",
            ],
            resources=[configs],
        ),
        # CreateEndpoint and UpdateEndpoint authorize on the endpoint and on the config
        # it is given (Service Authorization Reference).
        iam.PolicyStatement(
            actions=["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
            resources=[endpoint, configs],
        ),
        # The endpoint records the version of the last rollout in a tag (set on create,
        # AddTags on update, read with ListTags): back in service on another version, the
        # rollout was rolled back, and is not retried. UpdateEndpointWeightsAndCapacities:
        # Application Auto Scaling checks that whoever registers a variant could change its
        # capacity (AWS docs: SageMaker auto scaling permissions; permissions validation).
        iam.PolicyStatement(
            actions=[
                "sagemaker:DescribeEndpoint",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
                *(["sagemaker:UpdateEndpointWeightsAndCapacities"] if autoscaling else []),
            ],
            resources=[endpoint],
        ),
        # Pass the execution role to SageMaker (CreateModel), and to nothing else.
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[target.execution_role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        # The storage-volume key: "The KMS key policy must grant permission to the IAM
        # role that you specify in your CreateEndpoint, UpdateEndpoint requests" (AWS API
        # reference, CreateEndpointConfig KmsKeyId): SageMaker creates grants on the
        # caller's behalf, for AWS resources only.
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[target.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
        iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[target.key_arn]),
    ]
    autoscaling_statements = [
        # Autoscaling. Register and PutScalingPolicy authorize on the scalable target,
        # whose ARN ends with an id Application Auto Scaling generates at registration
        # (AWS docs), so the tightest name is any target of this account and region.
        iam.PolicyStatement(
            actions=[
                "application-autoscaling:RegisterScalableTarget",
                "application-autoscaling:PutScalingPolicy",
            ],
            resources=[
                stack.format_arn(
                    service="application-autoscaling",
                    resource="scalable-target",
                    resource_name="*",
                )
            ],
        ),
        # The Describe calls have no resource-level permissions (Service Authorization
        # Reference). Target tracking creates and deletes its CloudWatch alarms through the
        # service-linked role, not the caller; but Application Auto Scaling first validates
        # the caller's CloudWatch permissions by calling "the PutMetricAlarm API without any
        # parameters", "DescribeAlarms ... with the maximum number of records value set to
        # 1" and DeleteAlarms with "no parameters" (https://docs.aws.amazon.com/autoscaling/
        # application/userguide/security_iam_permission_validation.html): requests that
        # name no alarm, which no alarm ARN matches, so "*", as AWS's policy for SageMaker
        # endpoints grants them (https://docs.aws.amazon.com/autoscaling/application/
        # userguide/security_iam_id-based-policy-examples.html). The deployer never calls
        # them itself, and the stack's own alarms are denied to it (_protect_alarms).
        iam.PolicyStatement(
            actions=[
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ],
            resources=["*"],
        ),
        # The first registration in an account creates Application Auto Scaling's role for
        # SageMaker endpoints (AWS docs): that role only.
        iam.PolicyStatement(
            actions=["iam:CreateServiceLinkedRole"],
            resources=[
                stack.format_arn(
                    service="iam",
                    region="",
                    resource="role",
                    resource_name=(f"aws-service-role/{AUTOSCALING_SERVICE}/{AUTOSCALING_ROLE}"),
                )
            ],
            conditions={"StringLike": {"iam:AWSServiceName": AUTOSCALING_SERVICE}},
        ),
    ]
    if autoscaling:
        statements += autoscaling_statements
    for statement in statements:
        role.add_to_principal_policy(statement)
    acknowledge_unexercised(
        role,
        ["sagemaker:AddTags"],
        "On the models and endpoint configs it is the tag-on-create of CreateModel and "
        "CreateEndpointConfig (the statements' comment); the local SageMaker does not "
        "authorize the Tags of a create request, so only the endpoint's AddTags call is made",
    )
    # The two "*" grants above with resource types in the Service Authorization Reference,
    # for refarch check: why AWS gives them no narrower resource.
    if follows_registry:
        acknowledge_wildcard(
            role,
            ["sagemaker:ListModelPackages"],
            "SageMaker List calls other than ListTags have no resource-level restrictions "
            "(https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html).",
        )
    if autoscaling:
        acknowledge_wildcard(
            role,
            [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
            ],
            "Application Auto Scaling validates the caller with alarm calls that name no "
            "alarm (https://docs.aws.amazon.com/autoscaling/application/userguide/"
            "security_iam_permission_validation.html); this stack's own alarms are denied.",
        )
    policy = role.node.find_child("DefaultPolicy")
    account = account_finding(stack)
    acknowledge(
        policy,
        "AwsSolutions-IAM5",
        "Each wildcard is the narrowest SageMaker and Application Auto Scaling allow: this "
        "group's versions (model-package/<group>/*); models and endpoint configs the "
        "deployer names <endpoint>-v<version>-<suffix>; scalable targets, whose ids the "
        "service generates. Resource::* is X-Ray tracing, ListModelPackages (SageMaker "
        "List calls have no resource-level permissions), the Application Auto Scaling "
        "Describe calls and the CloudWatch alarm actions its permission validation makes "
        "without naming an alarm (AWS docs); this stack's own alarms are denied.",
        findings=[
            f"Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:"
            f"{target.registry_account_finding}:model-package/{target.group_finding_name}/*",
            f"Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:{account}:"
            f"model/{endpoint_name}-v*",
            f"Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:{account}:"
            f"endpoint-config/{endpoint_name}-v*",
            *(
                [
                    "Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:"
                    f"{account}:scalable-target/*"
                ]
                if autoscaling
                else []
            ),
            "Resource::*",
        ],
    )
