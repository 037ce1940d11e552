"""SageMaker, played locally: the registry's producers and reviewers, hosting, and the runtime.

What the SageMaker service does around a model registry and an endpoint, and how the runner does
the same (``Emulator.sagemaker``):

=====================================================  ===========================================
SageMaker (or the people using it)                     here
=====================================================  ===========================================
a data scientist pushes the inference image to ECR     layers uploaded (``InitiateLayerUpload``,
and uploads ``model.tar.gz``                           ``UploadLayerPart``, ``CompleteLayerUpload``)
                                                       and the manifest put (``PutImage``); the
                                                       artifact put in S3 (the deployer's identity)
registers a version, ``PendingManualApproval``         ``CreateModelPackage`` in the group, then the
                                                       ``SageMaker Model Package State Change``
                                                       event on the default bus
a reviewer approves or rejects it                      ``UpdateModelPackage``, then the event, with
                                                       ``UpdatedModelPackageFields``
SageMaker "may send multiple events ... for each       ``resend``: the same event again
state change" (EventBridge guide)
brings an endpoint's (green) fleet up: assumes the     ``sts:AssumeRole`` after the trust check
model's execution role (``sagemaker.amazonaws.com``)   (``aws:SourceAccount``), then as the role:
reads the model artifact, pulls the image,             ``GetObject``; ``GetAuthorizationToken``,
                                                       ``BatchGetImage``, ``GetDownloadUrlForLayer``
                                                       per layer;
writes the container logs and instance metrics         ``CreateLogGroup``, ``DescribeLogStreams``,
                                                       ``CreateLogStream``/``PutLogEvents`` in
                                                       ``/aws/sagemaker/Endpoints/<endpoint>``,
                                                       ``PutMetricData`` in that namespace
shifts traffic (blue/green) per the update's           each step traced; before each shift the
``DeploymentConfig``, watching its alarms              rollback alarms are read as the execution
                                                       role (``DescribeAlarms``): one in ``ALARM``
                                                       or unreadable rolls the update back
ends the deployment and emits ``SageMaker Endpoint     ``InService`` (or ``Failed``, or rolled
State Change`` (``IN_SERVICE``, ``FAILED``)            back), then the event on the default bus
serves ``InvokeEndpoint`` and captures a sample of     the fleet's model answers; a sampled request
requests and responses (data capture)                  and its response are written as the
                                                       execution role, SSE-KMS with the capture key,
                                                       under ``<uri>/<endpoint>/<variant>/
                                                       yyyy/mm/dd/hh/``
=====================================================  ===========================================

Who signs what: the data scientist, the reviewer, the client calling ``InvokeEndpoint`` and
SageMaker's reads of its own resources (``DescribeEndpoint``, ``DescribeModel``...) use the
deployer's identity, an administrator: none of them is a role of the stack. Everything SageMaker
does with a model's execution role is signed as that role, IAM enforced, so a statement missing
from it fails the deployment (or the capture) as it would in AWS.

The model runs its own code: its ``model.tar.gz`` (read from S3 as the execution role when the
fleet comes up) holds ``model.json`` and the handlers SageMaker's scikit-learn container would
run, ``code/inference.py``; ``sources.model_server`` imports and runs them as the container does,
so what an endpoint answers says which version its fleet runs, and a model's latency is time on
the emulator's inference clock. Not emulated: instances, the container image itself (pulled,
never run), baking time (no sleeping: each traffic step is traced with its wait), random
sampling (deterministic: the n-th request is captured when ``n * percent / 100`` reaches a new
whole number).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.local.errors import LocalRunnerError
from refarch.local.identities import assume_role_as_service
from refarch.local.moto_sagemaker import roll_back_update, set_endpoint_status, update_requests
from refarch.local.s3_url import split_s3_url
from refarch.local.sources.log_groups import create_log_group
from refarch.local.sources.model_server import LoadedModel, start_container
from refarch.model_monitor.capture import capture_side
from refarch.scenarios.model_artifacts import (
    ECR_IMAGE,
    MANIFEST_MEDIA_TYPE,
    PushedImage,
    model_artifact,
    push_image,
    serving_container,
)

if TYPE_CHECKING:
    import boto3

    from refarch.local.account import LocalAccount
    from refarch.local.sources.events import EventBus, PutEvent

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"
SOURCE = "aws.sagemaker"
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
#: Where SageMaker writes an endpoint's container logs and instance metrics (AWS docs).
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
INSTANCE_METRICS_NAMESPACE = "/aws/sagemaker/Endpoints"
#: The instance metrics SageMaker publishes per variant (AWS docs: SageMaker metrics).
INSTANCE_METRICS = ("CPUUtilization", "MemoryUtilization", "DiskUtilization")


def event_status(status: str) -> str:
    """An API ``EndpointStatus`` as endpoint events spell it: ``InService`` → ``IN_SERVICE``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", status).upper()


