"""Handler tests run on moto: fake credentials, a fixed region, and each handler's environment."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import boto3
import pytest
from clickstream_transform_harness import SERVICE_NAME as CLICKSTREAM_SERVICE_NAME
from clickstream_transform_harness import ClickstreamTransform
from clickstream_transform_harness import load_handler as load_clickstream_transform
from csv_validator_harness import ENVIRONMENT, INPUT_BUCKET, OUTPUT_BUCKET, OrdersBuckets
from csv_validator_harness import load_handler as load_csv_validator
from lambda_harness import FakeLambdaContext
from model_deployer_harness import ENVIRONMENT as MODEL_DEPLOYER_ENVIRONMENT
from model_deployer_harness import GROUP as MODEL_DEPLOYER_GROUP
from model_deployer_harness import OTHER_GROUP as MODEL_DEPLOYER_OTHER_GROUP
from model_deployer_harness import SERVICE_NAME as MODEL_DEPLOYER_SERVICE_NAME
from model_deployer_harness import ModelDeployer
from model_deployer_harness import load_handler as load_model_deployer
from model_gate_harness import FUNCTION_DIR as MODEL_GATE_DIR  # noqa: F401 - its modules on the path
from moto import mock_aws

from refarch.local.moto_sagemaker import sagemaker_gap_fixes

# Set before any Powertools Logger/Metrics exists: they read these when created. Credentials
# and region come from tests/conftest.py.
os.environ.update(
    {
        "POWERTOOLS_METRICS_NAMESPACE": "refarch-test",
        "POWERTOOLS_SERVICE_NAME": "csv-validator",
    }
)


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def orders_buckets(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> Iterator[OrdersBuckets]:
    """Versioned input + output buckets on moto; the csv-validator's env set, its client reset."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    handler = load_csv_validator()
    handler.s3_client.cache_clear()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        yield OrdersBuckets(s3=s3, handler=handler, context=lambda_context)
    # A client cached inside the mock must not outlive it into another test.
    handler.s3_client.cache_clear()


@pytest.fixture
def clickstream_transform(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> ClickstreamTransform:
    """The clickstream Firehose transform, its logs captured. No AWS: it makes no calls."""
    # Read when the handler's Logger and Metrics are created, i.e. on first load.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", CLICKSTREAM_SERVICE_NAME)
    handler = load_clickstream_transform()
    # The Logger's handler keeps the stdout of import time: point it at a buffer instead.
    stream = io.StringIO()
    monkeypatch.setattr(handler.logger.registered_handler, "stream", stream)
    return ClickstreamTransform(handler=handler, context=lambda_context, log_stream=stream)


@pytest.fixture
def model_deployer(
    monkeypatch: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> Iterator[ModelDeployer]:
    """The model deployer's environment on moto: its registry group, endpoints that take time.

    SageMaker's gap fixes are applied with real transitions: a created or updated endpoint is
    Creating/Updating until ``finish_deployment()``, as in AWS.
    """
    for name, value in MODEL_DEPLOYER_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    # Read when the handler's Logger and Metrics are created, i.e. on first load.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", MODEL_DEPLOYER_SERVICE_NAME)
    handler = load_model_deployer()
    stream = io.StringIO()
    monkeypatch.setattr(handler.logger.registered_handler, "stream", stream)
    handler.sagemaker_client.cache_clear()
    handler.autoscaling_client.cache_clear()
    with mock_aws(), sagemaker_gap_fixes(instant_transitions=False):
        sagemaker = boto3.client("sagemaker", region_name="us-east-1")
        for group in (MODEL_DEPLOYER_GROUP, MODEL_DEPLOYER_OTHER_GROUP):
            sagemaker.create_model_package_group(ModelPackageGroupName=group)
        yield ModelDeployer(
            handler=handler,
            context=lambda_context,
            log_stream=stream,
            monkeypatch=monkeypatch,
            sagemaker=sagemaker,
            autoscaling=boto3.client("application-autoscaling", region_name="us-east-1"),
        )
    # Clients cached inside the mock must not outlive it into another test.
    handler.sagemaker_client.cache_clear()
    handler.autoscaling_client.cache_clear()
