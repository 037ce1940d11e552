"""A staging or production account's part of the cross-account staged promotion.

``ApprovedModelEndpointStack`` with what the orchestration account owns left out and read
from there: the model package group (its versions are described and deployed from this account
under the group's resource policy), the artifacts bucket and the image repository (read by this
account's execution role under their bucket and repository policies). What stays here is what
runs here: the endpoint's key, capture bucket, log group, execution role, rollback alarms and
alarm topic, the deployer (deploying only what the state machine requests), on staging the
test gate, and the role the orchestration account's state machine assumes for its tasks here.

AWS's layout for deploying registry versions across accounts: the registry account shares the
group by resource policy, each deploying account creates the model from the shared version
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram.html;
https://aws.amazon.com/blogs/machine-learning/build-a-cross-account-mlops-workflow-using-the-amazon-sagemaker-model-registry/).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

from aws_cdk import Aws, CfnOutput, Environment
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs import AccessLogBucket, ObservedFunction
from refarch.stacks.approved_model_endpoint import ARTIFACTS_PREFIX, ApprovedModelEndpointStack
from refarch.stacks.approved_model_endpoint_props import ApprovedModelEndpointProps
from refarch.stacks.staged_model_promotion import NOT_FOR_STAGING
from refarch.stacks.staged_model_promotion_accounts import PromotionNames
from refarch.stacks.staged_model_promotion_gate import build_gate
from refarch.stacks.staged_model_promotion_props import StagedModelPromotionProps


@dataclass(frozen=True)
class ImportedBucket:
    """Another account's bucket, shaped as this stack's ``SecureBucket`` (``.bucket``)."""

    bucket: s3.IBucket


@dataclass(frozen=True)
class SharedModelPackageGroup:
    """The orchestration account's model package group, as the deployer names it."""

    group_name: str
    group_arn: str
    versions_arn: str


@dataclass(frozen=True)
class PromotionTargetProps:
    """Which stage this stack is, and what it deploys."""

    stage: str
    """``staging`` or ``production``."""
    names: PromotionNames
    staged: StagedModelPromotionProps
    endpoint_name: str