def _iso(moment: Any) -> Any:
    """Timestamps as events carry them (``2021-02-24T17:00:14Z``); other values unchanged."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(moment, dict):
        return {key: _iso(value) for key, value in moment.items()}
    if isinstance(moment, list):
        return [_iso(value) for value in moment]
    return moment


def _epoch_ms(moment: Any) -> float:
    return moment.timestamp() * 1000 if isinstance(moment, datetime) else float(moment or 0)


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version."""

    arn: str
    version: int
    group: str
    event: PutEvent


@dataclass
class FleetLaunch:
    """What bringing one variant's fleet up did, as the execution role."""

    variant: str
    model_name: str
    package_arn: str = ""
    execution_role: str = ""
    instances: int = 0
    artifact: str = ""
    image: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    layers: int = 0
    log_streams: list[str] = field(default_factory=list)
    loaded: LoadedModel | None = None
    error: str = ""


@dataclass
class Deployment:
    """One endpoint creation or update, brought to its end."""

    endpoint_name: str
    kind: str
    """``create`` or ``update``."""

    config_name: str
    status: str = ""
    """The endpoint's status at the end: ``InService`` or ``Failed``."""

    rolled_back: bool = False
    reason: str = ""
    fleets: list[FleetLaunch] = field(default_factory=list)
    traffic_steps: list[str] = field(default_factory=list)
    events: list[PutEvent] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True if the new configuration is in service."""
        return self.status == "InService" and not self.rolled_back


@dataclass(frozen=True)
class Prediction:
    """What one ``InvokeEndpoint`` answered, and whether the request was captured."""

    endpoint_name: str
    variant: str
    package_arn: str
    version: str
    body: str
    captured_key: str | None
    capture_error: str = ""
    """Why a sampled request could not be captured (it is still answered, as in AWS)."""

    content_type: str = "text/csv"
    """The answer's content type, as the model's ``output_fn`` gave it."""


class SageMakerService:
    """SageMaker in the emulator: registry events, endpoint deployments, invocations."""

    def __init__(self, emulator: LocalAccount, *, events: EventBus) -> None:
        self._emulator = emulator
        self._events = events
        self._fleets: dict[str, dict[str, LoadedModel]] = {}
        """The loaded models of each endpoint configuration brought up, by variant."""
        self._requests: dict[str, int] = {}
        self.deployments: list[Deployment] = []
        self.predictions: list[Prediction] = []

    @property
    def _trace(self) -> Any:
        return self._emulator.trace

    def _client(self, service: str) -> Any:
        """The deployer's client: producers, reviewers and SageMaker's reads of its own state."""
        return self._emulator.client(service)

    # -- producers: the data scientist and the reviewer -----------------------------------------

    def push_image(self, repository: str, tag: str, *, label: str = "") -> PushedImage:
        """Push a small image (config and one layer) to an ECR repository, as CI would."""
        image = push_image(
            self._client("ecr"), repository, tag, region=self._emulator.region, label=label
        )
        self._trace.line(
            f"pushed image {image.uri} ({image.digest[:19]}…, {len(image.blobs)} blobs)"
        )
        return image

    def upload_model(self, s3_url: str, model: dict[str, Any]) -> str:
        """Upload a ``model.tar.gz`` holding ``model`` to ``s3_url``; return the URL."""
        bucket, key = split_s3_url(s3_url)
        body = model_artifact(model)
        self._client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        self._trace.line(f"uploaded {s3_url} ({len(body)} B)")
        return s3_url

    def create_group(self, name: str, description: str) -> str:
        """Create a model package group outside any stack (another team's); return its ARN."""
        arn = self._client("sagemaker").create_model_package_group(
            ModelPackageGroupName=name, ModelPackageGroupDescription=description
        )["ModelPackageGroupArn"]
        self._trace.line(f"created model package group {name}")
        return str(arn)

    def register(
        self,
        group: str,
        *,
        image: PushedImage,
        model_data_url: str,
        description: str,
        instance_types: list[str] | None = None,
    ) -> ModelVersion:
        """Register a version ``PendingManualApproval``; SageMaker emits its state change."""
        specification: dict[str, Any] = {
            "Containers": [serving_container(image.uri, image.digest, model_data_url)],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        }
        if instance_types:
            specification["SupportedRealtimeInferenceInstanceTypes"] = instance_types
        sagemaker = self._client("sagemaker")
        arn = sagemaker.create_model_package(
            ModelPackageGroupName=group,
            ModelPackageDescription=description,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification=specification,
        )["ModelPackageArn"]
        described = sagemaker.describe_model_package(ModelPackageName=arn)
        version = int(described["ModelPackageVersion"])
        self._trace.line(f"registered {group} version {version} ({description}): {arn}")
        event = self._package_event(described, updated=())
        return ModelVersion(arn=arn, version=version, group=group, event=event)

    def review(self, package_arn: str, status: str, description: str) -> PutEvent:
        """Approve or reject a version (``UpdateModelPackage``); SageMaker emits the change."""
        sagemaker = self._client("sagemaker")
        sagemaker.update_model_package(
            ModelPackageArn=package_arn,
            ModelApprovalStatus=status,
            ApprovalDescription=description,
        )
        group, version = package_arn.rsplit("/", 2)[-2:]
        self._trace.line(f"a reviewer sets {group} version {version} to {status}: {description}")
        described = sagemaker.describe_model_package(ModelPackageName=package_arn)
        return self._package_event(
            described, updated=("ModelApprovalStatus", "ApprovalDescription")
        )

    def resend(self, put: PutEvent) -> PutEvent:
        """Emit an event again: SageMaker may send several events for one state change."""
        self._trace.line("SageMaker sends the same state change again")
        event = put.event
        return self._events.put(
            source=event["source"],
            detail_type=event["detail-type"],
            detail=event["detail"],
            resources=event["resources"],
        )

    def package_changed(self, package_arn: str, *, updated: tuple[str, ...]) -> PutEvent:
        """Emit the state change of a version the registry just created or updated."""
        described = self._client("sagemaker").describe_model_package(ModelPackageName=package_arn)
        return self._package_event(described, updated=updated)

    def _package_event(self, described: dict[str, Any], *, updated: tuple[str, ...]) -> PutEvent:
        """The documented ``SageMaker Model Package State Change``, from the package's state."""
        detail = {k: _iso(v) for k, v in described.items() if k != "ResponseMetadata"}
        if updated:
            detail["UpdatedModelPackageFields"] = list(updated)
        return self._events.put(
            source=SOURCE,
            detail_type=MODEL_PACKAGE_STATE_CHANGE,
            detail=detail,
            resources=[described["ModelPackageArn"]],
        )

    # -- hosting: deployments -------------------------------------------------------------------

    def complete_deployments(self) -> list[Deployment]:
        """Bring every endpoint that is ``Creating`` or ``Updating`` to the end of its deployment.

        For each: the new configuration's fleets come up under their models' execution roles;
        an update then shifts traffic per its ``DeploymentConfig`` while its alarms stay OK.
        Success: ``InService`` on the new configuration. A fleet that cannot come up fails a
        creation (``Failed``) and rolls an update back (``InService`` on the old configuration),
        as does an alarm in ``ALARM`` during an update. Each ends with its state-change event.
        """
        sagemaker = self._client("sagemaker")
        done = []
        for status in ("Creating", "Updating"):
            for summary in sagemaker.list_endpoints(StatusEquals=status)["Endpoints"]:
                done.append(self._complete(summary["EndpointName"], status))
        return done

    def _complete(self, endpoint_name: str, status: str) -> Deployment:
        emu = self._emulator
        sagemaker = self._client("sagemaker")
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        request: dict[str, Any] = {}
        if status == "Updating":
            request = update_requests(
                endpoint_name, account_id=emu.account_id, region_name=emu.region
            )[-1]
            config_name = request["EndpointConfigName"]
        else:
            config_name = endpoint["EndpointConfigName"]
        kind = "update" if status == "Updating" else "create"
        deployment = Deployment(endpoint_name=endpoint_name, kind=kind, config_name=config_name)
        self.deployments.append(deployment)
        self._trace.line(f"SageMaker: {endpoint_name} is {status} ({kind} to {config_name})")
        deployment.events.append(self._endpoint_event(endpoint_name))
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        live = {v["VariantName"]: v for v in endpoint.get("ProductionVariants", [])}
        loaded: dict[str, LoadedModel] = {}
        retain = bool(request.get("RetainAllVariantProperties"))
        for variant in config["ProductionVariants"]:
            # RetainAllVariantProperties keeps the live instance count (what autoscaling set).
            retained = live.get(variant["VariantName"], {}) if retain else {}
            fleet = self._launch(endpoint_name, variant, retained)
            deployment.fleets.append(fleet)
            if fleet.error:
                return self._fail(deployment, fleet.error)
            assert fleet.loaded is not None
            loaded[variant["VariantName"]] = fleet.loaded
        self._fleets[config_name] = loaded
        if kind == "update":
            failure = self._shift_traffic(deployment, request.get("DeploymentConfig") or {})
            if failure:
                return self._fail(deployment, failure)
        set_endpoint_status(
            endpoint_name, "InService", account_id=emu.account_id, region_name=emu.region
        )
        deployment.status = "InService"
        self._trace.line(f"SageMaker: {endpoint_name} is InService on {config_name}", 2)
        deployment.events.append(self._endpoint_event(endpoint_name))
        return deployment

    def _fail(self, deployment: Deployment, reason: str) -> Deployment:
        """A creation ends ``Failed``; an update is rolled back to the blue fleet."""
        emu = self._emulator
        name = deployment.endpoint_name
        deployment.reason = reason
        if deployment.kind == "update":
            roll_back_update(name, account_id=emu.account_id, region_name=emu.region)
            deployment.status, deployment.rolled_back = "InService", True
            self._trace.line(f"✗ SageMaker rolls {name} back to its blue fleet: {reason}", 2)
        else:
            set_endpoint_status(
                name,
                "Failed",
                failure_reason=reason,
                account_id=emu.account_id,
                region_name=emu.region,
            )
            deployment.status = "Failed"
            self._trace.line(f"✗ SageMaker: {name} is Failed: {reason}", 2)
        deployment.events.append(self._endpoint_event(name))
        return deployment

    def _launch(
        self, endpoint_name: str, variant: dict[str, Any], retained: dict[str, Any]
    ) -> FleetLaunch:
        """Bring one variant's fleet up as its model's execution role."""
        sagemaker = self._client("sagemaker")
        fleet = FleetLaunch(variant=variant["VariantName"], model_name=variant["ModelName"])
        model = sagemaker.describe_model(ModelName=fleet.model_name)
        fleet.execution_role = model["ExecutionRoleArn"]
        container = (model.get("Containers") or [model.get("PrimaryContainer") or {}])[0]
        image, model_data_url = container.get("Image"), container.get("ModelDataUrl")
        environment = container.get("Environment") or {}
        fleet.package_arn = container.get("ModelPackageName", "")
        if fleet.package_arn:
            package = sagemaker.describe_model_package(ModelPackageName=fleet.package_arn)
            (spec,) = package["InferenceSpecification"]["Containers"][:1]
            image, model_data_url = spec["Image"], spec.get("ModelDataUrl")
            # A model's own Environment is merged over its package's
            # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html).
            environment = {**(spec.get("Environment") or {}), **environment}
        fleet.image, fleet.artifact = str(image), str(model_data_url or "")
        fleet.environment = dict(environment)
        if "ServerlessConfig" in variant:
            fleet.instances = 1
        else:
            fleet.instances = int(
                retained.get("CurrentInstanceCount") or variant.get("InitialInstanceCount") or 1
            )
        self._trace.line(
            f"green fleet {fleet.variant}: {fleet.instances} x "
            f"{variant.get('InstanceType', 'serverless')} as {fleet.execution_role}",
            2,
        )
        try:
            session = assume_role_as_service(
                self._emulator.deployer,
                fleet.execution_role,
                service=SAGEMAKER_PRINCIPAL,
                session_name=f"{endpoint_name}-{fleet.variant}"[:64],
                account_id=self._emulator.account_id,
            )
            artifact = self._read_artifact(session, fleet)
            fleet.layers = self._pull_image(session, fleet.image)
            fleet.loaded = start_container(
                artifact,
                fleet.environment,
                package_arn=fleet.package_arn,
                pause=self._emulator.inference_clock.advance,
            )
            self._trace.line(
                f"container loaded model {fleet.loaded.description} with "
                f"{fleet.environment.get('SAGEMAKER_PROGRAM')}",
                3,
            )
            self._write_startup_logs(session, endpoint_name, fleet)
            self._publish_instance_metrics(session, endpoint_name, fleet.variant)
        except (ClientError, ValueError, LocalRunnerError) as exc:
            fleet.error = f"{fleet.variant}: {exc}"
            fleet.loaded = None
            self._trace.line(f"✗ {fleet.error}", 3)
        return fleet

    def _read_artifact(self, session: boto3.Session, fleet: FleetLaunch) -> bytes:
        if not fleet.artifact:
            raise ValueError(f"{fleet.model_name} has no ModelDataUrl: no model to load")
        bucket, key = split_s3_url(fleet.artifact)
        body: bytes = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        self._trace.line(f"read {fleet.artifact} ({len(body)} B)", 3)
        return body

    def _pull_image(self, session: boto3.Session, image: str) -> int:
        """Pull as ``docker pull`` against ECR does: token, manifest, each blob's URL."""
        match = ECR_IMAGE.match(image)
        if match is None:
            raise ValueError(f"{image} is not an ECR image the execution role can pull")
        ecr = session.client("ecr")
        ecr.get_authorization_token(registryIds=[match["registry"]])
        image_id = {"imageDigest": match["digest"]} if match["digest"] else {}
        if match["tag"]:
            image_id["imageTag"] = match["tag"]
        answer = ecr.batch_get_image(
            registryId=match["registry"],
            repositoryName=match["repository"],
            imageIds=[image_id],
            acceptedMediaTypes=[MANIFEST_MEDIA_TYPE],
        )
        if not answer["images"]:
            raise ValueError(f"{image}: {answer['failures']}")
        manifest = json.loads(answer["images"][0]["imageManifest"])
        blobs = [manifest["config"], *manifest.get("layers", [])]
        for blob in blobs:
            ecr.get_download_url_for_layer(
                registryId=match["registry"],
                repositoryName=match["repository"],
                layerDigest=blob["digest"],
            )
        self._trace.line(f"pulled {image} ({len(blobs)} blobs)", 3)
        return len(blobs)

    def _write_startup_logs(
        self, session: boto3.Session, endpoint_name: str, fleet: FleetLaunch
    ) -> None:
        """One log stream per instance, ``<variant>/<instance id>``, in the endpoint's group.

        First the group calls of hosting's execution-role policy (CreateLogGroup: an existing
        group is no error; DescribeLogStreams), https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html#sagemaker-roles-createmodel-perms;
        AWS does not say when SageMaker makes them: here, as each fleet comes up.
        """
        logs = session.client("logs")
        group = f"{ENDPOINT_LOG_GROUP_PREFIX}{endpoint_name}"
        create_log_group(logs, group)
        logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=f"{fleet.variant}/")
        assert fleet.loaded is not None
        loaded = fleet.loaded.description
        for _ in range(fleet.instances):
            stream = f"{fleet.variant}/i-{uuid.uuid4().hex[:17]}"
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[
                    {
                        "timestamp": int(datetime.now(UTC).timestamp() * 1000),
                        "message": f"loaded model {loaded}",
                    }
                ],
            )
            fleet.log_streams.append(stream)
        self._trace.line(f"wrote {len(fleet.log_streams)} log streams in {group}", 3)

    def _publish_instance_metrics(
        self, session: boto3.Session, endpoint_name: str, variant: str
    ) -> None:
        dimensions = [
            {"Name": "EndpointName", "Value": endpoint_name},
            {"Name": "VariantName", "Value": variant},
        ]
        session.client("cloudwatch").put_metric_data(
            Namespace=INSTANCE_METRICS_NAMESPACE,
            MetricData=[
                {"MetricName": name, "Dimensions": dimensions, "Value": 1.0, "Unit": "Percent"}
                for name in INSTANCE_METRICS
            ],
        )
        self._trace.line(
            f"published {', '.join(INSTANCE_METRICS)} to {INSTANCE_METRICS_NAMESPACE}", 3
        )

    def _shift_traffic(self, deployment: Deployment, config: dict[str, Any]) -> str:
        """Shift traffic to the green fleet as the ``DeploymentConfig`` says; '' on success.

        Before each shift and at the end of the final bake the rollback alarms are read; one in
        ``ALARM`` rolls the update back ("all endpoint traffic rolls back to the blue fleet").
        """
        policy = config.get("BlueGreenUpdatePolicy", {})
        routing = policy.get("TrafficRoutingConfiguration", {"Type": "ALL_AT_ONCE"})
        wait = routing.get("WaitIntervalInSeconds", 0)
        alarms = [
            a["AlarmName"] for a in config.get("AutoRollbackConfiguration", {}).get("Alarms", [])
        ]
        kind = routing.get("Type", "ALL_AT_ONCE")
        if kind == "CANARY":
            size = routing["CanarySize"]
            steps = [f"canary {size['Value']} {size['Type']}", "the rest"]
        elif kind == "LINEAR":
            size = routing["LinearStepSize"]
            count = math.ceil(100 / size["Value"]) if size["Type"] == "CAPACITY_PERCENT" else 1
            steps = [
                f"linear step {i + 1}/{count} of {size['Value']} {size['Type']}"
                for i in range(count)
            ]
        else:
            steps = ["all traffic at once"]
        termination = policy.get("TerminationWaitInSeconds", 0)
        bakes = [wait] * len(steps)
        bakes[-1] = termination
        for step, bake in zip(steps, bakes, strict=True):
            deployment.traffic_steps.append(step)
            try:
                firing = self._alarms_firing(deployment, alarms)
            except (ClientError, LocalRunnerError) as exc:
                # An alarm SageMaker cannot read cannot guard the rollout: it does not shift.
                return f"cannot read the rollback alarms during {step}: {exc}"
            self._trace.line(
                f"shift {step} to the green fleet, bake {bake} s watching "
                f"{len(alarms)} alarms: {', '.join(firing) or 'none in ALARM'}",
                2,
            )
            if firing:
                return f"alarm {', '.join(firing)} in ALARM during {step}"
        self._trace.line("blue fleet terminated", 2)
        return ""

    def _alarms_firing(self, deployment: Deployment, names: list[str]) -> list[str]:
        """The rollback alarms in ``ALARM``, read as the green fleet's execution role.

        "Ensure that your IAM execution role has permission to perform the
        cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify"
        (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
        """
        if not names:
            return []
        session = assume_role_as_service(
            self._emulator.deployer,
            deployment.fleets[0].execution_role,
            service=SAGEMAKER_PRINCIPAL,
            session_name=f"{deployment.endpoint_name}-rollback"[:64],
            account_id=self._emulator.account_id,
        )
        found = session.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
        return [a["AlarmName"] for a in found if a["StateValue"] == "ALARM"]

    def _endpoint_event(self, endpoint_name: str) -> PutEvent:
        """The documented ``SageMaker Endpoint State Change`` for the endpoint's state now."""
        sagemaker = self._client("sagemaker")
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        tags = sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"]).get("Tags", [])
        detail: dict[str, Any] = {
            "EndpointName": endpoint_name,
            "EndpointArn": endpoint["EndpointArn"],
            "EndpointConfigName": endpoint["EndpointConfigName"],
            "ProductionVariants": [
                {
                    key: variant[key]
                    for key in (
                        "VariantName",
                        "CurrentWeight",
                        "DesiredWeight",
                        "CurrentInstanceCount",
                        "DesiredInstanceCount",
                    )
                    if key in variant
                }
                for variant in endpoint.get("ProductionVariants", [])
            ],
            "EndpointStatus": event_status(endpoint["EndpointStatus"]),
            "CreationTime": _epoch_ms(endpoint.get("CreationTime")),
            "LastModifiedTime": _epoch_ms(endpoint.get("LastModifiedTime")),
            "Tags": {tag["Key"]: tag["Value"] for tag in tags},
        }
        if endpoint.get("FailureReason"):
            detail["FailureReason"] = endpoint["FailureReason"]
        return self._events.put(
            source=SOURCE,
            detail_type=ENDPOINT_STATE_CHANGE,
            detail=detail,
            resources=[endpoint["EndpointArn"]],
        )

    # -- runtime: invocations and data capture --------------------------------------------------

    def invoke(
        self,
        endpoint_name: str,
        body: str,
        content_type: str = "text/csv",
        accept: str | None = None,
    ) -> Prediction:
        """Serve one request from the endpoint's live fleet; capture it if sampled.

        Raises:
            ValueError: Nothing serves, or the model's handlers raised (``ModelRequestError``).
        """
        sagemaker = self._client("sagemaker")
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        config_name = endpoint["EndpointConfigName"]
        fleets = self._fleets.get(config_name)
        if endpoint["EndpointStatus"] not in ("InService", "Updating") or not fleets:
            raise ValueError(f"{endpoint_name} is {endpoint['EndpointStatus']}: nothing serves")
        variant, loaded = next(iter(fleets.items()))
        # The model's handlers answer; its latency passes on the emulator's inference clock
        # (their ``pause``), which a client timing the call reads: no sleeping.
        answer, answered_type = loaded.answer(body, content_type, accept)
        captured, capture_error = None, ""
        try:
            captured = self._capture(
                endpoint, config_name, variant, body, content_type, answer, answered_type
            )
        except (ClientError, LocalRunnerError) as exc:
            # Capture is the endpoint's side job: a failed write loses the record, not the answer.
            capture_error = str(exc)
        prediction = Prediction(
            endpoint_name=endpoint_name,
            variant=variant,
            package_arn=loaded.package_arn,
            version=loaded.version,
            body=answer,
            captured_key=captured,
            capture_error=capture_error,
            content_type=answered_type,
        )
        self.predictions.append(prediction)
        mark = f", captured to {captured}" if captured else ""
        if capture_error:
            mark = f", ✗ capture not written: {capture_error}"
        self._trace.line(
            f"InvokeEndpoint {endpoint_name} '{body}' → {answer} (model "
            f"{loaded.version}, {variant}){mark}",
            2,
        )
        return prediction

    def _capture(
        self,
        endpoint: dict[str, Any],
        config_name: str,
        variant: str,
        body: str,
        content_type: str,
        answer: str,
        answer_type: str = "text/csv",
    ) -> str | None:
        """Write a sampled request and its response as the execution role, if capture is on."""
        summary = endpoint.get("DataCaptureConfig") or {}
        if not summary.get("EnableCapture"):
            return None
        name = endpoint["EndpointName"]
        count = self._requests.get(name, 0) + 1
        self._requests[name] = count
        percent = int(summary.get("CurrentSamplingPercentage") or 0)
        if count * percent // 100 == (count - 1) * percent // 100:
            return None
        sagemaker = self._client("sagemaker")
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        modes = {o["CaptureMode"] for o in config["DataCaptureConfig"].get("CaptureOptions", [])}
        model_name = next(
            v["ModelName"] for v in config["ProductionVariants"] if v["VariantName"] == variant
        )
        role = sagemaker.describe_model(ModelName=model_name)["ExecutionRoleArn"]
        now = datetime.now(UTC)
        record: dict[str, Any] = {"captureData": {}, "eventVersion": "0"}
        # Without CaptureContentTypeHeader, SageMaker base64-encodes what it captures.
        if "Input" in modes or "InputAndOutput" in modes:
            record["captureData"]["endpointInput"] = capture_side(content_type, "INPUT", body)
        if "Output" in modes or "InputAndOutput" in modes:
            record["captureData"]["endpointOutput"] = capture_side(answer_type, "OUTPUT", answer)
        record["eventMetadata"] = {
            "eventId": str(uuid.uuid4()),
            "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        }
        bucket, prefix = split_s3_url(summary["DestinationS3Uri"])
        key = (
            f"{prefix.rstrip('/')}/{name}/{variant}/{now:%Y/%m/%d/%H}/"
            f"{now:%M-%S}-{now.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
        )
        session = assume_role_as_service(
            self._emulator.deployer,
            role,
            service=SAGEMAKER_PRINCIPAL,
            session_name=f"{name}-capture"[:64],
            account_id=self._emulator.account_id,
        )
        put: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": (json.dumps(record) + "\n").encode(),
        }
        if summary.get("KmsKeyId"):
            put.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=summary["KmsKeyId"])
        session.client("s3").put_object(**put)
        return f"s3://{bucket}/{key}"
