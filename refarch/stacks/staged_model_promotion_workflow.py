"""The promotion state machine: staging → test gate → a person's decision → production.

One execution per approved version (the approval event is its input). Each step is a Step
Functions state, so the execution's history shows where a promotion stopped and why:

0. ``ListRunningPromotions`` … ``StopOlderPromotion``: a newer approval supersedes: the
   executions of older versions still running (typically waiting for a decision) are stopped
   (``StopExecution``: ABORTED, with a cause naming this version; their task tokens are no
   longer accepted).
1. ``DeployToStaging`` asks the staging deployer (``DEPLOY_TARGET=requested``) for this
   version; the endpoint is polled (``Wait`` + ``DescribeEndpoint``, bounded by
   ``max_polls``) until it is in service, then asked again: ``noop`` means it serves the version.
2. ``TestOnStaging``: the gate Lambda's verdict; a version that falls short ends here.
3. ``AskForPromotion`` publishes the request with a task token and waits
   (``.waitForTaskToken``) until ``SendTaskSuccess`` (promote) or ``SendTaskFailure``
   (reject), or its timeout (expired)
   (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token).
4. ``StillLatest?``: a newer approval, or a rejection since, supersedes this version (defence
   in depth: the newer execution stops this one, unless its event came first).
5. ``DeployToProduction``: the production deployer's blue/green rollout with auto-rollback,
   polled the same way; ``held`` afterwards means SageMaker rolled it back.
6. ``RecordPromotion`` tags the endpoint and writes the promotion record next to the report.

Any failure goes to ``NotifyFailure`` (the alarm topic, with the reason) and ends the execution
failed; production is only ever changed in step 5.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from refarch.constructs import stateful_removal

#: Deployer outcomes (``lambda/model_deployer/reconcile.py``) that mean "wait, then ask again".
IN_FLIGHT = ("created", "updated", "deferred")
#: Endpoint statuses after which waiting cannot help (DescribeEndpoint ``EndpointStatus``).
BROKEN = ("Failed", "UpdateRollbackFailed", "OutOfService", "Deleting")
#: The tag recording what production was promoted to, and by whom.
PROMOTED_VERSION_TAG = "refarch:promoted-version"
PROMOTED_BY_TAG = "refarch:promoted-by"
PROMOTIONS_PREFIX = "promotions/"


@dataclass(frozen=True)
class PromotionWorkflowProps:
    """The functions, topics and names the workflow connects."""

    group_name: str
    staging_endpoint_name: str
    staging_endpoint_arn: str
    production_endpoint_name: str
    production_endpoint_arn: str
    staging_deployer: lambda_.IFunction
    production_deployer: lambda_.IFunction
    gate: lambda_.IFunction
    approvals: sns.ITopic
    failures: sns.ITopic
    reports: s3.IBucket
    approval_timeout: Duration
    poll_interval: Duration
    max_polls: int
    #: The state machine's own ARN, and the pattern of its executions' ARNs (built from its
    #: name: a reference to the machine from its own role's policy would be a cycle).
    state_machine_arn: str
    executions_arn: str
    #: With the staging or production part in another account, the role the state machine
    #: assumes there for that part's tasks (the Task state's ``Credentials``:
    #: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html).
    staging_credentials: sfn.Credentials | None = None
    production_credentials: sfn.Credentials | None = None


class PromotionWorkflow(Construct):
    """Builds the definition; the stack makes the state machine (logging, tracing, role)."""

    def __init__(self, scope: Construct, construct_id: str, *, props: PromotionWorkflowProps):
        super().__init__(scope, construct_id)
        self.props = props
        self.list_actions = ["sagemaker:ListModelPackages"]
        failure = self._failure_path()
        promoted = self._record_promotion()
        production = self._deploy_and_wait(
            "Production", props.production_deployer, promoted, failure
        )
        still_latest = self._still_latest(production, failure)
        ask = self._ask_for_promotion(still_latest, failure)
        gate = self._gate(ask, failure)
        staging = self._deploy_and_wait("Staging", props.staging_deployer, gate, failure)
        version = sfn.Pass(
            self,
            "Version",
            comment="The approved version this execution promotes (from the registry's event)",
            parameters={
                "modelPackageArn": sfn.JsonPath.string_at("$.detail.ModelPackageArn"),
                "version": sfn.JsonPath.number_at("$.detail.ModelPackageVersion"),
                "executionName": sfn.JsonPath.string_at("$$.Execution.Name"),
                "polls": {"value": 0},
            },
        )
        self.definition = version.next(self._supersede_older(staging, failure))

    # -- a newer approval stops the older promotions still running ------------------------

    def _supersede_older(self, then: sfn.IChainable, failure: sfn.IChainable) -> sfn.IChainable:
        """Stop this state machine's running executions of older versions (same group).

        The machine serves one model package group (its rule matches only that group), so its
        running executions are this group's promotions. ListExecutions returns the newest first,
        one page of 100 at most (kept whole in the state's data, under the 256 KiB payload
        limit); an older execution past it is still superseded by ``StillLatest?``.
        https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
        https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
        ListExecutions authorizes on the state machine, DescribeExecution and StopExecution on
        the execution (https://docs.aws.amazon.com/service-authorization/latest/reference/
        list_awsstepfunctions.html), hence the two ARNs.
        """
        listed = tasks.CallAwsService(
            self,
            "ListRunningPromotions",
            service="sfn",
            action="listExecutions",
            comment="The promotions still running: older versions' are stopped",
            parameters={
                "StateMachineArn": sfn.JsonPath.string_at("$$.StateMachine.Id"),
                "StatusFilter": "RUNNING",
                "MaxResults": 100,
            },
            iam_action="states:ListExecutions",
            iam_resources=[self.props.state_machine_arn],
            result_selector={
                "running": sfn.JsonPath.list_at("$.Executions"),
                "count": sfn.JsonPath.array_length(sfn.JsonPath.list_at("$.Executions")),
                "index": 0,
            },
            result_path="$.supersede",
        )
        listed.add_catch(failure, result_path="$.error")
        pick = sfn.Pass(
            self,
            "PickRunning",
            parameters={
                "summary": sfn.JsonPath.array_get_item(
                    sfn.JsonPath.list_at("$.supersede.running"),
                    sfn.JsonPath.number_at("$.supersede.index"),
                )
            },
            result_path="$.supersede.pick",
        )
        describe = tasks.CallAwsService(
            self,
            "DescribeRunningPromotion",
            service="sfn",
            action="describeExecution",
            parameters={
                "ExecutionArn": sfn.JsonPath.string_at("$.supersede.pick.summary.ExecutionArn")
            },
            iam_action="states:DescribeExecution",
            iam_resources=[self.props.executions_arn],
            result_selector={
                "input": sfn.JsonPath.string_to_json(sfn.JsonPath.string_at("$.Input"))
            },
            result_path="$.supersede.other",
        )
        describe.add_catch(failure, result_path="$.error")
        stop = tasks.CallAwsService(
            self,
            "StopOlderPromotion",
            service="sfn",
            action="stopExecution",
            comment="Aborted: its pending task token is no longer accepted",
            parameters={
                "ExecutionArn": sfn.JsonPath.string_at("$.supersede.pick.summary.ExecutionArn"),
                "Error": "Superseded",
                "Cause": sfn.JsonPath.format(
                    "superseded by version {} of {} ({})",
                    sfn.JsonPath.string_at("$.version"),
                    self.props.group_name,
                    sfn.JsonPath.string_at("$$.Execution.Id"),
                ),
            },
            iam_action="states:StopExecution",
            iam_resources=[self.props.executions_arn],
            result_path=sfn.JsonPath.DISCARD,
        )
        stop.add_catch(failure, result_path="$.error")
        advance = sfn.Pass(
            self,
            "NextRunning",
            parameters={
                "running": sfn.JsonPath.list_at("$.supersede.running"),
                "count": sfn.JsonPath.number_at("$.supersede.count"),
                "index": sfn.JsonPath.math_add(sfn.JsonPath.number_at("$.supersede.index"), 1),
            },
            result_path="$.supersede",
        )
        done = sfn.Pass(
            self,
            "OlderPromotionsStopped",
            parameters={"checked": sfn.JsonPath.number_at("$.supersede.count")},
            result_path="$.supersede",
        )
        more = sfn.Choice(self, "MoreRunning?")
        more.when(
            sfn.Condition.number_less_than_json_path("$.supersede.index", "$.supersede.count"),
            pick,
        )
        more.otherwise(done)
        this_one = sfn.Choice(self, "ThisExecution?")
        this_one.when(
            sfn.Condition.string_equals_json_path(
                "$.supersede.pick.summary.ExecutionArn", "$$.Execution.Id"
            ),
            advance,
        )
        this_one.otherwise(describe)
        other_version = "$.supersede.other.input.detail.ModelPackageVersion"
        older = sfn.Choice(self, "OlderVersion?")
        older.when(
            sfn.Condition.and_(
                sfn.Condition.is_numeric(other_version),
                sfn.Condition.number_less_than_json_path(other_version, "$.version"),
            ),
            stop,
        )
        older.otherwise(advance)
        pick.next(this_one)
        describe.next(older)
        stop.next(advance)
        advance.next(more)
        done.next(then)
        return listed.next(more)

    # -- deploy, then poll until in service --------------------------------------------------

    def _deploy_and_wait(
        self,
        where: str,
        deployer: lambda_.IFunction,
        on_serving: sfn.IChainable,
        failure: sfn.IChainable,
    ) -> sfn.IChainable:
        name = (
            self.props.staging_endpoint_name
            if where == "Staging"
            else self.props.production_endpoint_name
        )
        arn = (
            self.props.staging_endpoint_arn
            if where == "Staging"
            else self.props.production_endpoint_arn
        )
        credentials = (
            self.props.staging_credentials
            if where == "Staging"
            else self.props.production_credentials
        )
        reset = sfn.Pass(
            self,
            f"Reset{where}Polls",
            result=sfn.Result.from_object({"value": 0}),
            result_path="$.polls",
        )
        deploy = tasks.LambdaInvoke(
            self,
            f"DeployTo{where}",
            lambda_function=deployer,
            comment=f"Ask the {where.lower()} deployer for this version (again after each wait)",
            payload=sfn.TaskInput.from_object(
                {"deployModelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn")}
            ),
            result_selector={
                "action": sfn.JsonPath.string_at("$.Payload.action"),
                "reason": sfn.JsonPath.string_at("$.Payload.reason"),
            },
            result_path=f"$.{where.lower()}",
            credentials=credentials,
        )
        deploy.add_catch(failure, result_path="$.error")
        wait = sfn.Wait(self, f"Wait{where}", time=sfn.WaitTime.duration(self.props.poll_interval))
        describe = tasks.CallAwsService(
            self,
            f"Describe{where}Endpoint",
            service="sagemaker",
            action="describeEndpoint",
            parameters={"EndpointName": name},
            iam_resources=[arn],
            result_selector={"status": sfn.JsonPath.string_at("$.EndpointStatus")},
            result_path="$.endpoint",
            credentials=credentials,
        )
        describe.add_catch(failure, result_path="$.error")
        count = sfn.Pass(
            self,
            f"Count{where}Poll",
            parameters={"value": sfn.JsonPath.math_add(sfn.JsonPath.number_at("$.polls.value"), 1)},
            result_path="$.polls",
        )
        rolled_back = self._error(
            f"{where}RolledBack",
            "RolledBack",
            sfn.JsonPath.format(
                f"the {where.lower()} rollout did not complete: {{}}",
                sfn.JsonPath.string_at(f"$.{where.lower()}.reason"),
            ),
        ).next(failure)
        broken = self._error(
            f"{where}EndpointBroken",
            "EndpointNotInService",
            sfn.JsonPath.format(f"{name} is {{}}", sfn.JsonPath.string_at("$.endpoint.status")),
        ).next(failure)
        too_long = self._error(
            f"{where}TooSlow",
            "EndpointNotInService",
            f"{name} was not in service after {self.props.max_polls} polls",
        ).next(failure)
        after_deploy = sfn.Choice(self, f"{where}Serving?")
        after_deploy.when(
            sfn.Condition.string_equals(f"$.{where.lower()}.action", "noop"), on_serving
        )
        after_deploy.when(
            sfn.Condition.or_(
                *[sfn.Condition.string_equals(f"$.{where.lower()}.action", a) for a in IN_FLIGHT]
            ),
            wait,
        )
        after_deploy.otherwise(rolled_back)
        in_service = sfn.Choice(self, f"{where}InService?")
        in_service.when(sfn.Condition.string_equals("$.endpoint.status", "InService"), deploy)
        in_service.when(
            sfn.Condition.or_(
                *[sfn.Condition.string_equals("$.endpoint.status", s) for s in BROKEN]
            ),
            broken,
        )
        in_service.when(
            sfn.Condition.number_greater_than_equals("$.polls.value", self.props.max_polls),
            too_long,
        )
        in_service.otherwise(count)
        count.next(wait)
        wait.next(describe)
        describe.next(in_service)
        deploy.next(after_deploy)
        reset.next(deploy)
        return reset

    # -- the gate, the decision, supersession ------------------------------------------------

    def _gate(self, on_pass: sfn.IChainable, failure: sfn.IChainable) -> sfn.IChainable:
        gate = tasks.LambdaInvoke(
            self,
            "TestOnStaging",
            lambda_function=self.props.gate,
            comment="Error rate, p99 latency and accuracy on the labelled test set",
            payload=sfn.TaskInput.from_object(
                {
                    "endpointName": self.props.staging_endpoint_name,
                    "modelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn"),
                    "version": sfn.JsonPath.number_at("$.version"),
                    "executionName": sfn.JsonPath.string_at("$.executionName"),
                }
            ),
            result_selector={
                "passed": sfn.JsonPath.string_at("$.Payload.passed"),
                "reason": sfn.JsonPath.string_at("$.Payload.reason"),
                "reportUri": sfn.JsonPath.string_at("$.Payload.reportUri"),
                "metrics": sfn.JsonPath.object_at("$.Payload.metrics"),
            },
            result_path="$.gate",
            credentials=self.props.staging_credentials,
        )
        gate.add_catch(failure, result_path="$.error")
        failed = self._error(
            "GateFailed", "GateFailed", sfn.JsonPath.string_at("$.gate.reason")
        ).next(failure)
        verdict = sfn.Choice(self, "GatePassed?")
        verdict.when(sfn.Condition.boolean_equals("$.gate.passed", True), on_pass)
        verdict.otherwise(failed)
        return gate.next(verdict)

    def _ask_for_promotion(
        self, on_promote: sfn.IChainable, failure: sfn.IChainable
    ) -> sfn.IChainable:
        execution = sfn.JsonPath.string_at("$$.Execution.Id")
        ask = tasks.SnsPublish(
            self,
            "AskForPromotion",
            topic=self.props.approvals,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            comment="A person promotes or rejects; the token comes back with the decision",
            subject="Promote a model version to production?",
            message=sfn.TaskInput.from_object(
                {
                    "taskToken": sfn.JsonPath.task_token,
                    "execution": execution,
                    "modelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn"),
                    "version": sfn.JsonPath.number_at("$.version"),
                    "report": sfn.JsonPath.string_at("$.gate.reportUri"),
                    "metrics": sfn.JsonPath.object_at("$.gate.metrics"),
                    "promote": sfn.JsonPath.format("refarch promote {}", execution),
                    "reject": sfn.JsonPath.format("refarch reject {}", execution),
                }
            ),
            task_timeout=sfn.Timeout.duration(self.props.approval_timeout),
            result_path="$.decision",
        )
        hours = self.props.approval_timeout.to_hours()
        expired = self._error(
            "PromotionExpired", "PromotionExpired", f"no decision within {hours:g} hours"
        ).next(failure)
        ask.add_catch(expired, errors=[sfn.Errors.TIMEOUT], result_path="$.error")
        # A rejection is SendTaskFailure: its error and cause are the approver's.
        ask.add_catch(failure, result_path="$.error")
        return ask.next(on_promote)

    def _still_latest(self, on_latest: sfn.IChainable, failure: sfn.IChainable) -> sfn.IChainable:
        latest = tasks.CallAwsService(
            self,
            "LatestApproved",
            service="sagemaker",
            action="listModelPackages",
            comment="A newer approval, or a rejection since, supersedes this version",
            parameters={
                "ModelPackageGroupName": self.props.group_name,
                "ModelApprovalStatus": "Approved",
                "ModelPackageType": "Versioned",
                "SortBy": "CreationTime",
                "SortOrder": "Descending",
                "MaxResults": 1,
            },
            # SageMaker List calls have no resource-level permissions:
            # https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html
            iam_resources=["*"],
            # The IAM action as the Service Authorization Reference spells it (the SDK
            # integration's action name is camelCase; IAM matches either, reviewers read this).
            iam_action="sagemaker:ListModelPackages",
            result_selector={"summaries": sfn.JsonPath.list_at("$.ModelPackageSummaryList")},
            result_path="$.latest",
        )
        latest.add_catch(failure, result_path="$.error")
        superseded = self._error(
            "Superseded", "Superseded", "a newer version was approved, or this one rejected, since"
        ).next(failure)
        any_left = sfn.Choice(self, "AnyApproved?")
        same = sfn.Choice(self, "StillLatest?")
        any_left.when(sfn.Condition.is_present("$.latest.summaries[0]"), same)
        any_left.otherwise(superseded)
        same.when(
            sfn.Condition.string_equals_json_path(
                "$.latest.summaries[0].ModelPackageArn", "$.modelPackageArn"
            ),
            on_latest,
        )
        same.otherwise(superseded)
        return latest.next(any_left)

    # -- after production --------------------------------------------------------------------

    def _record_promotion(self) -> sfn.IChainable:
        tag = tasks.CallAwsService(
            self,
            "TagPromotedVersion",
            service="sagemaker",
            action="addTags",
            parameters={
                "ResourceArn": self.props.production_endpoint_arn,
                "Tags": [
                    {
                        "Key": PROMOTED_VERSION_TAG,
                        "Value": sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.version")),
                    },
                    {
                        "Key": PROMOTED_BY_TAG,
                        "Value": sfn.JsonPath.string_at("$.decision.approver"),
                    },
                ],
            },
            iam_resources=[self.props.production_endpoint_arn],
            result_path=sfn.JsonPath.DISCARD,
            credentials=self.props.production_credentials,
        )
        record = tasks.CallAwsService(
            self,
            "WritePromotionRecord",
            service="s3",
            action="putObject",
            parameters={
                "Bucket": self.props.reports.bucket_name,
                "Key": sfn.JsonPath.format(
                    PROMOTIONS_PREFIX + "v{}/{}.json",
                    sfn.JsonPath.string_at("$.version"),
                    sfn.JsonPath.string_at("$.executionName"),
                ),
                "Body": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$")),
                "ContentType": "application/json",
            },
            iam_resources=[self.props.reports.arn_for_objects(f"{PROMOTIONS_PREFIX}*")],
            iam_action="s3:PutObject",
            result_path=sfn.JsonPath.DISCARD,
        )
        notify = tasks.SnsPublish(
            self,
            "NotifyPromoted",
            topic=self.props.approvals,
            subject="Model version promoted to production",
            message=sfn.TaskInput.from_json_path_at("States.JsonToString($)"),
            result_path=sfn.JsonPath.DISCARD,
        )
        return tag.next(record).next(notify).next(sfn.Succeed(self, "Promoted"))

    def _failure_path(self) -> sfn.IChainable:
        notify = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=self.props.failures,
            subject="Model promotion stopped; production unchanged",
            message=sfn.TaskInput.from_json_path_at("States.JsonToString($)"),
            result_path=sfn.JsonPath.DISCARD,
        )
        fail = sfn.Fail(
            self,
            "PromotionFailed",
            error_path="$.error.Error",
            cause_path="$.error.Cause",
        )
        return notify.next(fail)

    def _error(self, state_id: str, error: str, cause: str) -> sfn.Pass:
        """A Pass that records why the promotion stops at ``$.error`` (as a Catch would)."""
        return sfn.Pass(
            self, state_id, parameters={"Error": error, "Cause": cause}, result_path="$.error"
        )


def grant_topic_keys(role: iam.IRole, *topics: sns.ITopic) -> None:
    """Let ``role`` publish to KMS-encrypted ``topics``: the publisher needs the topic's key.

    https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
    """
    for topic in topics:
        if topic.master_key is not None:
            topic.master_key.grant(role, "kms:GenerateDataKey*", "kms:Decrypt")


def approvals_topic(scope: Construct, approver_email: str | None) -> sns.Topic:
    """The promotion requests' topic, encrypted with its own key: they carry task tokens."""
    key = kms.Key(
        scope,
        "ApprovalsKey",
        description="Encrypts the promotion requests (they carry task tokens)",
        enable_key_rotation=True,
        removal_policy=stateful_removal(scope).policy,
    )
    topic = sns.Topic(scope, "Approvals", master_key=key, enforce_ssl=True)
    if approver_email:
        topic.add_subscription(subscriptions.EmailSubscription(approver_email))
    return topic
