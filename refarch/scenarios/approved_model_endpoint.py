"""The scenario of ``approved-model-endpoint``: registry approvals in, a safe endpoint out.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``); it puts the image in ECR (``target.serving_image``), uploads with ``PutObject``,
registers and reviews with ``CreateModelPackage``/``UpdateModelPackage``, replays with ``Invoke``,
serves with ``InvokeEndpoint``, and reads what SageMaker, Application Auto Scaling, CloudWatch, S3
and SQS show. In the order a reader meets it in the trace:

1. A data scientist puts the inference image in the stack's repository (live: SageMaker's
   scikit-learn image, copied; locally a stand-in: ``target.serving_image``), uploads a
   ``model.tar.gz`` under the artifacts bucket's ``models/`` prefix and registers version 1,
   ``PendingManualApproval``: SageMaker's state-change event matches no rule.
2. A reviewer approves it: the approval rule hands the event to the deployer, which creates a
   model, an endpoint configuration (data capture, KMS) and the endpoint from the registry's
   latest approved version.
3. SageMaker brings the fleet up as the model's execution role and the endpoint is
   ``InService``: the ``IN_SERVICE`` event brings the deployer back, which registers
   autoscaling. Five requests are served by version 1; one in five is captured.
4. Version 2 is registered and approved: the deployer updates the endpoint blue/green (canary,
   the stack's rollback alarms); version 1 serves until SageMaker completes the update.
5. The reviewer rejects version 2: the deployer rolls the endpoint back to version 1.
6. The rejection is delivered again (``Invoke`` with the documented event, as SageMaker "may send
   multiple events" for one change): the deployer answers ``noop``.
7. Another team approves a version in its own group: no rule matches, nothing happens.
8. Version 3 supports only ``ml.g5.xlarge``: approved, it cannot deploy on the stack's
   ``ml.m5.xlarge``; the deployer fails, Lambda retries it twice and the event lands in the
   deployer's DLQ, the endpoint untouched. Rejecting version 3 changes nothing.

The checks read what the endpoint serves from SageMaker itself (endpoint → configuration →
model → model package) after each step, and what it answers. What only the emulator records
(the events' deliveries, each attempt of the deployer, the fleet's calls as the execution role)
is checked locally under ``target.local_only``. Everything created at runtime (the model
versions, the other team's group, and the endpoint, configurations and models the deployer
creates) carries ``target.tags``.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from refarch.scenarios.approved_model_endpoint_local import local_checks
from refarch.scenarios.model_artifacts import model_artifact, serving_container
from refarch.scenarios.observe import peek_messages, read_objects, report_stack_landed
from refarch.scenarios.serving import inference_source, load_handlers
from refarch.scenarios.target import Check, Target, WaitTimedOut

REPOSITORY = "ImageRepository"
ARTIFACTS = "ArtifactsBucket"
CAPTURE = "CaptureBucket"
GROUP = "ModelRegistryGroup"
DEPLOYER = "DeployerFunction"
DEPLOYER_DLQ = "DeployerDeadLetterQueue"
UNDELIVERED = "UndeliveredEvents"
EXECUTION_ROLE = "ExecutionRole"
ROLLBACK_ALARMS = "RollbackAlarms"
KEY = "EndpointKey"
VARIANT = "AllTraffic"
#: Another team's group in the same account: its approvals are none of this stack's business.
OTHER_GROUP = "fraud-models"
#: One customer's features (tenure in months, monthly charges, support calls), as CSV.
REQUEST = "12,70.5,1"
REQUESTS_AFTER_CREATION = 5
#: The models (``model.json``): version 2 weighs support calls more than version 1.
MODELS = {
    1: {"name": "churn", "version": "v1", "weights": [0.01, 0.02, 0.3], "bias": -2.0},
    2: {"name": "churn", "version": "v2", "weights": [0.01, 0.02, 0.6], "bias": -2.2},
    3: {"name": "churn", "version": "v3", "weights": [0.01, 0.03, 0.5], "bias": -2.4},
}
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"

#: EventBridge delivers the registry's event and the deployer calls SageMaker within seconds;
#: poll ``DescribeEndpoint`` every 10 s for up to 5 minutes for the deployer's change.
DEPLOYER_POLL_SECONDS, DEPLOYER_TIMEOUT_SECONDS = 10, 300
#: Creating an endpoint or completing a blue/green update takes minutes: botocore's
#: ``endpoint_in_service`` waiter polls ``DescribeEndpoint`` every 30 s, up to 120 times
#: (botocore's sagemaker waiters-2.json;
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html).
ENDPOINT_POLL_SECONDS, ENDPOINT_TIMEOUT_SECONDS = 30, 30 * 120
#: A failed asynchronous invocation is run "two more times, with a one-minute wait between the
#: first two attempts, and two minutes between the second and third", then goes to the
#: dead-letter queue (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
DLQ_POLL_SECONDS, DLQ_TIMEOUT_SECONDS = 30, 900
#: ListMetrics: "After you create a metric, allow up to 15 minutes for the metric to appear"
#: (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).
METRICS_POLL_SECONDS, METRICS_TIMEOUT_SECONDS = 60, 900


def describe_outcome(result: Any) -> str:
    """How the trace shows the deployer's answer: its action, reason and autoscaling."""
    if not isinstance(result, dict) or "action" not in result:
        return json.dumps(result)[:160]
    text = f"{result['action']}: {result.get('reason', '')}"
    if result.get("endpoint_config"):
        text += f" [{result['endpoint_config']}]"
    if result.get("autoscaling"):
        text += f"; autoscaling {result['autoscaling']}"
    return text


