"""Staged model promotion: an approved version is tested on staging, promoted by a person.

``approved-model-endpoint`` deploys every approved version straight to production (blue/green,
auto-rollback). This stack puts a gate in front of that: the approval starts a Step Functions
execution (``staged_model_promotion_workflow``) that deploys the version to a staging endpoint,
tests it there with a labelled test set (the gate Lambda, ``lambda/model_gate``), asks a person
to promote it (SNS, a task token, ``refarch promote``/``refarch reject``), and only then has the
production deployer roll it out with the same canary and rollback alarms.

It is ``ApprovedModelEndpointStack`` (the production endpoint: its key, buckets, image
repository, registry, execution role, rollback alarms and deployer) with three changes: the
production deployer deploys only what the state machine requests (``DEPLOY_TARGET=requested``),
the approval rule starts the state machine instead of the deployer, and a staging endpoint with
its own deployer (same code, all-at-once, one instance) is added.
"""

from aws_cdk import ArnFormat, CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from refarch.constructs import (
    AccessLogBucket,
    ObservedFunction,
    ObservedFunctionProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    stateful_removal,
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.iam_wildcards import acknowledge_wildcard
from refarch.stacks.approved_model_endpoint import (
    DEPLOYER_ASSET,
    RULE_MAX_EVENT_AGE,
    RULE_RETRY_ATTEMPTS,
    ApprovedModelEndpointStack,
)
from refarch.stacks.approved_model_endpoint_props import (
    MAX_ENDPOINT_NAME_LENGTH,
    ApprovedModelEndpointProps,
)
from refarch.stacks.staged_model_promotion_gate import REPORTS_PREFIX, build_gate
from refarch.stacks.staged_model_promotion_props import StagedModelPromotionProps
from refarch.stacks.staged_model_promotion_workflow import (
    PROMOTIONS_PREFIX,
    PromotionWorkflow,
    PromotionWorkflowProps,
    approvals_topic,
    grant_topic_keys,
)

#: What aws-cdk-lib grants a state machine with logging and tracing on (StateMachine's role).
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
XRAY_ACTIONS = (
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)
TEST_SETS_PREFIX = "test-sets/"
STAGING_SUFFIX = "-staging"
#: Settings of the production deployer a staging deployer does not use: no rollback alarms
#: (all-at-once), no autoscaling (one instance), no serverless variant.
NOT_FOR_STAGING = (
    "ROLLBACK_ALARM_NAMES",
    "AUTOSCALING_MIN_CAPACITY",
    "AUTOSCALING_MAX_CAPACITY",
    "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE",
    "SERVERLESS_MEMORY_MB",
    "SERVERLESS_MAX_CONCURRENCY",
)


def promotion_state_machine(
    scope: Stack,
    staged: StagedModelPromotionProps,
    *,
    name: str,
    definition: sfn.IChainable,
    comment: str,
    role: iam.IRole | None = None,
) -> sfn.StateMachine:
    """The promotion's state machine: Standard, every event logged to its own group, traced."""
    log_group = logs.LogGroup(
        scope,
        "PromotionLogs",
        retention=staged.production.log_retention,
        removal_policy=stateful_removal(scope).policy,
    )
    return sfn.StateMachine(
        scope,
        "Promotion",
        state_machine_name=name,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        comment=comment,
        # Standard: a promotion waits up to days for a person; Express runs 5 minutes at
        # most (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html).
        state_machine_type=sfn.StateMachineType.STANDARD,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
        tracing_enabled=True,
        role=role,
    )


class StagedModelPromotionStack(ApprovedModelEndpointStack):
    """Approved version → staging → test gate → a person's promotion → production.

    Props come from ``props`` or, when the app builds the stack, from the context switches of
    both patterns (``-c max_p99_latency_ms=150 -c approval_timeout_hours=24 -c rollout=...``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: StagedModelPromotionProps | None = None,
        **kwargs,
    ) -> None:
        staged = props or StagedModelPromotionProps.from_context(scope)
        super().__init__(scope, construct_id, props=staged.production, **kwargs)
        self.staged_props = staged
        self.staging_endpoint_name = staged.staging_endpoint_name or (
            self.endpoint_name[: MAX_ENDPOINT_NAME_LENGTH - len(STAGING_SUFFIX)] + STAGING_SUFFIX
        )
        self.staging_logs = self._endpoint_log_group(
            staged.production, "StagingEndpointLogs", self.staging_endpoint_name
        )
        self._grant_endpoint_logs(self.execution_role, self.staging_endpoint_name)
        acknowledge(
            self.execution_role,
            "AwsSolutions-IAM5",
            "The log streams of the staging endpoint's own log group, which SageMaker names per "
            "instance (as for the production endpoint's).",
            findings=[
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
                f"{self._log_group_name(self.staging_endpoint_name)}:log-stream:*"
            ],
        )
        self.staging_deployer = ObservedFunction(
            self,
            "StagingDeployer",
            alarms=self.alarms,
            props=ObservedFunctionProps(
                asset=DEPLOYER_ASSET,
                description="Deploys the version under test to the staging endpoint",
                memory_size=256,
                timeout=Duration.minutes(1),
                environment=self._staging_environment(staged),
                # Invoked by the state machine only, synchronously: its errors go to the
                # execution's Catch, so no DLQ.
                invoked_asynchronously=False,
            ),
        )
        self._grant_deployer(
            self.staging_deployer.role, self.staging_endpoint_name, autoscaling=False
        )
        acknowledge_unexercised(
            self.deployer.role,
            ["sqs:SendMessage", "logs:CreateLogGroup"],
            "The DLQ of the production deployer's asynchronous invocations (the in-service "
            "rule's), which no scenario step fails; Lambda Insights creates /aws/lambda-insights "
            "only when it is missing, and the staging deployer, invoked first, creates it",
        )
        self.gate_data = SecureBucket(
            self,
            "GateData",
            access_logs=AccessLogBucket(self, "GateAccessLogs"),
            props=SecureBucketProps(access_logs_prefix="gate/"),
        )
        self.gate = self._gate(staged)
        self.approvals = self._approvals_topic(staged)
        self.workflow = PromotionWorkflow(
            self,
            "Workflow",
            props=PromotionWorkflowProps(
                group_name=self.registry.group_name,
                staging_endpoint_name=self.staging_endpoint_name,
                staging_endpoint_arn=self._sagemaker_arn("endpoint", self.staging_endpoint_name),
                production_endpoint_name=self.endpoint_name,
                production_endpoint_arn=self._sagemaker_arn("endpoint", self.endpoint_name),
                staging_deployer=self.staging_deployer.function,
                production_deployer=self.deployer.function,
                gate=self.gate.function,
                approvals=self.approvals,
                failures=self.alarms.topic,
                reports=self.gate_data.bucket,
                approval_timeout=staged.approval_timeout,
                poll_interval=staged.endpoint_poll_interval,
                max_polls=staged.max_endpoint_polls,
                state_machine_arn=self._states_arn("stateMachine"),
                executions_arn=self._states_arn("execution", ":*"),
            ),
        )
        self.state_machine = self._state_machine(staged)
        self.approval_rule.add_target(
            targets.SfnStateMachine(
                self.state_machine,
                dead_letter_queue=self.undelivered,
                retry_attempts=RULE_RETRY_ATTEMPTS,
                max_event_age=RULE_MAX_EVENT_AGE,
            )
        )
        self._staged_outputs()

    # -- what differs from approved-model-endpoint --------------------------------------------

    def _route_events(self) -> None:
        """Only returns to service reach the production deployer; approvals start promotions."""
        self.in_service_rule.add_target(self._deployer_target())

    def _approval_rule(self) -> events.Rule:
        """Approvals of this group's versions → a promotion (rejections promote nothing)."""
        return events.Rule(
            self,
            "VersionApproved",
            description="A version of the model group was approved: test it, then ask",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Package State Change"],
                detail={
                    "ModelPackageGroupName": [self.registry.group_name],
                    "ModelApprovalStatus": ["Approved"],
                },
            ),
        )

    def _grant_deployer(
        self,
        role: iam.IRole | None = None,
        endpoint_name: str | None = None,
        *,
        autoscaling: bool = True,
        follows_registry: bool = False,
    ) -> None:
        """Both deployers deploy only requested versions: neither lists the registry."""
        super()._grant_deployer(
            role, endpoint_name, autoscaling=autoscaling, follows_registry=follows_registry
        )

    def _deployer_environment(self, props: ApprovedModelEndpointProps) -> dict[str, str]:
        """The production deployer deploys what the state machine requests, nothing else."""
        return {**super()._deployer_environment(props), "DEPLOY_TARGET": "requested"}

    def _staging_environment(self, staged: StagedModelPromotionProps) -> dict[str, str]:
        environment = {
            key: value
            for key, value in self._deployer_environment(staged.production).items()
            if key not in NOT_FOR_STAGING
        }
        environment.update(
            ENDPOINT_NAME=self.staging_endpoint_name,
            INSTANCE_TYPE=staged.staging_instance_type,
            INITIAL_INSTANCE_COUNT="1",
            # No traffic is at stake on staging: replace the fleet at once.
            ROLLOUT="all-at-once",
            TRAFFIC_STEP_PERCENT="100",
        )
        return environment

    # -- the gate, the approval topic, the state machine ---------------------------------------

    def _gate(self, staged: StagedModelPromotionProps) -> ObservedFunction:
        return build_gate(
            self,
            alarms=self.alarms,
            bucket=self.gate_data.bucket,
            bucket_finding=f"<{self._logical_id(self.gate_data.bucket)}.Arn>",
            staged=staged,
            endpoint_arn=self._sagemaker_arn("endpoint", self.staging_endpoint_name),
        )

    def _approvals_topic(self, staged: StagedModelPromotionProps) -> sns.Topic:
        return approvals_topic(self, staged.approver_email)

    def _state_machine(self, staged: StagedModelPromotionProps) -> sfn.StateMachine:
        machine = promotion_state_machine(
            self,
            staged,
            name=self.state_machine_name,
            definition=self.workflow.definition,
            comment="Staging, test gate, manual promotion, production",
        )
        grant_topic_keys(machine.role, self.approvals, self.alarms.topic)
        acknowledge_wildcard(
            machine.role,
            ["sagemaker:ListModelPackages"],
            "SageMaker List calls other than ListTags have no resource-level restrictions "
            "(https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html).",
        )
        acknowledge_unexercised(
            machine.role,
            [*LOG_DELIVERY_ACTIONS, *XRAY_ACTIONS],
            "Log delivery and X-Ray: Step Functions uses them to deliver the execution's logs "
            "and traces (https://docs.aws.amazon.com/step-functions/latest/dg/"
            "cw-logs.html#cloudwatch-iam-policy); the local run emulates neither",
        )
        acknowledge(
            machine.role.node.find_child("DefaultPolicy"),
            "AwsSolutions-IAM5",
            "Resource::* is what Step Functions' log delivery and X-Ray need (no resource-level "
            "permissions) and ListModelPackages (SageMaker List calls have none); the Lambda "
            "wildcards are the versions of the three functions the state machine invokes; "
            "promotions/* is the prefix of the promotion records; kms:GenerateDataKey* is the "
            "SNS publisher's key use on the two topics' keys; execution:<this machine>:* are "
            "this state machine's own executions (DescribeExecution and StopExecution "
            "authorize on the execution, whose name is generated per run), to stop an older "
            "version's promotion.",
            findings=[
                "Resource::*",
                "Action::kms:GenerateDataKey*",
                f"Resource::<{self._logical_id(self.gate_data.bucket)}.Arn>/{PROMOTIONS_PREFIX}*",
                "Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                f"execution:{self.state_machine_name}:*",
                *(
                    f"Resource::<{self._logical_id(function.function)}.Arn>:*"
                    for function in (self.deployer, self.staging_deployer, self.gate)
                ),
            ],
        )
        return machine

    @property
    def state_machine_name(self) -> str:
        """Named, so its own role can name it (a reference from its own policy is a cycle).

        Unique per stack and region; at most 80 characters
        (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html).
        """
        return f"{self.stack_name[:70]}-promotion"

    def _states_arn(self, resource: str, suffix: str = "") -> str:
        return self.format_arn(
            service="states",
            resource=resource,
            resource_name=self.state_machine_name + suffix,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _staged_outputs(self) -> None:
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "StagingEndpointName", value=self.staging_endpoint_name)
        CfnOutput(
            self,
            "TestSetLocation",
            value=self.gate_data.bucket.s3_url_for_object(self.staged_props.test_set_key),
            description="Upload the labelled test set (label,features... rows) here",
        )
        CfnOutput(
            self,
            "ReportsLocation",
            value=self.gate_data.bucket.s3_url_for_object(REPORTS_PREFIX),
        )
        CfnOutput(
            self,
            "PromotionRecords",
            value=self.gate_data.bucket.s3_url_for_object(PROMOTIONS_PREFIX),
        )
        CfnOutput(self, "ApprovalTopicArn", value=self.approvals.topic_arn)
