"""SageMaker endpoint deployed on Model Registry approval, rolled out blue/green with auto-rollback.

A model version is registered in the group ``PendingManualApproval``; a reviewer approves it
(``update_model_package(ModelApprovalStatus="Approved")``); EventBridge hands the registry's
state change to the deployer, a Lambda function that reconciles the endpoint to the group's
latest approved version, read from the registry: it creates a Model and an EndpointConfig (data
capture on, storage and capture encrypted with this stack's key), then creates the endpoint or
updates it with a blue/green deployment that shifts traffic canary, linear or all at once and
rolls back on this stack's CloudWatch alarms
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html). When the endpoint
is in service again, a second rule hands that to the deployer, which registers autoscaling and
completes a reconcile it had to defer; a failed endpoint goes to the alarm topic.

The endpoint, its configs, models, deployment configuration, data capture and autoscaling are
created by the deployer at runtime, not by CloudFormation: the endpoint must follow the
registry (a version approved tomorrow), not the template. That is also why Application Auto
Scaling's scalable target is no resource here: it must name an endpoint variant that exists
when it is registered, and at deploy time there is no endpoint.
"""

from aws_cdk import Annotations, ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs import (
    AccessLogBucket,
    AlarmTopic,
    AlarmTopicProps,
    EndpointRollbackAlarms,
    ModelPackageGroup,
    ModelPackageGroupProps,
    ObservedFunction,
    ObservedFunctionProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
    allow_logs_to_encrypt,
    grant_sagemaker_logs,
    stateful_removal,
    undelivered_events_queue,
)
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.iam_wildcards import acknowledge_wildcard
from refarch.constructs.nag import nag_finding_text
from refarch.constructs.s3_object_grants import grant_object_actions
from refarch.stacks.approved_model_endpoint_deployer_grants import (
    DeployerTarget,
    account_finding,
    grant_deployer,
)
from refarch.stacks.approved_model_endpoint_outputs import endpoint_outputs

# The props live in their own module; importable from here as before.
from refarch.stacks.approved_model_endpoint_props import (  # noqa: F401
    CONTEXT_AUTOSCALING_MAX,
    CONTEXT_AUTOSCALING_MIN,
    CONTEXT_CAPTURE_SAMPLING_PERCENT,
    CONTEXT_ENDPOINT_NAME,
    CONTEXT_IMAGE_REPOSITORY,
    CONTEXT_INSTANCE_COUNT,
    CONTEXT_INSTANCE_TYPE,
    CONTEXT_ROLLOUT,
    CONTEXT_SERVERLESS_MAX_CONCURRENCY,
    CONTEXT_SERVERLESS_MEMORY_MB,
    CONTEXT_TRAFFIC_STEP_PERCENT,
    CREATE_MODEL_PERMISSIONS,
    MAX_ENDPOINT_NAME_LENGTH,
    MAX_SERVERLESS_CONCURRENCY,
    MAX_WAIT_INTERVAL,
    ROLLOUTS,
    SERVERLESS_MEMORY_SIZES,
    STEP_PERCENT_RANGE,
    ApprovedModelEndpointProps,
    default_endpoint_name,
)

#: Where model artifacts (``model.tar.gz``) go in the artifacts bucket; the execution role
#: reads nothing else of it. A model's ``ModelDataUrl`` is an S3 location (API reference,
#: ``ContainerDefinition``).
ARTIFACTS_PREFIX = "models/"

#: Where SageMaker writes captured requests and responses, under
#: ``<endpoint>/<variant>/yyyy/mm/dd/hh/`` (AWS docs: data capture). No trailing slash: this
#: is the ``DestinationS3Uri`` the deployer passes.
CAPTURE_PREFIX = "datacapture"

#: The deployer's asset directory under ``lambda/``.
DEPLOYER_ASSET = "model_deployer"

#: The Powertools service name ``ObservedFunction`` gives the deployer (its asset, hyphenated):
#: the ``service`` dimension of the metrics it emits.
DEPLOYER_SERVICE_NAME = DEPLOYER_ASSET.replace("_", "-")