def score(version: int, body: str = REQUEST) -> str:
    """What ``version`` answers for ``body``: its handlers (``inference.py``), run here."""
    handlers = load_handlers(inference_source(), pause=lambda _: None)
    model = handlers.parse_model(MODELS[version])
    rows = handlers.input_fn(body, "text/csv")
    return str(handlers.output_fn(handlers.predict_fn(rows, model), "text/csv")[0])


@dataclass(frozen=True)
class Serving:
    """What SageMaker says the endpoint serves: status, model package version, configuration."""

    status: str
    version: int
    config: str
    deployment_config: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def state(self) -> tuple[str, int]:
        """(status, version), as the checks compare them."""
        return self.status, self.version


def serving(sagemaker: Any, endpoint_name: str) -> Serving | None:
    """Read from SageMaker what the endpoint serves (endpoint → config → model → package)."""
    listed = sagemaker.list_endpoints(NameContains=endpoint_name)["Endpoints"]
    if not any(e["EndpointName"] == endpoint_name for e in listed):
        return None  # not created yet
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    (container,) = model["Containers"]
    package = sagemaker.describe_model_package(ModelPackageName=container["ModelPackageName"])
    return Serving(
        endpoint["EndpointStatus"],
        int(package["ModelPackageVersion"]),
        endpoint["EndpointConfigName"],
        endpoint.get("LastDeploymentConfig") or {},
    )


@dataclass(frozen=True)
class Version:
    """A model version the scenario registered."""

    arn: str
    number: int
    image: str


