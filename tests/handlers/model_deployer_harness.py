"""The model deployer under test: its handler, its environment, a registry and endpoint on moto.

Events are built in the shapes the SageMaker developer guide documents ("Events that Amazon
SageMaker AI sends to Amazon EventBridge"), from what moto's registry holds.
"""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module, put_on_path

from refarch.local.moto_sagemaker import set_endpoint_status

FUNCTION_DIR = LAMBDA_ROOT / "model_deployer"
# The pure modules (rollout, endpoint_spec, ...) are imported flat by tests, as by the handler.
put_on_path(FUNCTION_DIR)

SERVICE_NAME = "model-deployer"
ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = "churn-model"
OTHER_GROUP = "fraud-model"
ENDPOINT = "churn-endpoint"
VARIANT = "AllTraffic"
INSTANCE_TYPE = "ml.m5.large"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/refarch-sagemaker-execution"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CAPTURE_URI = "s3://refarch-capture/churn-endpoint/"
ALARMS = ("churn-endpoint-5xx", "churn-endpoint-model-latency")
IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1"
ENVIRONMENT = {
    "MODEL_PACKAGE_GROUP_NAME": GROUP,
    "ENDPOINT_NAME": ENDPOINT,
    "EXECUTION_ROLE_ARN": ROLE_ARN,
    "VARIANT_NAME": VARIANT,
    "INSTANCE_TYPE": INSTANCE_TYPE,
    "INITIAL_INSTANCE_COUNT": "1",
    "DATA_CAPTURE_S3_URI": CAPTURE_URI,
    "DATA_CAPTURE_SAMPLING_PERCENT": "20",
    "KMS_KEY_ARN": KMS_KEY_ARN,
    "ROLLOUT": "canary",
    "TRAFFIC_STEP_PERCENT": "10",
    "WAIT_INTERVAL_SECONDS": "300",
    "ROLLBACK_ALARM_NAMES": ",".join(ALARMS),
    "AUTOSCALING_MIN_CAPACITY": "1",
    "AUTOSCALING_MAX_CAPACITY": "4",
    "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE": "70",
}
SERVERLESS = {"SERVERLESS_MEMORY_MB": "2048", "SERVERLESS_MAX_CONCURRENCY": "5"}


def load_handler() -> ModuleType:
    """Import lambda/model_deployer/handler.py (as ``model_deployer_handler``)."""
    return load_lambda_module(FUNCTION_DIR, "handler", "model_deployer_handler")


def eventbridge_event(detail_type: str, detail: Any, resources: list[str]) -> dict[str, Any]:
    """Return an EventBridge event from SageMaker with this detail."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-05-01T10:00:00Z",
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def model_package_event(description: dict[str, Any]) -> dict[str, Any]:
    """Return the Model Package State Change event for a DescribeModelPackage answer."""
    detail = {
        key: value
        for key, value in description.items()
        if key != "ResponseMetadata" and not hasattr(value, "isoformat")
    }
    detail["CreationTime"] = "2026-05-01T10:00:00Z"
    return eventbridge_event(
        "SageMaker Model Package State Change", detail, [description["ModelPackageArn"]]
    )


def endpoint_event(name: str, status: str) -> dict[str, Any]:
    """Return an Endpoint State Change event (``status`` as events spell it: ``IN_SERVICE``)."""
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name.lower()}"
    detail = {
        "EndpointName": name,
        "EndpointArn": arn,
        "EndpointConfigName": f"{name}-config",
        "ProductionVariants": [{"DesiredWeight": 1.0, "DesiredInstanceCount": 1.0}],
        "EndpointStatus": status,
        "CreationTime": 1592411992203.0,
        "LastModifiedTime": 1592411994287.0,
        "Tags": {},
    }
    return eventbridge_event("SageMaker Endpoint State Change", detail, [arn])


def inference_specification(instance_types: list[str] | None = None) -> dict[str, Any]:
    """Return a model package's inference specification: one XGBoost container."""
    specification: dict[str, Any] = {
        "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://refarch-models/churn/model.tar.gz"}],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    if instance_types:
        specification["SupportedRealtimeInferenceInstanceTypes"] = instance_types
    return specification


