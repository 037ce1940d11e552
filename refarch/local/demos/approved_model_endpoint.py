"""The local scenario of ``approved-model-endpoint``: registry approvals in, a safe endpoint out.

What it does, in the order a reader meets it in the trace:

1. A data scientist pushes an inference image to the stack's repository, uploads a
   ``model.tar.gz`` under the artifacts bucket's ``models/`` prefix and registers version 1,
   ``PendingManualApproval``: SageMaker's state-change event matches no rule.
2. A reviewer approves it: the approval rule hands the event to the deployer (its own role, IAM
   enforced), which creates a model, an endpoint configuration (data capture, KMS) and the
   endpoint from the registry's latest approved version.
3. SageMaker brings the fleet up as the model's execution role (artifact, image, logs, metrics)
   and the endpoint is ``InService``: the ``IN_SERVICE`` event brings the deployer back, which
   registers autoscaling. Five requests are served by version 1; one in five is captured.
4. Version 2 is registered and approved: the deployer updates the endpoint blue/green (canary,
   the stack's rollback alarms); version 1 serves until SageMaker completes the update.
5. The reviewer rejects version 2: the deployer rolls the endpoint back to version 1.
6. SageMaker sends that rejection again: the duplicate is a no-op.
7. Another team approves a version in its own group: no rule matches, nothing happens.
8. Version 3 supports only ``ml.g5.xlarge``: approved, it cannot deploy on the stack's
   ``ml.m5.xlarge``; the deployer fails three times and the event lands in its DLQ, the endpoint
   untouched. Rejecting version 3 is a no-op.

The checks read what the endpoint serves from SageMaker itself (endpoint → configuration →
model → model package) after each step, and what its fleet answers.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from botocore.exceptions import ClientError

from refarch.local.landed import messages, objects, report_landed
from refarch.local.moto_sagemaker import update_requests
from refarch.local.scenario import Check
from refarch.local.sources.events import PutEvent
from refarch.local.sources.sagemaker import ModelVersion, Prediction, SageMakerService
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace
from refarch.model_artifacts import PushedImage

REPOSITORY = "ImageRepository"
CAPTURE = "CaptureBucket"
DEPLOYER_DLQ = "DeployerDeadLetterQueue"
ROLLBACK_ALARMS = "RollbackAlarms"
KEY = "EndpointKey"
VARIANT = "AllTraffic"
#: Another team's group in the same account: its approvals are none of this stack's business.
OTHER_GROUP = "fraud-models"
#: One customer's features (tenure in months, monthly charges, support calls), as CSV.
REQUEST = "12,70.5,1"
REQUESTS_AFTER_CREATION = 5
#: The emulated models: version 2 weighs support calls more than version 1.
MODELS = {
    1: {"name": "churn", "version": "v1", "weights": [0.01, 0.02, 0.3], "bias": -2.0},
    2: {"name": "churn", "version": "v2", "weights": [0.01, 0.02, 0.6], "bias": -2.2},
    3: {"name": "churn", "version": "v3", "weights": [0.01, 0.03, 0.5], "bias": -2.4},
}


def _outcome(result: Any) -> str:
    """How the trace shows the deployer's answer: its action, reason and autoscaling."""
    if not isinstance(result, dict) or "action" not in result:
        return json.dumps(result)[:160]
    text = f"{result['action']}: {result.get('reason', '')}"
    if result.get("endpoint_config"):
        text += f" [{result['endpoint_config']}]"
    if result.get("autoscaling"):
        text += f"; autoscaling {result['autoscaling']}"
    return text


def serving(stack: LocalStack) -> tuple[str, int] | None:
    """What the endpoint serves, read from SageMaker: (status, model package version)."""
    sagemaker = stack.emulator.client("sagemaker")
    name = stack.output("EndpointName")
    if not any(
        e["EndpointName"] == name for e in sagemaker.list_endpoints(NameContains=name)["Endpoints"]
    ):
        return None
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    (variant,) = config["ProductionVariants"]
    model = sagemaker.describe_model(ModelName=variant["ModelName"])
    (container,) = model["Containers"]
    package = sagemaker.describe_model_package(ModelPackageName=container["ModelPackageName"])
    return endpoint["EndpointStatus"], int(package["ModelPackageVersion"])