def _iso(value: Any) -> Any:
    """Timestamps as events carry them (``2021-02-24T17:00:14Z``), recursively."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value


class _Run:
    """The scenario's steps on one deployed stack, and what they showed."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.trace = target.trace
        self.sagemaker = target.client("sagemaker")
        self.runtime = target.client("sagemaker-runtime")
        self.group = target.physical_id(GROUP).rsplit("/", 1)[-1]
        self.deployer = target.physical_id(DEPLOYER)
        environment = target.client("lambda").get_function_configuration(
            FunctionName=self.deployer
        )["Environment"]["Variables"]
        self.endpoint = environment["ENDPOINT_NAME"]
        self.repository = target.physical_id(REPOSITORY)
        self.artifacts = f"s3://{target.physical_id(ARTIFACTS)}/models/"
        self.capture_location = f"s3://{target.physical_id(CAPTURE)}/datacapture"
        self.versions: dict[int, Version] = {}
        self.served: dict[str, Serving | None] = {}
        self.tags = [{"Key": k, "Value": v} for k, v in target.tags.items()]

    # -- the data scientist and the reviewer ---------------------------------------------------

    def upload_model(self, number: int) -> str:
        """Upload version ``number``'s ``model.tar.gz`` under ``models/``; return its URL."""
        url = f"{self.artifacts}churn/v{number}/model.tar.gz"
        bucket, key = url.removeprefix("s3://").split("/", 1)
        body = model_artifact(MODELS[number])
        self.target.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        self.trace.line(f"uploaded {url} ({len(body)} B)")
        return url

    def register(
        self,
        number: int,
        *,
        group: str | None = None,
        image: tuple[str, str] | None = None,
        model_data_url: str | None = None,
        description: str = "",
        instance_types: list[str] | None = None,
    ) -> Version:
        """Register a version ``PendingManualApproval`` (pushing and uploading it first)."""
        if image is None:
            pushed = self.target.serving_image(self.repository, f"1.{number - 1}.0")
            image = (pushed.uri, pushed.digest)
        uri, digest = image
        url = model_data_url or self.upload_model(number)
        specification: dict[str, Any] = {
            "Containers": [serving_container(uri, digest, url)],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        }
        if instance_types:
            specification["SupportedRealtimeInferenceInstanceTypes"] = instance_types
        group = group or self.group
        description = description or f"churn model v{number}"
        self.trace.line(f"→ CreateModelPackage in {group} ({description}), PendingManualApproval")
        arn = self.sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=description,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification=specification,
            Tags=self.tags,
        )["ModelPackageArn"]
        described = self.sagemaker.describe_model_package(ModelPackageName=arn)
        version = Version(arn, int(described["ModelPackageVersion"]), uri)
        self.trace.line(f"registered {group} version {version.number} ({description}): {arn}")
        if group == self.group:
            self.versions[number] = version
        return version

    def review(self, version: Version, status: str, description: str) -> None:
        """Approve or reject a version with ``UpdateModelPackage``, as a reviewer does."""
        group, number = version.arn.rsplit("/", 2)[-2:]
        self.trace.line(f"a reviewer sets {group} version {number} to {status}: {description}")
        self.sagemaker.update_model_package(
            ModelPackageArn=version.arn, ModelApprovalStatus=status, ApprovalDescription=description
        )

    # -- what SageMaker shows ------------------------------------------------------------------

    def note_serving(self, step: str) -> Serving | None:
        """Read and trace what the endpoint serves now."""
        now = serving(self.sagemaker, self.endpoint)
        self.served[step] = now
        status, version = now.state if now else ("no endpoint", 0)
        self.trace.line(f"SageMaker says: {self.endpoint} is {status}, serving version {version}")
        return now

    def wait_serving(self, step: str, description: str, want: Any, *, deploy: bool) -> None:
        """Wait until what the endpoint serves satisfies ``want``, then note it."""
        poll, timeout = (
            (ENDPOINT_POLL_SECONDS, ENDPOINT_TIMEOUT_SECONDS)
            if deploy
            else (DEPLOYER_POLL_SECONDS, DEPLOYER_TIMEOUT_SECONDS)
        )
        try:
            self.target.wait_until(
                description,
                lambda: want(serving(self.sagemaker, self.endpoint)),
                timeout=timeout,
                interval=poll,
            )
        except WaitTimedOut as timed_out:
            self.trace.line(f"✗ {timed_out}")
        self.note_serving(step)

    def invoke(self, count: int = 1) -> list[int]:
        """Send requests; return which version answered each (0: none of ours)."""
        answers = {score(n): n for n in MODELS}
        versions = []
        for _ in range(count):
            try:
                body = self.runtime.invoke_endpoint(
                    EndpointName=self.endpoint, ContentType="text/csv", Body=REQUEST
                )["Body"].read()
            except ClientError as error:
                self.trace.line(f"✗ InvokeEndpoint {self.endpoint}: {error}", 2)
                continue
            versions.append(answers.get(body.decode().strip(), 0))
        self.trace.line(
            f"→ InvokeEndpoint {self.endpoint} x {count}: answered by versions {versions}"
        )
        return versions

    def tag_what_the_deployer_created(self) -> None:
        """Tag the endpoint, configurations and models the deployer created with the run id."""
        names = f"{self.endpoint}-v"
        arns = [
            c["EndpointConfigArn"]
            for c in self.sagemaker.list_endpoint_configs(NameContains=names)["EndpointConfigs"]
        ] + [m["ModelArn"] for m in self.sagemaker.list_models(NameContains=names)["Models"]]
        now = serving(self.sagemaker, self.endpoint)
        if now is not None:
            arns.append(self.sagemaker.describe_endpoint(EndpointName=self.endpoint)["EndpointArn"])
        for arn in arns:
            self.sagemaker.add_tags(ResourceArn=arn, Tags=self.tags)

    def replay(self, version: Version) -> dict[str, Any]:
        """Deliver a version's state change to the deployer again, with ``Invoke``.

        The event is the documented ``SageMaker Model Package State Change``, built from the
        version's state (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package).
        """
        described = self.sagemaker.describe_model_package(ModelPackageName=version.arn)
        detail = {k: _iso(v) for k, v in described.items() if k != "ResponseMetadata"}
        detail["UpdatedModelPackageFields"] = ["ModelApprovalStatus", "ApprovalDescription"]
        _, _, _, region, account, _ = version.arn.split(":", 5)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": MODEL_PACKAGE_STATE_CHANGE,
            "source": "aws.sagemaker",
            "account": account,
            "time": _iso(datetime.now(UTC)),
            "region": region,
            "resources": [version.arn],
            "detail": detail,
        }
        self.trace.line(f"→ Invoke (RequestResponse) {self.deployer} (the same state change)")
        response = self.target.client("lambda").invoke(
            FunctionName=self.deployer, InvocationType="RequestResponse", Payload=json.dumps(event)
        )
        result = json.loads(response["Payload"].read() or b"null")
        self.trace.line(f"← {describe_outcome(result)}", 2)
        return result if isinstance(result, dict) else {}

    def dead_letters(self) -> list[dict[str, Any]]:
        """The events in the deployer's DLQ (left visible)."""
        queue = self.target.physical_id(DEPLOYER_DLQ)
        return [json.loads(m.body) for m in peek_messages(self.target.client("sqs"), queue)]


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``ApprovedModelEndpoint`` stack; return its checks."""
    run_ = _Run(target)
    try:
        return _run(run_)
    finally:
        # Teardown finds what the deployer created by the run's tag, whatever stopped the run.
        try:
            run_.tag_what_the_deployer_created()
        except ClientError as error:
            target.trace.line(f"✗ could not tag what the deployer created: {error}")


def _run(run_: _Run) -> list[Check]:
    trace, target = run_.trace, run_.target
    step: dict[str, Any] = {}

    trace.section("Run: a data scientist registers version 1 (PendingManualApproval)")
    v1 = run_.register(1)
    run_.note_serving("v1 registered")

    trace.section("Run: a reviewer approves version 1; the deployer creates the endpoint")
    run_.review(v1, "Approved", "offline AUC 0.81, bias report reviewed")
    run_.wait_serving(
        "v1 approved", "the deployer created the endpoint", lambda s: s is not None, deploy=False
    )
    run_.tag_what_the_deployer_created()

    trace.section("Run: SageMaker brings the fleet up (execution role); the endpoint is in service")
    run_.wait_serving(
        "v1 in service",
        "the endpoint is InService",
        lambda s: s is not None and s.status != "Creating",
        deploy=True,
    )
    step["after_creation"] = run_.invoke(REQUESTS_AFTER_CREATION)
    step["captured"] = _captured(run_)

    trace.section("Run: version 2 is registered and approved; a blue/green update starts")
    v2 = run_.register(2)
    run_.review(v2, "Approved", "offline AUC 0.84")
    run_.wait_serving(
        "v2 approved",
        "the deployer started the update",
        lambda s: s is not None and s.status == "Updating",
        deploy=False,
    )
    step["during_update"] = run_.invoke()
    run_.tag_what_the_deployer_created()

    trace.section("Run: SageMaker shifts traffic (canary) and completes the update")
    run_.wait_serving(
        "v2 in service",
        "the update is complete",
        lambda s: s is not None and s.status != "Updating",
        deploy=True,
    )
    step["after_update"] = run_.invoke()

    trace.section("Run: the reviewer rejects version 2; the deployer rolls back to version 1")
    run_.review(v2, "Rejected", "complaints from the retention team")
    run_.wait_serving(
        "v2 rollback started",
        "the deployer started the rollback",
        lambda s: s is not None and s.status == "Updating",
        deploy=False,
    )
    run_.tag_what_the_deployer_created()
    run_.wait_serving(
        "v2 rejected",
        "the rollback is complete",
        lambda s: s is not None and s.status != "Updating",
        deploy=True,
    )
    step["after_rollback"] = run_.invoke()

    trace.section("Run: the rejection is delivered again; the duplicate is a no-op")
    step["duplicate"] = run_.replay(v2)
    run_.note_serving("duplicate")

    trace.section(f"Run: another team approves a version in its own group ({OTHER_GROUP})")
    other_group = OTHER_GROUP if not target.live else f"{OTHER_GROUP}-{target.run_id[-4:]}"
    run_.sagemaker.create_model_package_group(
        ModelPackageGroupName=other_group,
        ModelPackageGroupDescription="Fraud models of another team",
        Tags=run_.tags,
    )
    trace.line(f"created model package group {other_group}")
    # Its version may even name the same image and artifact: only the group tells them apart.
    other = run_.register(
        1,
        group=other_group,
        image=(
            v1.image,
            run_.sagemaker.describe_model_package(ModelPackageName=v1.arn)[
                "InferenceSpecification"
            ]["Containers"][0]["ImageDigest"],
        ),
        model_data_url=f"{run_.artifacts}churn/v1/model.tar.gz",
        description="fraud model v1",
    )
    run_.review(other, "Approved", "their reviewer")
    step["other"] = other
    run_.wait_serving(
        "other group",
        "the endpoint is unchanged",
        lambda s: s is not None and s.status == "InService",
        deploy=False,
    )

    trace.section("Run: version 3 (ml.g5.xlarge only) is approved; it cannot deploy here")
    v3 = run_.register(3, instance_types=["ml.g5.xlarge"])
    run_.review(v3, "Approved", "needs a GPU")
    try:
        step["dead"] = target.wait_until(
            "the approval of version 3 is in the deployer's DLQ",
            lambda: [
                e
                for e in run_.dead_letters()
                if e.get("detail", {}).get("ModelPackageArn") == v3.arn
            ],
            timeout=DLQ_TIMEOUT_SECONDS,
            interval=DLQ_POLL_SECONDS,
        )
    except WaitTimedOut as timed_out:
        trace.line(f"✗ {timed_out}")
        step["dead"] = []
    run_.note_serving("v3 approved")
    run_.review(v3, "Rejected", "not for this endpoint")
    run_.note_serving("v3 rejected")
    step["v3"] = v3

    s3, sqs = target.client("s3"), target.client("sqs")
    report_stack_landed(trace, s3, sqs, target)
    return _checks(run_, step)


def _captured(run_: _Run) -> dict[str, Any]:
    """The capture objects under the endpoint's variant prefix, right after the first requests."""
    bucket = run_.target.physical_id(CAPTURE)
    return read_objects(run_.target.client("s3"), bucket, f"datacapture/{run_.endpoint}/")


