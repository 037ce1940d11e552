"""The baseline promoter's test harness: its environment on moto, events and baselines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType

import boto3
import pytest
from botocore.exceptions import ClientError
from lambda_harness import LAMBDA_ROOT, load_lambda_module
from moto import mock_aws

BUCKET = "monitoring-bucket"
PREFIX = "modelqualitymonitor-baseline"
GROUP_HASH = "1a2b3c4d"
ENV = {
    "BUCKET": BUCKET,
    "BASELINES_PREFIX": "baselines/",
    "CURRENT_PREFIX": "baselines/current/",
    "JOB_NAME_PREFIX": PREFIX,
}


def load_promoter() -> ModuleType:
    """The handler module, for its pure functions (no environment needed)."""
    return load_lambda_module(LAMBDA_ROOT / "baseline_promoter", "handler", "baseline_promoter")


def promoter_on_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The handler with its environment, a key and the bucket on moto (a fixture's body)."""
    module = load_promoter()
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "baseline-promoter")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "refarch")
    with mock_aws():
        kms = boto3.client("kms")
        key = kms.create_key()["KeyMetadata"]["Arn"]
        for name, value in {**ENV, "KMS_KEY_ARN": key}.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield module


def job(version: int) -> str:
    return f"{PREFIX}-{GROUP_HASH}-v{version}"


def completion(version: int, status: str = "Completed", name: str | None = None, **detail):
    name = name or job(version)
    return {
        "version": "0",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Processing Job State Change",
        "resources": [f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{name}"],
        "detail": {
            "ProcessingJobName": name,
            "ProcessingJobStatus": status,
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": "monitoring_output",
                        "S3Output": {"S3Uri": f"s3://{BUCKET}/baselines/{version}/"},
                    }
                ]
            },
            **detail,
        },
    }


def baseline(version: int) -> None:
    """The files a baselining job of ``version`` writes (their content names the version)."""
    s3 = boto3.client("s3")
    for name in ("statistics.json", "constraints.json"):
        s3.put_object(
            Bucket=BUCKET,
            Key=f"baselines/{version}/{name}",
            Body=json.dumps({"version": version, "file": name}).encode(),
        )


def current() -> tuple[int | None, set[int]]:
    """The marker's version and the versions the two stable files hold (by content)."""
    s3 = boto3.client("s3")
    try:
        marker = json.loads(
            s3.get_object(Bucket=BUCKET, Key="baselines/current/version.json")["Body"].read()
        )["modelVersion"]
    except ClientError:
        marker = None
    held = set()
    for name in ("statistics.json", "constraints.json"):
        try:
            body = s3.get_object(Bucket=BUCKET, Key=f"baselines/current/{name}")["Body"].read()
        except ClientError:
            continue
        held.add(json.loads(body)["version"])
    return marker, held
