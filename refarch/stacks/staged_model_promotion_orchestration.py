"""The orchestration account's part of the cross-account staged promotion.

What the registry account owns in AWS's cross-account MLOps layout: the model package group,
the model artifacts and inference images, the labelled test set with the gate's reports, the
approval topic and the promotion state machine. The endpoints live in the staging and
production accounts (``staged_model_promotion_target``); this stack lets exactly their roles in:

- the group's resource policy: each account's deployer role may describe the versions and
  create a model from them
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-ram.html);
- the artifacts bucket's and the image repository's policies: each endpoint's execution role
  may read ``models/*`` and pull the images (a cross-account request needs the resource
  policy and the caller's own policy to allow it:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
- the gate bucket's policy: the staging gate reads the test set and writes its reports.

Every grant names the other account as principal and its role by ``aws:PrincipalArn``: a
resource policy naming a role that does not exist yet is refused, and the target stacks are
deployed after this one. The artifacts and gate buckets are SSE-S3 (``SecureBucket``), so no
KMS key policy has to admit the other accounts; the keys of the endpoints are in their own
accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, CfnOutput, Environment, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from refarch.constructs import (
    AccessLogBucket,
    AlarmTopic,
    AlarmTopicProps,
    ModelPackageGroup,
    ModelPackageGroupProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    stateful_removal,
    undelivered_events_queue,
)
from refarch.constructs.iam_wildcards import acknowledge_wildcard
from refarch.stacks.approved_model_endpoint import (
    ARTIFACTS_PREFIX,
    RULE_MAX_EVENT_AGE,
    RULE_RETRY_ATTEMPTS,
)
from refarch.stacks.staged_model_promotion import (
    LOG_DELIVERY_ACTIONS,
    XRAY_ACTIONS,
    promotion_state_machine,
)
from refarch.stacks.staged_model_promotion_accounts import STAGES, PromotionNames
from refarch.stacks.staged_model_promotion_gate import REPORTS_PREFIX
from refarch.stacks.staged_model_promotion_props import StagedModelPromotionProps
from refarch.stacks.staged_model_promotion_workflow import (
    PROMOTIONS_PREFIX,
    PromotionWorkflow,
    PromotionWorkflowProps,
    approvals_topic,
    grant_topic_keys,
)

#: What a SageMaker execution role needs of an image repository to pull (AWS's CreateModel
#: execution-role policy lists these three on the repository).
_PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
]


@dataclass(frozen=True)
class PromotionOrchestrationProps:
    """The staged-promotion settings and the names the accounts share."""

    staged: StagedModelPromotionProps
    names: PromotionNames
    staging_endpoint_name: str
    production_endpoint_name: str


class PromotionOrchestrationStack(Stack):
    """Registry, artifacts, test data and the promotion state machine; endpoints elsewhere."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: PromotionOrchestrationProps,
        **kwargs,
    ) -> None:
        names = props.names
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=names.accounts.orchestration),
            **kwargs,
        )
        self.names = names
        self.orchestration_props = props
        staged = props.staged
        self.alarms = AlarmTopic(
            self, "Alarms", props=AlarmTopicProps(email=staged.production.alarm_email)
        )
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.artifacts = SecureBucket(
            self,
            "Artifacts",
            access_logs=access_logs,
            props=SecureBucketProps(
                access_logs_prefix="artifacts/", bucket_name=names.artifacts_bucket
            ),
        )
        self.gate_data = SecureBucket(
            self,
            "GateData",
            access_logs=access_logs,
            props=SecureBucketProps(access_logs_prefix="gate/", bucket_name=names.gate_bucket),
        )
        self.repository = self._image_repository()
        self.registry = ModelPackageGroup(
            self,
            "ModelRegistry",
            props=ModelPackageGroupProps(
                name=names.group_name,
                description=f"Versions of the model served by {props.production_endpoint_name}",
                policy=self._registry_policy(),
            ),
        )
        self._share_artifacts()
        self._share_gate_data(staged)
        self.approvals = approvals_topic(self, staged.approver_email)
        self.undelivered = undelivered_events_queue(
            self, "UndeliveredEvents", used_by="the approval rule's target"
        )
        self.alarms.alarm_on_any(
            self,
            "UndeliveredEventsAlarm",
            self.undelivered.metric_approximate_number_of_messages_visible(statistic="Maximum"),
            "An approval could not start a promotion: read it from the dead-letter queue, then "
            "re-drive it",
        )
        self.state_machine = self._state_machine(props)
        events.Rule(
            self,
            "VersionApproved",
            description="A version of the model group was approved: test it, then ask",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Package State Change"],
                detail={
                    "ModelPackageGroupName": [names.group_name],
                    "ModelApprovalStatus": ["Approved"],
                },
            ),
        ).add_target(
            targets.SfnStateMachine(
                self.state_machine,
                dead_letter_queue=self.undelivered,
                retry_attempts=RULE_RETRY_ATTEMPTS,
                max_event_age=RULE_MAX_EVENT_AGE,
            )
        )
        self._outputs(staged)

    # -- who of the other accounts may use what -------------------------------------------------

    def _from_roles(self, roles: dict[str, list[str]]) -> dict[str, object]:
        """Principal and condition admitting these roles (``{account: [role names]}``) only."""
        arns = [
            self.names.role_arn(account, name, Aws.PARTITION)
            for account, role_names in roles.items()
            for name in role_names
        ]
        return {
            "principals": [iam.AccountPrincipal(account) for account in roles],
            "conditions": {"ArnEquals": {"aws:PrincipalArn": arns}},
        }

    def _per_stage(self, role_name: Callable[[str], str]) -> dict[str, list[str]]:
        """``{account: [its role]}`` for each stage, ``role_name(stage)`` naming the role."""
        accounts = self.names.accounts
        return {accounts.of(stage): [role_name(stage)] for stage in STAGES}

    def _registry_policy(self) -> iam.PolicyDocument:
        """The deployers may read the group's versions and create models from them.

        DescribeModelPackage to check the requested version is still approved; CreateModel
        because a model whose container names a model package is authorized on that package
        too (the deployer's own policy grants both on the versions).
        """
        versions = self.format_arn(
            service="sagemaker",
            resource="model-package",
            resource_name=f"{self.names.group_name}/*",
        )
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="DeployersReadAndDeployVersions",
                    actions=["sagemaker:DescribeModelPackage", "sagemaker:CreateModel"],
                    resources=[versions],
                    **self._from_roles(self._per_stage(self.names.deployer_role)),
                )
            ]
        )

    def _share_artifacts(self) -> None:
        """Each endpoint's execution role reads the model archives (not the bucket's list)."""
        self.artifacts.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndpointsReadModelArchives",
                actions=["s3:GetObject"],
                resources=[self.artifacts.bucket.arn_for_objects(f"{ARTIFACTS_PREFIX}*")],
                **self._from_roles(self._per_stage(self.names.execution_role)),
            )
        )

    def _share_gate_data(self, staged: StagedModelPromotionProps) -> None:
        """The staging gate reads the test set and writes reports; nothing else of the bucket."""
        gate = self._from_roles({self.names.accounts.staging: [self.names.gate_role]})
        bucket = self.gate_data.bucket
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="GateReadsTestSet",
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(staged.test_set_key)],
                **gate,
            )
        )
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="GateWritesReports",
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects(f"{REPORTS_PREFIX}*")],
                **gate,
            )
        )

    def _image_repository(self) -> ecr.Repository:
        """The inference images; each endpoint's execution role may pull, nothing more."""
        removal = stateful_removal(self)
        repository = ecr.Repository(
            self,
            "ImageRepository",
            repository_name=self.names.image_repository,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            removal_policy=removal.policy,
            empty_on_delete=removal.auto_delete_objects,
        )
        # A repository policy statement has no Resource: it is the repository's
        # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html).
        repository.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EndpointsPullImages",
                actions=_PULL_ACTIONS,
                **self._from_roles(self._per_stage(self.names.execution_role)),
            )
        )
        return repository

    # -- the state machine ----------------------------------------------------------------------

    def _task_credentials(self, stage: str) -> sfn.Credentials:
        role = iam.Role.from_role_arn(
            self,
            f"{stage.title()}TaskRole",
            self.names.role_arn(
                self.names.accounts.of(stage), self.names.task_role(stage), Aws.PARTITION
            ),
            mutable=False,
        )
        return sfn.Credentials(role=sfn.TaskRole.from_role(role))

    def _remote_function(self, construct_id: str, stage: str, name: str) -> lambda_.IFunction:
        arn = self.format_arn(
            service="lambda",
            account=self.names.accounts.of(stage),
            resource="function",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return lambda_.Function.from_function_attributes(
            self, construct_id, function_arn=arn, same_environment=False, skip_permissions=True
        )

    def _endpoint_arn(self, stage: str, name: str) -> str:
        return self.format_arn(
            service="sagemaker",
            account=self.names.accounts.of(stage),
            resource="endpoint",
            resource_name=name,
        )

    def _states_arn(self, resource: str, suffix: str = "") -> str:
        return self.format_arn(
            service="states",
            resource=resource,
            resource_name=self.state_machine_name + suffix,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    @property
    def state_machine_name(self) -> str:
        """Named, so its own role can name it (as in the single-account stack)."""
        return f"{self.stack_name[:70]}-promotion"

    def _state_machine(self, props: PromotionOrchestrationProps) -> sfn.StateMachine:
        staged, names = props.staged, self.names
        role = iam.Role(
            self,
            "PromotionRole",
            role_name=names.state_machine_role,
            # Only Step Functions acting for this account (confused deputy prevention:
            # https://docs.aws.amazon.com/step-functions/latest/dg/cross-service-confused-deputy-prevention.html).
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="The promotion state machine's role; the target accounts trust it",
        )
        workflow = PromotionWorkflow(
            self,
            "Workflow",
            props=PromotionWorkflowProps(
                group_name=names.group_name,
                staging_endpoint_name=props.staging_endpoint_name,
                staging_endpoint_arn=self._endpoint_arn("staging", props.staging_endpoint_name),
                production_endpoint_name=props.production_endpoint_name,
                production_endpoint_arn=self._endpoint_arn(
                    "production", props.production_endpoint_name
                ),
                staging_deployer=self._remote_function(
                    "StagingDeployer", "staging", names.deployer_function("staging")
                ),
                production_deployer=self._remote_function(
                    "ProductionDeployer", "production", names.deployer_function("production")
                ),
                gate=self._remote_function("Gate", "staging", names.gate_function),
                approvals=self.approvals,
                failures=self.alarms.topic,
                reports=self.gate_data.bucket,
                approval_timeout=staged.approval_timeout,
                poll_interval=staged.endpoint_poll_interval,
                max_polls=staged.max_endpoint_polls,
                state_machine_arn=self._states_arn("stateMachine"),
                executions_arn=self._states_arn("execution", ":*"),
                staging_credentials=self._task_credentials("staging"),
                production_credentials=self._task_credentials("production"),
            ),
        )
        machine = promotion_state_machine(
            self,
            staged,
            name=self.state_machine_name,
            definition=workflow.definition,
            comment="Staging, test gate, manual promotion, production (in their own accounts)",
            # The tasks' own grants would give this role what their task roles do in the other
            # accounts (to no effect there): the role gets exactly what runs under it instead.
            role=role.without_policy_updates(),
        )
        self._grant_state_machine(role)
        # CreateStateMachine checks that the role may deliver the logs: its policy first (the
        # dependency aws-cdk-lib adds for a role it may update).
        machine.node.add_dependency(role.node.find_child("DefaultPolicy"))
        self.workflow = workflow
        return machine

    def _grant_state_machine(self, role: iam.Role) -> None:
        """What runs under the state machine's own role, as the single-account stack grants it.

        The staging and production tasks run with the task roles (``Credentials``); the rest
        (superseding older executions, asking and notifying, the latest-approved check and the
        promotion record) here; log delivery and X-Ray as aws-cdk-lib grants them to a state
        machine with logging and tracing on
        (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy).
        """
        names = self.names
        statements = [
            iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[
                    names.role_arn(names.accounts.of(stage), names.task_role(stage), Aws.PARTITION)
                    for stage in STAGES
                ],
            ),
            iam.PolicyStatement(
                actions=["states:ListExecutions"], resources=[self._states_arn("stateMachine")]
            ),
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[self._states_arn("execution", ":*")],
            ),
            # SageMaker List calls have no resource-level permissions:
            # https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html
            iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=["*"]),
            iam.PolicyStatement(
                actions=["sns:Publish"],
                resources=[self.approvals.topic_arn, self.alarms.topic.topic_arn],
            ),
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[self.gate_data.bucket.arn_for_objects(f"{PROMOTIONS_PREFIX}*")],
            ),
            iam.PolicyStatement(actions=[*LOG_DELIVERY_ACTIONS], resources=["*"]),
            iam.PolicyStatement(actions=[*XRAY_ACTIONS], resources=["*"]),
        ]
        for statement in statements:
            role.add_to_principal_policy(statement)
        grant_topic_keys(role, self.approvals, self.alarms.topic)
        acknowledge_wildcard(
            role,
            ["sagemaker:ListModelPackages"],
            "SageMaker List calls other than ListTags have no resource-level restrictions "
            "(https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html).",
        )
        acknowledge(
            role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5",
            "Resource::* is what Step Functions' log delivery and X-Ray need (no resource-level "
            "permissions) and ListModelPackages (SageMaker List calls have none); promotions/* "
            "is the prefix of the promotion records; kms:GenerateDataKey* is the SNS "
            "publisher's key use on the two topics' keys; execution:<this machine>:* are this "
            "state machine's own executions (DescribeExecution and StopExecution authorize on "
            "the execution, whose name is generated per run).",
            findings=[
                "Resource::*",
                "Action::kms:GenerateDataKey*",
                f"Resource::<{self.get_logical_id(self.gate_data.bucket.node.default_child)}"
                f".Arn>/{PROMOTIONS_PREFIX}*",
                f"Resource::arn:<AWS::Partition>:states:<AWS::Region>:{names.accounts.orchestration}"
                f":execution:{self.state_machine_name}:*",
            ],
        )

    def _outputs(self, staged: StagedModelPromotionProps) -> None:
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "ModelPackageGroupName", value=self.names.group_name)
        CfnOutput(
            self,
            "ArtifactsLocation",
            value=self.artifacts.bucket.s3_url_for_object(ARTIFACTS_PREFIX),
        )
        CfnOutput(self, "ImageRepositoryUri", value=self.repository.repository_uri)
        CfnOutput(
            self,
            "TestSetLocation",
            value=self.gate_data.bucket.s3_url_for_object(staged.test_set_key),
        )
        CfnOutput(self, "ApprovalTopicArn", value=self.approvals.topic_arn)