def _checks(run_: _Run, step: dict[str, Any]) -> list[Check]:
    target, served = run_.target, run_.served
    state = {name: (now.state if now else None) for name, now in served.items()}
    stack = target.local_only(
        "the events' deliveries, the deployer's attempts and what the fleet did as the "
        "execution role are recorded by the emulator only"
    )
    checks = [
        Check(
            "version 1: registered PendingManualApproval (no endpoint), approved → the deployer "
            "created the endpoint; in service on version 1",
            state["v1 registered"] is None
            and state["v1 approved"] == ("Creating", 1)
            and state["v1 in service"] == ("InService", 1),
            f"{state['v1 approved']} → {state['v1 in service']}",
        ),
        _fleet_check(run_),
        _autoscaling_check(run_),
        _capture_check(run_, step["after_creation"], step["captured"]),
        _deployment_config_check(run_),
    ]
    first, rejected = served["v1 in service"], served["v2 rejected"]
    checks.append(
        Check(
            "version 2 approved → blue/green update: version 1 served until SageMaker completed "
            "it, then version 2",
            state["v2 approved"] == ("Updating", 1)
            and step["during_update"] == [1]
            and state["v2 in service"] == ("InService", 2)
            and step["after_update"] == [2],
            f"{state['v2 approved']} → {state['v2 in service']}",
        )
    )
    checks.append(
        Check(
            "version 2 rejected → rolled back to version 1 (a new configuration of version 1), "
            "in service, serving version 1",
            state["v2 rejected"] == ("InService", 1)
            and step["after_rollback"] == [1]
            and first is not None
            and rejected is not None
            and rejected.config.startswith(f"{run_.endpoint}-v1-")
            and rejected.config != first.config,
            rejected.config if rejected else "no endpoint",
        )
    )
    unchanged = rejected.config if rejected else None
    duplicate = served["duplicate"]
    checks.append(
        Check(
            "the same rejection delivered twice: the second is a no-op (version 1 kept, same "
            "configuration)",
            step["duplicate"].get("action") == "noop"
            and state["duplicate"] == ("InService", 1)
            and duplicate is not None
            and duplicate.config == unchanged,
            describe_outcome(step["duplicate"]),
        )
    )
    other: Version = step["other"]
    other_status = run_.sagemaker.describe_model_package(ModelPackageName=other.arn)[
        "ModelApprovalStatus"
    ]
    elsewhere = served["other group"]
    checks.append(
        Check(
            f"an approval in another group ({OTHER_GROUP}) matches no rule: the endpoint is "
            "unchanged",
            other_status == "Approved"
            and state["other group"] == ("InService", 1)
            and elsewhere is not None
            and elsewhere.config == unchanged,
        )
    )
    v3: Version = step["v3"]
    dead = step["dead"]
    checks.append(
        Check(
            "version 3 cannot deploy on ml.m5.xlarge: its approval is in the deployer's DLQ; the "
            "endpoint still serves version 1; rejecting version 3 changes nothing",
            [e.get("detail", {}).get("ModelApprovalStatus") for e in dead] == ["Approved"]
            and state["v3 approved"] == ("InService", 1)
            and state["v3 rejected"] == ("InService", 1)
            and all(
                served[s] is not None and served[s].config == unchanged  # type: ignore[union-attr]
                for s in ("v3 approved", "v3 rejected")
            ),
            f"{len(dead)} in the DLQ",
        )
    )
    queued = run_.dead_letters()
    undelivered = peek_messages(target.client("sqs"), target.physical_id(UNDELIVERED))
    checks.append(
        Check(
            "nothing lost: the deployer's DLQ holds only version 3's approval and no event is "
            "in the rules' undelivered-events queue",
            [e.get("detail", {}).get("ModelPackageArn") for e in queued] == [v3.arn]
            and not undelivered,
            f"{len(queued)} dead-lettered, {len(undelivered)} undelivered",
        )
    )
    if stack is not None:
        checks.extend(
            local_checks(
                stack.emulator,
                endpoint=run_.endpoint,
                execution_role=target.client("iam").get_role(
                    RoleName=target.physical_id(EXECUTION_ROLE)
                )["Role"]["Arn"],
                registered=run_.versions[1].arn,
                other=other.arn,
                undeployable=v3.arn,
                captured=len(step["captured"]),
            )
        )
    return checks