class _Scenario:
    """The scenario's steps on one deployed stack, and what they produced."""

    def __init__(self, stack: LocalStack, trace: Trace) -> None:
        self.stack = stack
        self.trace = trace
        self.aws = stack.emulator
        self.sagemaker: SageMakerService = self.aws.sagemaker
        self.group = str(stack.output("ModelPackageGroupName"))
        self.endpoint = str(stack.output("EndpointName"))
        self.repository = stack.physical_id(REPOSITORY)
        self.artifacts = str(stack.output("ArtifactsLocation"))
        self.versions: dict[int, ModelVersion] = {}
        self.images: dict[int, PushedImage] = {}
        self.served: dict[str, tuple[str, int] | None] = {}

    def note_serving(self, step: str) -> None:
        self.served[step] = serving(self.stack)
        status, version = self.served[step] or ("no endpoint", 0)
        self.trace.line(f"SageMaker says: {self.endpoint} is {status}, serving version {version}")

    def register(self, number: int, **extra: Any) -> ModelVersion:
        """Push, upload and register version ``number`` in the stack's group.

        Each version has its own image tag (the repository's tags are immutable) and its own
        ``model.tar.gz`` under ``models/``.
        """
        image = self.sagemaker.push_image(self.repository, f"1.{number - 1}.0", label=f"v{number}")
        self.images[number] = image
        url = self.sagemaker.upload_model(
            f"{self.artifacts}churn/v{number}/model.tar.gz", MODELS[number]
        )
        self.versions[number] = self.sagemaker.register(
            self.group,
            image=image,
            model_data_url=url,
            description=f"churn model v{number}",
            **extra,
        )
        return self.versions[number]

    def invoke(self, count: int = 1) -> list[Prediction]:
        """Send requests; a request the endpoint cannot serve is traced, not raised."""
        answers = []
        for _ in range(count):
            try:
                answers.append(self.sagemaker.invoke(self.endpoint, REQUEST))
            except (ValueError, ClientError) as exc:
                self.trace.line(f"✗ InvokeEndpoint {self.endpoint}: {exc}", 2)
        return answers


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``ApprovedModelEndpoint`` stack; return its checks."""
    aws = stack.emulator
    aws.lambda_service.describe_result = _outcome
    run_ = _Scenario(stack, trace)
    sm = run_.sagemaker

    trace.section("Run: a data scientist registers version 1 (PendingManualApproval)")
    v1 = run_.register(1)

    trace.section("Run: a reviewer approves version 1; the deployer creates the endpoint")
    sm.review(v1.arn, "Approved", "offline AUC 0.81, bias report reviewed")
    run_.note_serving("v1 approved")

    trace.section("Run: SageMaker brings the fleet up (execution role); the endpoint is in service")
    first = sm.complete_deployments()
    run_.note_serving("v1 in service")
    after_creation = run_.invoke(REQUESTS_AFTER_CREATION)

    trace.section("Run: version 2 is registered and approved; a blue/green update starts")
    v2 = run_.register(2)
    sm.review(v2.arn, "Approved", "offline AUC 0.84")
    run_.note_serving("v2 approved")
    during_update = run_.invoke()

    trace.section("Run: SageMaker shifts traffic (canary) and completes the update")
    second = sm.complete_deployments()
    run_.note_serving("v2 in service")
    after_update = run_.invoke()

    trace.section("Run: the reviewer rejects version 2; the deployer rolls back to version 1")
    rejection = sm.review(v2.arn, "Rejected", "complaints from the retention team")
    third = sm.complete_deployments()
    run_.note_serving("v2 rejected")
    after_rollback = run_.invoke()

    trace.section("Run: SageMaker sends the rejection again; the duplicate is a no-op")
    updates_before = len(_updates(run_))
    duplicate = sm.resend(rejection)
    run_.note_serving("duplicate")

    trace.section(f"Run: another team approves a version in its own group ({OTHER_GROUP})")
    sm.create_group(OTHER_GROUP, "Fraud models of another team")
    # Its version may even name the same image and artifact: only the group tells them apart.
    other = sm.register(
        OTHER_GROUP,
        image=run_.images[1],
        model_data_url=f"{run_.artifacts}churn/v1/model.tar.gz",
        description="fraud model v1",
    )
    elsewhere = sm.review(other.arn, "Approved", "their reviewer")
    run_.note_serving("other group")

    trace.section("Run: version 3 (ml.g5.xlarge only) is approved; it cannot deploy here")
    v3 = run_.register(3, instance_types=["ml.g5.xlarge"])
    undeployable = sm.review(v3.arn, "Approved", "needs a GPU")
    run_.note_serving("v3 approved")
    v3_rejected = sm.review(v3.arn, "Rejected", "not for this endpoint")
    run_.note_serving("v3 rejected")

    report_landed(stack, trace)
    return _checks(
        run_,
        first=first,
        second=second,
        third=third,
        after_creation=after_creation,
        during_update=during_update,
        after_update=after_update,
        after_rollback=after_rollback,
        duplicate=duplicate,
        updates_before=updates_before,
        elsewhere=elsewhere,
        undeployable=undeployable,
        v3_rejected=v3_rejected,
    )


def _updates(run_: _Scenario) -> list[dict[str, Any]]:
    aws = run_.aws
    return update_requests(run_.endpoint, account_id=aws.account_id, region_name=aws.region)


def _deployer_results(put: PutEvent, run_: _Scenario) -> list[Any]:
    """What the deployer returned for one event (every attempt's result, in order)."""
    results = []
    for outcome in run_.aws.lambda_service.outcomes:
        if outcome.event.get("id") == put.event["id"]:
            results.extend(attempt.result for attempt in outcome.attempts)
    return results


def _action(put: PutEvent, run_: _Scenario) -> str:
    results = [r for r in _deployer_results(put, run_) if isinstance(r, dict)]
    return str(results[-1]["action"]) if results else "none"


def _checks(run_: _Scenario, **step: Any) -> list[Check]:
    aws, stack = run_.aws, run_.stack
    served = run_.served
    checks: list[Check] = []

    first = step["first"]
    fleet = first[0].fleets[0] if first and first[0].fleets else None
    checks.append(
        Check(
            "version 1: registered PendingManualApproval (no rule matched), approved → the "
            "deployer created the endpoint; in service on version 1",
            not run_.versions[1].event.deliveries
            and served["v1 approved"] == ("Creating", 1)
            and served["v1 in service"] == ("InService", 1),
            f"{served['v1 approved']} → {served['v1 in service']}",
        )
    )
    role = str(stack.output("ExecutionRoleArn"))
    logs = aws.client("logs").describe_log_streams(
        logGroupName=f"/aws/sagemaker/Endpoints/{run_.endpoint}"
    )["logStreams"]
    metrics = aws.client("cloudwatch").list_metrics(Namespace="/aws/sagemaker/Endpoints")
    checks.append(
        Check(
            "the fleet came up as the execution role: model artifact read from models/, image "
            "pulled from the stack's repository, container logs and instance metrics written",
            fleet is not None
            and not fleet.error
            and fleet.execution_role == role
            and "/models/churn/v1/" in fleet.artifact
            and fleet.image.split("/", 1)[1].startswith(run_.repository)
            and fleet.layers == 2
            and len(fleet.log_streams) == 2
            and {s["logStreamName"] for s in logs} >= set(fleet.log_streams)
            and len(metrics["Metrics"]) >= 3,
            fleet.error if fleet else "no fleet",
        )
    )
    checks.append(_autoscaling_check(run_))
    checks.append(_capture_check(run_, step["after_creation"]))
    checks.append(_deployment_config_check(run_))
    during, after = step["during_update"], step["after_update"]
    checks.append(
        Check(
            "version 2 approved → blue/green update: version 1 served until SageMaker completed "
            "it (canary, then the rest), then version 2",
            served["v2 approved"] == ("Updating", 1)
            and [p.version for p in during] == ["v1"]
            and len(step["second"]) == 1
            and step["second"][0].ok
            and step["second"][0].traffic_steps[0].startswith("canary 10")
            and served["v2 in service"] == ("InService", 2)
            and [p.version for p in after] == ["v2"],
            f"{served['v2 approved']} → {served['v2 in service']}",
        )
    )
    updates = _updates(run_)
    checks.append(
        Check(
            "version 2 rejected → rolled back to version 1 (a new configuration of version 1), "
            "in service, serving version 1",
            len(step["third"]) == 1
            and step["third"][0].ok
            and served["v2 rejected"] == ("InService", 1)
            and [p.version for p in step["after_rollback"]] == ["v1"]
            and len(updates) == 2
            and updates[1]["EndpointConfigName"].startswith(f"{run_.endpoint}-v1-"),
            ", ".join(u["EndpointConfigName"] for u in updates),
        )
    )
    checks.append(
        Check(
            "the same rejection sent twice: the second is a no-op (no update, version 1 kept)",
            _action(step["duplicate"], run_) == "noop"
            and len(updates) == step["updates_before"]
            and served["duplicate"] == ("InService", 1),
            _action(step["duplicate"], run_),
        )
    )
    elsewhere = step["elsewhere"]
    checks.append(
        Check(
            f"an approval in another group ({OTHER_GROUP}) matches no rule: the deployer is not "
            "invoked and the endpoint is unchanged",
            elsewhere.event["detail"]["ModelApprovalStatus"] == "Approved"
            and not elsewhere.deliveries
            and not _deployer_results(elsewhere, run_)
            and served["other group"] == ("InService", 1),
        )
    )
    checks.append(_undeployable_check(run_, step["undeployable"], step["v3_rejected"]))
    checks.append(_nothing_lost_check(run_))
    return checks


def _autoscaling_check(run_: _Scenario) -> Check:
    autoscaling = run_.aws.client("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")[
        "ScalingPolicies"
    ]
    said = [
        attempt.result.get("autoscaling")
        for outcome in run_.aws.lambda_service.outcomes
        for attempt in outcome.attempts
        if isinstance(attempt.result, dict) and attempt.result.get("autoscaling")
    ]
    tracking = policies[0].get("TargetTrackingScalingPolicyConfiguration", {}) if policies else {}
    return Check(
        "autoscaling registered once, when the endpoint was first in service: 2 to 4 "
        "instances, target tracking at 70 invocations per instance; unchanged afterwards",
        [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets]
        == [(f"endpoint/{run_.endpoint}/variant/{VARIANT}", 2, 4)]
        and len(policies) == 1
        and tracking.get("TargetValue") == 70.0
        and tracking.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
        == "SageMakerVariantInvocationsPerInstance"
        and said[:1] == ["registered"]
        and set(said[1:]) == {"unchanged"},
        ", ".join(said),
    )


def _capture_check(run_: _Scenario, answered: list[Prediction]) -> Check:
    stack, aws = run_.stack, run_.aws
    sagemaker = aws.client("sagemaker")
    key_arn = stack.resource(KEY).attributes["Arn"]
    location = str(stack.output("DataCaptureLocation"))
    configs = [
        sagemaker.describe_endpoint_config(EndpointConfigName=d.config_name)
        for d in run_.sagemaker.deployments
    ]
    capture = [c.get("DataCaptureConfig", {}) for c in configs]
    captured = [p.captured_key for p in answered if p.captured_key]
    bucket = stack.physical_id(CAPTURE)
    stored = objects(stack, CAPTURE, "datacapture/")
    heads = [aws.client("s3").head_object(Bucket=bucket, Key=key) for key in stored]
    records = [record for item in stored.values() for record in item.records()]
    inputs = [base64.b64decode(r["captureData"]["endpointInput"]["data"]).decode() for r in records]
    prefix = f"datacapture/{run_.endpoint}/{VARIANT}/"
    return Check(
        f"data capture: requests and responses, 20% sampled, to {location} encrypted with the "
        f"endpoint key; {len(captured)} of {len(answered)} requests captured",
        bool(configs)
        and all(
            c.get("EnableCapture") is True
            and c.get("InitialSamplingPercentage") == 20
            and c.get("DestinationS3Uri") == location
            and c.get("KmsKeyId") == key_arn
            and {o["CaptureMode"] for o in c.get("CaptureOptions", [])} == {"Input", "Output"}
            for c in capture
        )
        and len(answered) == REQUESTS_AFTER_CREATION
        and len(captured) == 1
        and all(key.startswith(prefix) and key.endswith(".jsonl") for key in stored)
        and all(
            h.get("ServerSideEncryption") == "aws:kms" and h.get("SSEKMSKeyId") == key_arn
            for h in heads
        )
        and inputs
        and set(inputs) == {REQUEST},
        ", ".join(stored),
    )


def _deployment_config_check(run_: _Scenario) -> Check:
    updates = _updates(run_)
    alarms = run_.stack.of_type("AWS::CloudWatch::Alarm")
    rollback = sorted(a.physical_id for a in alarms if a.logical_id.startswith(ROLLBACK_ALARMS))
    config = updates[0]["DeploymentConfig"] if updates else {}
    policy = config.get("BlueGreenUpdatePolicy", {})
    routing = policy.get("TrafficRoutingConfiguration", {})
    named = sorted(
        a["AlarmName"] for a in config.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    )
    return Check(
        "every update is blue/green with the stack's canary (10% of capacity, 300 s baking) "
        "and rolls back on the stack's 5xx and p99-latency alarms; instance counts retained",
        len(updates) >= 1
        and all(u["DeploymentConfig"] == config for u in updates)
        and all(u["RetainAllVariantProperties"] for u in updates)
        and routing.get("Type") == "CANARY"
        and routing.get("CanarySize") == {"Type": "CAPACITY_PERCENT", "Value": 10}
        and routing.get("WaitIntervalInSeconds") == 300
        and policy.get("TerminationWaitInSeconds") == 300
        and len(rollback) == 2
        and named == rollback,
        ", ".join(named),
    )


def _undeployable_check(run_: _Scenario, approval: PutEvent, rejection: PutEvent) -> Check:
    outcome = next(
        (o for o in run_.aws.lambda_service.outcomes if o.event.get("id") == approval.event["id"]),
        None,
    )
    queued = messages(run_.stack, DEPLOYER_DLQ)
    errors = [a.error.error_type for a in outcome.attempts if a.error] if outcome else []
    return Check(
        "version 3 cannot deploy on ml.m5.xlarge: the deployer failed 3 times and the approval "
        "is in its DLQ; the endpoint still serves version 1; rejecting version 3 is a no-op",
        outcome is not None
        and outcome.status == "dead-lettered"
        and errors == ["PackageNotDeployableError"] * 3
        and [json.loads(m.body).get("id") for m in queued] == [approval.event["id"]]
        and run_.served["v3 approved"] == ("InService", 1)
        and _action(rejection, run_) == "noop"
        and run_.served["v3 rejected"] == ("InService", 1),
        ", ".join(errors),
    )


def _nothing_lost_check(run_: _Scenario) -> Check:
    aws = run_.aws
    outcomes = aws.lambda_service.outcomes
    statuses = [o.status for o in outcomes]
    matched = [put for put in aws.events.events if put.deliveries]
    delivered = all(d.delivered for put in matched for d in put.deliveries)
    return Check(
        f"nothing lost: {len(matched)} SageMaker events matched a rule and reached the "
        f"deployer; {statuses.count('succeeded')} invocations succeeded, "
        f"{statuses.count('dead-lettered')} dead-lettered (version 3)",
        delivered
        and not aws.lambda_service.lost
        and statuses.count("dead-lettered") == 1
        and statuses.count("succeeded") == len(statuses) - 1,
    )