@dataclass
class ModelDeployer:
    """The handler with its environment, a Lambda context, admin clients on moto, its logs."""

    handler: ModuleType
    context: FakeLambdaContext
    log_stream: io.StringIO
    monkeypatch: pytest.MonkeyPatch
    sagemaker: Any
    autoscaling: Any

    def configure(self, **environment: str | None) -> None:
        """Change the function's environment (None removes a variable)."""
        for name, value in environment.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)

    def register(
        self,
        group: str = GROUP,
        status: str = "PendingManualApproval",
        *,
        containers: bool = True,
        instance_types: list[str] | None = None,
    ) -> str:
        """Register a model version (as a training pipeline would); return its ARN."""
        request: dict[str, Any] = {"ModelPackageGroupName": group, "ModelApprovalStatus": status}
        if containers:
            request["InferenceSpecification"] = inference_specification(instance_types)
        return self.sagemaker.create_model_package(**request)["ModelPackageArn"]

    def set_approval(self, arn: str, status: str) -> None:
        """Change a version's approval status, as a reviewer does (no event delivered)."""
        self.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    def notification(self, arn: str) -> dict[str, Any]:
        """Return the Model Package State Change event for a version's current state."""
        return model_package_event(self.sagemaker.describe_model_package(ModelPackageName=arn))

    def approve(self, arn: str) -> dict[str, Any]:
        """Approve a version and deliver the event; return the deployer's outcome."""
        self.set_approval(arn, "Approved")
        return self.invoke(self.notification(arn))

    def reject(self, arn: str) -> dict[str, Any]:
        """Reject a version and deliver the event; return the deployer's outcome."""
        self.set_approval(arn, "Rejected")
        return self.invoke(self.notification(arn))

    def invoke(self, event: Any) -> dict[str, Any]:
        """Invoke the handler in-process, as Lambda does for an EventBridge target."""
        return self.handler.lambda_handler(event, self.context)

    def finish_deployment(self) -> dict[str, Any]:
        """Let SageMaker finish the create/update in flight and deliver its IN_SERVICE event."""
        set_endpoint_status(ENDPOINT, "InService")
        return self.invoke(endpoint_event(ENDPOINT, "IN_SERVICE"))

    def deploy(self, arn: str) -> None:
        """Approve a version and let its deployment finish (setup for later steps)."""
        outcome = self.approve(arn)
        assert outcome["action"] in ("created", "updated"), outcome
        assert self.finish_deployment()["action"] == "noop"

    def endpoint(self) -> dict[str, Any] | None:
        """Return DescribeEndpoint's answer, or None if the endpoint does not exist."""
        found = self.sagemaker.list_endpoints(NameContains=ENDPOINT)["Endpoints"]
        if not any(e["EndpointName"] == ENDPOINT for e in found):
            return None
        return self.sagemaker.describe_endpoint(EndpointName=ENDPOINT)

    def endpoint_config(self) -> dict[str, Any]:
        """Return the endpoint configuration the endpoint runs."""
        endpoint = self.endpoint()
        assert endpoint is not None
        return self.sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )

    def serving(self) -> str | None:
        """Return the model package the endpoint runs: its variant's model's container."""
        if self.endpoint() is None:
            return None
        (variant,) = self.endpoint_config()["ProductionVariants"]
        model = self.sagemaker.describe_model(ModelName=variant["ModelName"])
        (container,) = model["Containers"]
        return container["ModelPackageName"]

    def logs(self) -> list[dict[str, Any]]:
        """Return the structured log lines written so far."""
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines()]

    def refuse(self, operation: str, code: str, message: str) -> None:
        """Make the deployer's SageMaker client fail ``operation`` as AWS would, with ``code``."""

        def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
            parsed = {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            return AWSResponse("https://api.sagemaker", 400, {}, None), parsed

        client = self.handler.sagemaker_client()
        client.meta.events.register(f"before-call.sagemaker.{operation}", answer)