def _fleet_check(run_: _Run) -> Check:
    """The fleet as AWS shows it: its model's role, artifact, image, log streams and metrics."""
    target, sagemaker = run_.target, run_.sagemaker
    role = target.client("iam").get_role(RoleName=target.physical_id(EXECUTION_ROLE))["Role"]
    first = run_.served["v1 in service"]
    if first is None:
        return Check("the fleet came up as the execution role", False, "no endpoint")
    (variant,) = sagemaker.describe_endpoint_config(EndpointConfigName=first.config)[
        "ProductionVariants"
    ]
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    package = sagemaker.describe_model_package(
        ModelPackageName=model["Containers"][0]["ModelPackageName"]
    )
    (container,) = package["InferenceSpecification"]["Containers"]
    repository = target.client("ecr").describe_repositories(repositoryNames=[run_.repository])
    uri = repository["repositories"][0]["repositoryUri"]
    logs, cloudwatch = target.client("logs"), target.client("cloudwatch")
    group = f"/aws/sagemaker/Endpoints/{run_.endpoint}"
    instances = int(variant.get("InitialInstanceCount", 1))

    def written() -> tuple[list[str], int] | None:
        streams = [
            s["logStreamName"]
            for s in logs.describe_log_streams(
                logGroupName=group, logStreamNamePrefix=f"{VARIANT}/"
            )["logStreams"]
        ]
        metrics = cloudwatch.list_metrics(
            Namespace="/aws/sagemaker/Endpoints",
            Dimensions=[{"Name": "EndpointName", "Value": run_.endpoint}],
        )["Metrics"]
        return (streams, len(metrics)) if len(streams) >= instances and len(metrics) >= 3 else None

    try:
        streams, metrics = target.wait_until(
            "the fleet's container logs and instance metrics are there",
            written,
            timeout=METRICS_TIMEOUT_SECONDS,
            interval=METRICS_POLL_SECONDS,
        )
    except WaitTimedOut as timed_out:
        streams, metrics = [], 0
        target.trace.line(f"✗ {timed_out}")
    return Check(
        "the fleet came up as the execution role: model artifact from models/, image from the "
        "stack's repository, container logs and instance metrics written",
        model["ExecutionRoleArn"] == role["Arn"]
        and container["ModelDataUrl"].startswith(f"{run_.artifacts}churn/v1/")
        and container["Image"].startswith(f"{uri}:")
        and len(streams) >= instances
        and metrics >= 3,
        f"{len(streams)} log streams, {metrics} metrics",
    )