#: The metric the deployer emits when its group has no approved version left: it leaves the
#: endpoint as it is rather than deleting it, and this alarm asks a human to look.
NO_APPROVED_VERSION_METRIC = "NoApprovedVersion"
#: The deployer's metric for a rollout SageMaker rolled back, which it will not retry.
ROLLOUT_HELD_METRIC = "RolloutHeld"

#: The registry statuses that change what the endpoint should serve: an approval deploys the
#: version, a rejection of the live one rolls back to the previous approved (as the public
#: SageMaker MLOps deploy templates react to both).
APPROVAL_STATUSES = ("Approved", "Rejected")

#: Endpoint events use the upper-case form of ``DescribeEndpoint``'s ``EndpointStatus`` (AWS
#: sample event: ``IN_SERVICE`` for ``InService``). ``Failed``: the endpoint could not be
#: created or updated; ``UpdateRollbackFailed``: an update failed and so did the rollback.
ENDPOINT_IN_SERVICE = ("IN_SERVICE",)
ENDPOINT_FAILED = ("FAILED", "UPDATE_ROLLBACK_FAILED")

#: How EventBridge retries delivering a rule's event to the deployer before it lands in the
#: dead-letter queue. A late event is harmless (the deployer reads the registry, not the
#: event), so keep trying for as long as Lambda keeps the deployer's own async events.
RULE_RETRY_ATTEMPTS = 10
RULE_MAX_EVENT_AGE = Duration.hours(6)

#: Where SageMaker publishes endpoint instance metrics (CPU, memory, disk) with the execution
#: role; invocation metrics (``AWS/SageMaker``) it publishes itself (AWS docs: SageMaker
#: metrics).
ENDPOINT_INSTANCE_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints"