class PromotionTargetStack(ApprovedModelEndpointStack):
    """The staging or production endpoint of a cross-account promotion, in its own account."""

    def __init__(
        self, scope: Construct, construct_id: str, *, target: PromotionTargetProps, **kwargs
    ) -> None:
        # Read by the hooks ApprovedModelEndpointStack calls while it builds.
        self.target = target
        self.names = target.names
        self._registry_account_finding = target.names.accounts.orchestration
        production = dataclasses.replace(
            target.staged.production,
            endpoint_name=target.endpoint_name,
            model_package_group_name=target.names.group_name,
            image_repository_name=target.names.image_repository,
        )
        if self.staging:
            # One instance, replaced at once: no traffic is at stake on staging.
            production = dataclasses.replace(
                production,
                instance_type=target.staged.staging_instance_type,
                initial_instance_count=1,
                rollout="all-at-once",
            )
        account = target.names.accounts.of(target.stage)
        super().__init__(
            scope, construct_id, props=production, env=Environment(account=account), **kwargs
        )
        stage = target.stage
        _name_role(self.execution_role, target.names.execution_role(stage))
        _name_function(self.deployer, target.names.deployer_function(stage))
        _name_role(self.deployer.role, target.names.deployer_role(stage))
        invoked = [self.deployer.function]
        if self.staging:
            self.gate = self._gate(target)
            invoked.append(self.gate.function)
        self.task_role = self._task_role(invoked)
        CfnOutput(self, "TaskRoleArn", value=self.task_role.role_arn)

    @property
    def staging(self) -> bool:
        """True for the staging account's stack."""
        return self.target.stage == "staging"

    # -- what the orchestration account owns ----------------------------------------------------

    def _artifacts_bucket(self, access_logs: AccessLogBucket) -> ImportedBucket:
        """The orchestration account's artifacts bucket: its policy lets the execution role in."""
        return ImportedBucket(
            s3.Bucket.from_bucket_name(self, "Artifacts", self.names.artifacts_bucket)
        )

    def _artifacts_finding(self) -> str:
        return (
            f"Resource::arn:<AWS::Partition>:s3:::{self.names.artifacts_bucket}/{ARTIFACTS_PREFIX}*"
        )

    def _image_repository(self, props: ApprovedModelEndpointProps) -> ecr.IRepository:
        """The orchestration account's repository: its policy lets the execution role pull."""
        name = self.names.image_repository
        return ecr.Repository.from_repository_attributes(
            self,
            "ImageRepository",
            repository_name=name,
            repository_arn=(
                f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:"
                f"{self.names.accounts.orchestration}:repository/{name}"
            ),
        )

    def _model_registry(self, props: ApprovedModelEndpointProps) -> SharedModelPackageGroup:
        """The orchestration account's group: its resource policy lets the deployer in."""
        group = self.names.group_name

        def arn(resource: str, name: str) -> str:
            return self.format_arn(
                service="sagemaker",
                account=self.names.accounts.orchestration,
                resource=resource,
                resource_name=name,
            )

        return SharedModelPackageGroup(
            group_name=group,
            group_arn=arn("model-package-group", group),
            versions_arn=arn("model-package", f"{group}/*"),
        )

    # -- what differs from approved-model-endpoint ---------------------------------------------

    def _approval_rule(self) -> events.Rule | None:
        """None: registry events happen in the orchestration account.

        Its rule starts the state machine; this account's deployer deploys only what it requests.
        """
        return None

    def _route_events(self) -> None:
        """A return to service reaches the deployer (it registers autoscaling then)."""
        self.in_service_rule.add_target(self._deployer_target())

    def _deployer_environment(self, props: ApprovedModelEndpointProps) -> dict[str, str]:
        environment = {**super()._deployer_environment(props), "DEPLOY_TARGET": "requested"}
        if self.staging:
            environment = {k: v for k, v in environment.items() if k not in NOT_FOR_STAGING}
            environment.update(ROLLOUT="all-at-once", TRAFFIC_STEP_PERCENT="100")
        return environment

    def _grant_deployer(
        self,
        role: iam.IRole | None = None,
        endpoint_name: str | None = None,
        *,
        autoscaling: bool = True,
        follows_registry: bool = False,
    ) -> None:
        """A deployer of requested versions lists none; staging's scales nothing."""
        super()._grant_deployer(
            role,
            endpoint_name,
            autoscaling=autoscaling and not self.staging,
            follows_registry=False,
        )

    def _outputs(self) -> None:
        CfnOutput(self, "EndpointName", value=self.endpoint_name)
        CfnOutput(self, "ExecutionRoleArn", value=self.execution_role.role_arn)
        CfnOutput(self, "DeployerFunctionName", value=self.deployer.function.function_name)
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn)

    # -- what only this layout has -------------------------------------------------------------

    def _gate(self, target: PromotionTargetProps) -> ObservedFunction:
        """The test gate, next to the staging endpoint it invokes.

        Its data stays in the orchestration account's gate bucket, whose policy lets it in.
        """
        bucket = s3.Bucket.from_bucket_name(self, "GateData", self.names.gate_bucket)
        gate = build_gate(
            self,
            alarms=self.alarms,
            bucket=bucket,
            bucket_finding=f"arn:<AWS::Partition>:s3:::{self.names.gate_bucket}",
            staged=target.staged,
            endpoint_arn=self._sagemaker_arn("endpoint", self.endpoint_name),
        )
        _name_function(gate, self.names.gate_function)
        _name_role(gate.role, self.names.gate_role)
        return gate

    def _task_role(self, invoked: list[lambda_.IFunction]) -> iam.Role:
        """The role the state machine assumes here: invoke, describe, tag; nothing else.

        Trusted by the orchestration account only for the state machine's own role
        (``aws:PrincipalArn``), not for every identity of that account; a condition rather
        than the role's ARN as principal, so the trust holds whatever the deployment order
        and survives the role's re-creation
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
        Step Functions assumes it for the tasks whose ``Credentials`` name it
        (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html).
        """
        orchestration = self.names.accounts.orchestration
        state_machine_role = self.names.role_arn(
            orchestration, self.names.state_machine_role, Aws.PARTITION
        )
        role = iam.Role(
            self,
            "TaskRole",
            role_name=self.names.task_role(self.target.stage),
            assumed_by=iam.AccountPrincipal(orchestration).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": state_machine_role}}
            ),
            description=(
                f"Assumed by the promotion state machine of account {orchestration} for its "
                f"{self.target.stage} tasks"
            ),
        )
        # LambdaInvoke calls Invoke on the unqualified ARN it names.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in invoked],
            )
        )
        endpoint = self._sagemaker_arn("endpoint", self.endpoint_name)
        actions = ["sagemaker:DescribeEndpoint"]
        if not self.staging:
            # RecordPromotion tags the production endpoint with the version and approver.
            actions.append("sagemaker:AddTags")
        role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[endpoint]))
        return role


def _name_role(role: iam.IRole, name: str) -> None:
    """Give a role a physical name another account's policies can spell out."""
    cast(iam.CfnRole, role.node.default_child).role_name = name


def _name_function(function: ObservedFunction, name: str) -> None:
    """Give a function a physical name the orchestration account's state machine can invoke."""
    cast(lambda_.CfnFunction, function.function.node.default_child).function_name = name