def _autoscaling_check(run_: _Run) -> Check:
    autoscaling = run_.target.client("application-autoscaling")
    resource = f"endpoint/{run_.endpoint}/variant/{VARIANT}"
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[resource]
    )["ScalableTargets"]
    policies = autoscaling.describe_scaling_policies(
        ServiceNamespace="sagemaker", ResourceId=resource
    )["ScalingPolicies"]
    tracking = policies[0].get("TargetTrackingScalingPolicyConfiguration", {}) if policies else {}
    return Check(
        "autoscaling registered: 2 to 4 instances, target tracking at 70 invocations per instance",
        [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets]
        == [(resource, 2, 4)]
        and len(policies) == 1
        and tracking.get("TargetValue") == 70.0
        and tracking.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
        == "SageMakerVariantInvocationsPerInstance",
        f"{len(targets)} targets, {len(policies)} policies",
    )


def _capture_check(run_: _Run, answered: list[int], stored: dict[str, Any]) -> Check:
    target, sagemaker = run_.target, run_.sagemaker
    key_arn = target.client("kms").describe_key(KeyId=target.physical_id(KEY))["KeyMetadata"]["Arn"]
    names = sorted({s.config for s in run_.served.values() if s is not None})
    capture = [
        sagemaker.describe_endpoint_config(EndpointConfigName=n).get("DataCaptureConfig", {})
        for n in names
    ]
    bucket = target.physical_id(CAPTURE)
    s3 = target.client("s3")
    heads = [s3.head_object(Bucket=bucket, Key=key) for key in stored]
    records = [record for item in stored.values() for record in item.records()]
    inputs = [_decoded(r["captureData"]["endpointInput"]) for r in records if "captureData" in r]
    prefix = f"datacapture/{run_.endpoint}/{VARIANT}/"
    return Check(
        f"data capture: requests and responses, 20% sampled, to {run_.capture_location} "
        f"encrypted with the endpoint key; {len(records)} of {len(answered)} requests captured",
        bool(capture)
        and all(
            c.get("EnableCapture") is True
            and c.get("InitialSamplingPercentage") == 20
            and c.get("DestinationS3Uri") == run_.capture_location
            and c.get("KmsKeyId") == key_arn
            and {o["CaptureMode"] for o in c.get("CaptureOptions", [])} == {"Input", "Output"}
            for c in capture
        )
        and answered == [1] * REQUESTS_AFTER_CREATION
        and len(records) <= len(answered)
        and all(key.startswith(prefix) and key.endswith(".jsonl") for key in stored)
        and all(
            h.get("ServerSideEncryption") == "aws:kms" and h.get("SSEKMSKeyId") == key_arn
            for h in heads
        )
        and set(inputs) <= {REQUEST},
        ", ".join(stored) or "nothing captured yet",
    )