class ApprovedModelEndpointStack(Stack):
    """Deploy a Model Registry group's latest approved version to a SageMaker endpoint, safely.

    Props come from the ``props`` argument or, when the app builds the stack (``cdk deploy``),
    from the context switches listed at ``CONTEXT_*`` (``-c instance_type=...``,
    ``-c rollout=linear``, ``-c serverless_memory_mb=2048`` ...).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ApprovedModelEndpointProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or ApprovedModelEndpointProps.from_context(self)
        self.props = props
        self.endpoint_name = props.endpoint_name or default_endpoint_name(self.stack_name)

        self.alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.artifacts = self._artifacts_bucket(access_logs)
        self.capture = SecureBucket(
            self,
            "Capture",
            access_logs=access_logs,
            props=SecureBucketProps(
                access_logs_prefix="capture/",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="expire-captured-data",
                        prefix=f"{CAPTURE_PREFIX}/",
                        expiration=props.capture_expiration,
                    )
                ],
            ),
        )
        # Customer-managed, so access to captured requests (which may hold personal data) and
        # to the instances' storage is decided by this key's policy and auditable per use.
        self.key = kms.Key(
            self,
            "EndpointKey",
            description=(
                f"Encrypts the storage volumes, captured data and container logs of "
                f"{self.endpoint_name}"
            ),
            # Rotated yearly: automatic for AWS managed keys, opt-in for customer managed ones
            # (https://docs.aws.amazon.com/kms/latest/developerguide/rotating-keys-enable.html).
            # Each rotation's new backing key is billed (https://aws.amazon.com/kms/pricing/).
            enable_key_rotation=True,
            removal_policy=stateful_removal(self).policy,
        )
        self.repository = self._image_repository(props)
        self.registry = self._model_registry(props)
        self.endpoint_logs = self._endpoint_log_group(props)
        self.execution_role = self._execution_role()
        self.rollback_alarms = EndpointRollbackAlarms(
            self,
            "RollbackAlarms",
            endpoint_name=self.endpoint_name,
            variant_name=props.variant_name,
            alarms=self.alarms,
            props=props.rollback_alarms,
        )
        # SageMaker reads the rollback alarms with the execution role during a deployment.
        self.rollback_alarms.grant_describe(self.execution_role)

        self.deployer = ObservedFunction(
            self,
            "Deployer",
            alarms=self.alarms,
            props=ObservedFunctionProps(
                asset=DEPLOYER_ASSET,
                description=(
                    "Reconciles the endpoint to the model group's latest approved version"
                ),
                memory_size=256,
                # A reconcile is a handful of SageMaker calls; it never waits for an update
                # (the endpoint's IN_SERVICE event resumes a deferred one).
                timeout=Duration.minutes(1),
                environment=self._deployer_environment(props),
            ),
        )
        self._grant_deployer()

        self.undelivered = undelivered_events_queue(
            self, "UndeliveredEvents", used_by="the event rules' targets"
        )
        self.approval_rule = self._approval_rule()
        self.in_service_rule = self._endpoint_rule(
            "EndpointInService",
            "The endpoint is in service: register autoscaling, finish a deferred reconcile",
            ENDPOINT_IN_SERVICE,
        )
        self.failed_rule = self._endpoint_rule(
            "EndpointFailed",
            "The endpoint failed, or failed to roll back an update",
            ENDPOINT_FAILED,
        )
        self._route_events()
        self.alarms.publish_events(self.failed_rule, dead_letter_queue=self.undelivered)
        self._alarms()
        self._protect_alarms()
        self._outputs()
        if props.small_fleet_fallback:
            # Said at synthesis, where the deployer chose the instance count.
            Annotations.of(self).add_warning_v2(
                "refarch:rollout-all-at-once", props.small_fleet_fallback
            )

    def _route_events(self) -> None:
        """Approvals and returns to service → the deployer (a subclass may route elsewhere)."""
        for rule in (self.approval_rule, self.in_service_rule):
            rule.add_target(self._deployer_target())

    def _deployer_target(self) -> targets.LambdaFunction:
        """The deployer as a rule target: retried, then the dead-letter queue."""
        return targets.LambdaFunction(
            self.deployer.function,
            dead_letter_queue=self.undelivered,
            retry_attempts=RULE_RETRY_ATTEMPTS,
            max_event_age=RULE_MAX_EVENT_AGE,
        )

    # -----------------------------------------------------------------------------------------
    # Resources

    def _artifacts_bucket(self, access_logs: AccessLogBucket) -> SecureBucket:
        """Where model archives are uploaded (``models/``); a subclass may read another's."""
        return SecureBucket(
            self,
            "Artifacts",
            access_logs=access_logs,
            props=SecureBucketProps(access_logs_prefix="artifacts/"),
        )

    def _model_registry(self, props: ApprovedModelEndpointProps) -> ModelPackageGroup:
        """The model package group whose approved versions the endpoint serves."""
        return ModelPackageGroup(
            self,
            "ModelRegistry",
            props=ModelPackageGroupProps(
                name=props.model_package_group_name,
                description=f"Versions of the model served by {self.endpoint_name}",
            ),
        )

    def _artifacts_finding(self) -> str:
        """How cdk-nag prints the execution role's grant on the model archives."""
        return f"Resource::<{self._logical_id(self.artifacts.bucket)}.Arn>/{ARTIFACTS_PREFIX}*"

    def _image_repository(self, props: ApprovedModelEndpointProps) -> ecr.IRepository:
        """The ECR repository of the inference images: created here, or an existing one.

        A custom inference container (bring your own container) is an image in Amazon ECR that
        the model names (API reference, ``ContainerDefinition``). Created by default
        so the pattern deploys on its own; a team whose CI already owns a repository passes
        its name instead, and the execution role pulls from that one only.
        """
        if props.image_repository_name:
            return ecr.Repository.from_repository_name(
                self, "ImageRepository", props.image_repository_name
            )
        removal = stateful_removal(self)
        return ecr.Repository(
            self,
            "ImageRepository",
            # Basic scanning on push reports known CVEs in each pushed image (ECR guide,
            # https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
            image_scan_on_push=True,
            # A tag always names the same image, so a model version registered with
            # `...:1.4.2` cannot silently change under the endpoint.
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            removal_policy=removal.policy,
            empty_on_delete=removal.auto_delete_objects,
        )

    def _endpoint_log_group(
        self,
        props: ApprovedModelEndpointProps,
        construct_id: str = "EndpointLogs",
        endpoint_name: str | None = None,
    ) -> logs.LogGroup:
        """The log group SageMaker writes the endpoint's container logs to, with retention.

        SageMaker names it after the endpoint (``/aws/sagemaker/Endpoints/<endpoint>``: AWS
        docs) and would create it without retention; created here, it has one, and is
        encrypted with the endpoint key, since containers may log request payloads.
        """
        name = self._log_group_name(endpoint_name or self.endpoint_name)
        allow_logs_to_encrypt(
            self.key,
            [
                self.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            pattern=False,
        )
        return logs.LogGroup(
            self,
            construct_id,
            log_group_name=name,
            encryption_key=self.key,
            retention=props.log_retention,
            removal_policy=stateful_removal(self).policy,
        )

    @property
    def _endpoint_log_group_name(self) -> str:
        """Where SageMaker writes the endpoint's container logs (AWS docs), a literal name."""
        return self._log_group_name(self.endpoint_name)

    @staticmethod
    def _log_group_name(endpoint_name: str) -> str:
        return f"/aws/sagemaker/Endpoints/{endpoint_name}"

    def _execution_role(self) -> iam.Role:
        """The role SageMaker assumes to host the model: its artifacts, its image, its output.

        The role SageMaker assumes to host the model (CreateModel's ``ExecutionRoleArn``,
        ``CREATE_MODEL_PERMISSIONS``): read the artifacts
        under ``models/`` and pull from the image repository, nothing else of either; write
        captured data under ``datacapture/`` with the endpoint key; write the endpoint's logs
        and instance metrics.
        """
        role = iam.Role(
            self,
            "ExecutionRole",
            # Only SageMaker acting for this account may assume it (AWS docs: cross-service
            # confused deputy prevention, SageMaker AI inference).
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description=f"SageMaker execution role of the {self.endpoint_name} endpoint",
        )
        # As AWS's CreateModel policy (docstring) scopes it: s3:GetObject on the model archives,
        # no listing; the repository's three pull actions, and ecr:GetAuthorizationToken, which
        # has no resource-level permissions: the token only lets the role ask.
        grant_object_actions(self.artifacts.bucket, role, f"{ARTIFACTS_PREFIX}*", ["s3:GetObject"])
        self.repository.grant_pull(role)
        acknowledge_unexercised(
            role,
            ["ecr:BatchCheckLayerAvailability"],
            f"Listed by AWS's CreateModel execution-role policy ({CREATE_MODEL_PERMISSIONS}); "
            "the local SageMaker pulls by reading the manifest and the layers only",
        )
        # SageMaker writes captured data as the execution role (AWS docs: data capture):
        # PutObject, or a multipart upload it aborts on failure.
        capture = ["s3:PutObject", "s3:AbortMultipartUpload"]
        grant_object_actions(self.capture.bucket, role, f"{CAPTURE_PREFIX}/*", capture)
        # Capture objects are SSE-KMS with the endpoint key: the writer needs the data key
        # (GenerateDataKey), Encrypt for the capture KmsKeyId (AWS API reference,
        # DataCaptureConfig), Decrypt to complete multipart uploads (AWS docs, S3 SSE-KMS).
        self.key.grant(role, "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
        acknowledge_unexercised(
            role,
            ["kms:Encrypt", "kms:Decrypt", "s3:AbortMultipartUpload"],
            "Capture files uploaded in parts (Decrypt completes them, AbortMultipartUpload "
            "cancels them) and Encrypt for the capture KmsKeyId, per the AWS references above; "
            "the local SageMaker "
            "writes each capture file with one SSE-KMS PutObject, which needs GenerateDataKey only",
        )
        self._grant_endpoint_logs(role)
        # PutMetricData has no resource-level permissions (AWS docs): scoped by namespace.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringEquals": {"cloudwatch:namespace": ENDPOINT_INSTANCE_METRICS_NAMESPACE}
                },
            )
        )
        acknowledge_wildcard(
            role,
            ["cloudwatch:PutMetricData"],
            "Metrics go to one namespace, which the condition fixes; PutMetricData's only "
            "resource type is a CloudWatch dataset, which this role does not publish to.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "The S3 object actions are on the models/ and datacapture/ prefixes only (SageMaker "
            "names the capture files); the log streams of the endpoint's own log group, which "
            "SageMaker names per instance; "
            "Resource::* is ecr:GetAuthorizationToken and cloudwatch:PutMetricData, neither of "
            "which has resource-level permissions; PutMetricData is limited to SageMaker's "
            "endpoint namespace.",
            findings=[
                self._artifacts_finding(),
                f"Resource::<{self._logical_id(self.capture.bucket)}.Arn>/{CAPTURE_PREFIX}/*",
                f"Resource::arn:<AWS::Partition>:logs:<AWS::Region>:{account_finding(self)}:log-group:"
                f"{self._endpoint_log_group_name}:log-stream:*",
                "Resource::*",
            ],
        )
        return role

    def _grant_endpoint_logs(self, role: iam.Role, endpoint_name: str | None = None) -> None:
        """The log calls SageMaker hosting makes with the execution role, on the ARNs IAM checks.

        AWS's execution role policy for hosting (CreateModel API: Execution Role Permissions,
        https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms);
        see ``grant_sagemaker_logs`` for the resources. CreateLogGroup of this existing group
        only answers that it exists.
        """
        grant_sagemaker_logs(role, self._log_group_name(endpoint_name or self.endpoint_name))

    def _deployer_environment(self, props: ApprovedModelEndpointProps) -> dict[str, str]:
        """The deployer's configuration: the contract between this stack and its handler."""
        environment = {
            "MODEL_PACKAGE_GROUP_NAME": self.registry.group_name,
            "ENDPOINT_NAME": self.endpoint_name,
            "EXECUTION_ROLE_ARN": self.execution_role.role_arn,
            "VARIANT_NAME": props.variant_name,
            "INSTANCE_TYPE": props.instance_type,
            "INITIAL_INSTANCE_COUNT": str(props.initial_instance_count),
            "DATA_CAPTURE_S3_URI": self.capture.bucket.s3_url_for_object(CAPTURE_PREFIX),
            "DATA_CAPTURE_SAMPLING_PERCENT": str(props.capture_sampling_percent),
            "KMS_KEY_ARN": self.key.key_arn,
            "ROLLOUT": props.rollout,
            "TRAFFIC_STEP_PERCENT": str(props.traffic_step_percent),
            "WAIT_INTERVAL_SECONDS": str(int(props.wait_interval.to_seconds())),
            "ROLLBACK_ALARM_NAMES": ",".join(self.rollback_alarms.alarm_names),
            "AUTOSCALING_MIN_CAPACITY": str(props.autoscaling_min),
            "AUTOSCALING_MAX_CAPACITY": str(props.autoscaling_max_capacity),
            "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE": str(
                props.autoscaling_target_invocations_per_instance
            ),
        }
        if props.serverless_memory_mb is not None:
            environment["SERVERLESS_MEMORY_MB"] = str(props.serverless_memory_mb)
            environment["SERVERLESS_MAX_CONCURRENCY"] = str(props.serverless_max_concurrency)
        return environment

    def _grant_deployer(
        self,
        role: iam.IRole | None = None,
        endpoint_name: str | None = None,
        *,
        autoscaling: bool = True,
        follows_registry: bool = True,
    ) -> None:
        """Grant a deployer of this stack's group (``approved_model_endpoint_deployer_grants``).

        ``role`` and ``endpoint_name`` default to this stack's deployer and endpoint.
        """
        grant_deployer(
            self,
            DeployerTarget(
                role=role or self.deployer.role,
                endpoint_name=endpoint_name or self.endpoint_name,
                versions_arn=self.registry.versions_arn,
                group_finding_name=self._finding_name(self.registry.group_name),
                registry_account_finding=self._registry_account_finding,
                execution_role_arn=self.execution_role.role_arn,
                key_arn=self.key.key_arn,
                autoscaling=autoscaling,
                follows_registry=follows_registry,
            ),
        )

    #: How cdk-nag prints the registry's account in its versions' ARN (a subclass whose
    #: registry is in another account names that account).
    _registry_account_finding = "<AWS::AccountId>"

    def _approval_rule(self) -> events.Rule:
        """Approvals and rejections of this group's versions → the deployer.

        Only this group, and only the two statuses that change what should be live; the
        deployer still reads the registry, never the event, for what to deploy.
        """
        return events.Rule(
            self,
            "ApprovalChanged",
            description="A version of the model group was approved or rejected",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Package State Change"],
                detail={
                    "ModelPackageGroupName": [self.registry.group_name],
                    "ModelApprovalStatus": list(APPROVAL_STATUSES),
                },
            ),
        )

    def _endpoint_rule(
        self, construct_id: str, description: str, statuses: tuple[str, ...]
    ) -> events.Rule:
        """State changes of this endpoint into ``statuses``."""
        return events.Rule(
            self,
            construct_id,
            description=description,
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Endpoint State Change"],
                detail={"EndpointName": [self.endpoint_name], "EndpointStatus": list(statuses)},
            ),
        )

    def _alarms(self) -> None:
        """Undeliverable events, and a group with no approved version left."""
        self.undelivered_alarm = self.alarms.alarm_on_any(
            self,
            "UndeliveredEventsAlarm",
            self.undelivered.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            "An approval or endpoint event could not be delivered to the deployer or the alarm "
            "topic: read it from the dead-letter queue, then re-drive it",
        )
        # Powertools' EMF metrics: the function's namespace, dimension `service` (Powertools
        # docs); ObservedFunction sets both.
        self.no_approved_version_alarm = self.alarms.alarm_on_any(
            self,
            "NoApprovedVersionAlarm",
            self._deployer_metric(NO_APPROVED_VERSION_METRIC),
            "The model group has no approved version left: the endpoint keeps serving the "
            "last one; approve a version, or delete the endpoint",
        )
        # A rollout SageMaker undid (an alarm tripped, or the green fleet never came up) is not
        # retried on the endpoint's return to service: someone has to look at it.
        self.rollout_held_alarm = self.alarms.alarm_on_any(
            self,
            "RolloutHeldAlarm",
            self._deployer_metric(ROLLOUT_HELD_METRIC),
            "SageMaker rolled back the rollout of the latest approved version and the deployer "
            "holds the endpoint on the previous one: check the rollback alarms and the endpoint's "
            "logs, then reject the version, or reject and approve it again to retry",
        )

    def _protect_alarms(self) -> None:
        """Deny the deployer changing or deleting this stack's alarms, its rollback alarms first.

        Its CloudWatch write permissions are on "*" only because Application Auto Scaling's
        permission probes name no alarm (``_grant_deployer``); an explicit deny wins over that
        allow for every alarm that names one of these (IAM policy evaluation logic:
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
        and leaves the probes, which name none, allowed.
        """
        alarms = [
            *self.rollback_alarms.alarms,
            self.undelivered_alarm,
            self.no_approved_version_alarm,
            self.rollout_held_alarm,
        ]
        self.deployer.role.add_to_principal_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm"],
                resources=[alarm.alarm_arn for alarm in alarms],
            )
        )

    def _deployer_metric(self, name: str) -> cloudwatch.Metric:
        """A count the deployer emits, summed over 5 minutes."""
        return cloudwatch.Metric(
            namespace=f"refarch/{self.stack_name}",
            metric_name=name,
            dimensions_map={"service": DEPLOYER_SERVICE_NAME},
            statistic="Sum",
            period=Duration.minutes(5),
        )

    def _outputs(self) -> None:
        endpoint_outputs(
            self,
            artifacts_location=self.artifacts.bucket.s3_url_for_object(ARTIFACTS_PREFIX),
            capture_location=self.capture.bucket.s3_url_for_object(CAPTURE_PREFIX),
        )

    # -----------------------------------------------------------------------------------------
    # Names

    def _sagemaker_arn(self, resource: str, name: str) -> str:
        return self.format_arn(service="sagemaker", resource=resource, resource_name=name)

    def _logical_id(self, construct: Construct) -> str:
        return self.get_logical_id(construct.node.default_child)

    def _finding_name(self, name: str) -> str:
        """How cdk-nag prints a name inside an ARN: literally, or the ``<...>`` of its parts."""
        resolved = self.resolve(name)
        if isinstance(resolved, str):
            return resolved
        return nag_finding_text(resolved)