def _decoded(side: dict[str, Any]) -> str:
    """A captured side's data: base64 unless ``encoding`` says CSV or JSON."""
    data = str(side.get("data", ""))
    return base64.b64decode(data).decode() if side.get("encoding") == "BASE64" else data


def _deployment_config_check(run_: _Run) -> Check:
    alarms = run_.target.of_type("AWS::CloudWatch::Alarm")
    rollback = sorted(a.physical_id for a in alarms if a.logical_id.startswith(ROLLBACK_ALARMS))
    configs = [
        s.deployment_config
        for name in ("v2 approved", "v2 rollback started")
        if (s := run_.served.get(name)) is not None
    ]
    config = configs[0] if configs else {}
    policy = config.get("BlueGreenUpdatePolicy", {})
    routing = policy.get("TrafficRoutingConfiguration", {})
    named = sorted(
        a["AlarmName"] for a in config.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    )
    return Check(
        "every update is blue/green with the stack's canary (10% of capacity, 300 s baking) "
        "and rolls back on the stack's 5xx and p99-latency alarms",
        len(configs) == 2
        and all(c == config for c in configs)
        and routing.get("Type") == "CANARY"
        and routing.get("CanarySize") == {"Type": "CAPACITY_PERCENT", "Value": 10}
        and routing.get("WaitIntervalInSeconds") == 300
        and policy.get("TerminationWaitInSeconds") == 300
        and len(rollback) == 2
        and named == rollback,
        ", ".join(named),
    )
