"""Start a Model Monitor baselining job when a model version is approved.

Flow per ``SageMaker Model Package State Change`` (EventBridge rule: the stack's model package
group, ``ModelApprovalStatus`` Approved): ``CreateProcessingJob`` with the prebuilt Model
Monitor image over the training data (``$DATASET_URI``), writing ``statistics.json`` and
``constraints.json`` to ``$OUTPUT_URI<version>/``, as the SageMaker Python SDK's
``DefaultModelMonitor.suggest_baseline`` does
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html).

- The job name is derived from the group and version: SageMaker keeps processing job names
  unique in an account and Region and answers a second ``CreateProcessingJob`` with the same
  name ``ResourceInUse``
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateProcessingJob.html), so
  a repeated event (SageMaker "may send multiple events ... for each state change",
  https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)
  starts one job only, and the repeat is reported as ``already_started``.
- An event of another shape, group or status is logged and ignored (``ignored``): it would fail
  the same way on every retry.
- Any other API error (throttling, AccessDenied, a limit) raises: Lambda's asynchronous retries
  and then the on-failure queue keep the event.

Environment: ``MODEL_PACKAGE_GROUP_NAME`` (exact) or ``MODEL_PACKAGE_GROUP_PREFIX``,
``JOB_NAME_PREFIX``, ``IMAGE_URI``, ``ROLE_ARN``, ``DATASET_URI``, ``OUTPUT_URI``,
``KMS_KEY_ARN``, ``INSTANCE_TYPE`` (ml.m5.large), ``INSTANCE_COUNT`` (1), ``VOLUME_SIZE_GB``
(20), ``MAX_RUNTIME_SECONDS`` (3600), ``DATASET_FORMAT`` (a Model Monitor ``dataset_format``
JSON document; JSON Lines by default).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

logger = Logger()
metrics = Metrics()

DETAIL_TYPE = "SageMaker Model Package State Change"
APPROVED = "Approved"
#: The container's paths, as the SageMaker Python SDK's ``suggest_baseline`` sets them.
INPUT_NAME = "baseline_dataset_input"
INPUT_PATH = "/opt/ml/processing/input/baseline_dataset_input"
OUTPUT_PATH = "/opt/ml/processing/output"
DEFAULT_DATASET_FORMAT = '{"json": {"lines": true}}'
#: Processing job names: ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`` (API reference above).
MAX_JOB_NAME = 63
_GROUP = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass(frozen=True)
class ApprovedVersion:
    """One approved version of a model package group."""

    group_name: str
    version: int


def parse_approval(event: Any) -> ApprovedVersion | str:
    """The approved version the event announces, or why it is ignored."""
    if not isinstance(event, Mapping):
        return "not an EventBridge event"
    if event.get("source") != "aws.sagemaker" or event.get("detail-type") != DETAIL_TYPE:
        return "not a model package state change"
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return "no detail"
    if detail.get("ModelApprovalStatus") != APPROVED:
        return "not an approval"
    group = detail.get("ModelPackageGroupName")
    version = detail.get("ModelPackageVersion")
    if not isinstance(group, str) or not _GROUP.match(group):
        return "no valid ModelPackageGroupName"
    # bool is an int in Python; a version is a positive integer (API: ModelPackageVersion >= 1).
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 10**10:
        return "no valid ModelPackageVersion"
    return ApprovedVersion(group_name=group, version=version)


def is_our_group(group: str, environ: Mapping[str, str]) -> bool:
    """The stack's group: the exact name, or (deployed beside the endpoint) its name prefix."""
    name = environ.get("MODEL_PACKAGE_GROUP_NAME", "")
    prefix = environ.get("MODEL_PACKAGE_GROUP_PREFIX", "")
    return group == name if name else bool(prefix) and group.startswith(prefix)


def job_name(prefix: str, approved: ApprovedVersion) -> str:
    """Deterministic per group and version, within SageMaker's 63 characters."""
    digest = hashlib.sha256(approved.group_name.encode()).hexdigest()[:8]
    suffix = f"-{digest}-v{approved.version}"
    return f"{prefix[: MAX_JOB_NAME - len(suffix)].rstrip('-')}{suffix}"


def processing_job(name: str, approved: ApprovedVersion, env: Mapping[str, str]) -> dict:
    """The ``CreateProcessingJob`` request of the version's baselining job."""
    key = env["KMS_KEY_ARN"]
    output = f"{env['OUTPUT_URI'].rstrip('/')}/{approved.version}/"
    return {
        "ProcessingJobName": name,
        "RoleArn": env["ROLE_ARN"],
        "AppSpecification": {"ImageUri": env["IMAGE_URI"]},
        "Environment": {
            "dataset_format": env.get("DATASET_FORMAT", DEFAULT_DATASET_FORMAT),
            "dataset_source": INPUT_PATH,
            "output_path": OUTPUT_PATH,
            "publish_cloudwatch_metrics": "Disabled",
        },
        "ProcessingInputs": [
            {
                "InputName": INPUT_NAME,
                "S3Input": {
                    "S3Uri": env["DATASET_URI"],
                    "LocalPath": INPUT_PATH,
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": output,
                        "LocalPath": OUTPUT_PATH,
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
            "KmsKeyId": key,
        },
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": int(env.get("INSTANCE_COUNT", "1")),
                "InstanceType": env.get("INSTANCE_TYPE", "ml.m5.large"),
                "VolumeSizeInGB": int(env.get("VOLUME_SIZE_GB", "20")),
                "VolumeKmsKeyId": key,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": int(env.get("MAX_RUNTIME_SECONDS", "3600"))},
        # The container reads S3 through SageMaker's staging only: no network of its own.
        "NetworkConfig": {"EnableNetworkIsolation": True},
    }


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Start the approved version's baselining job (once per version)."""
    env = os.environ
    approved = parse_approval(event)
    if isinstance(approved, str):
        logger.warning("event ignored", extra={"reason": approved})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": approved}
    if not is_our_group(approved.group_name, env):
        logger.warning("another group's version", extra={"group": approved.group_name})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"outcome": "ignored", "reason": "not this stack's model package group"}
    name = job_name(env["JOB_NAME_PREFIX"], approved)
    request = processing_job(name, approved, env)
    try:
        boto3.client("sagemaker").create_processing_job(**request)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceInUse":
            raise
        logger.info("baselining job already started", extra={"job": name})
        metrics.add_metric(name="RepeatedApprovals", unit=MetricUnit.Count, value=1)
        return {"outcome": "already_started", "job": name}
    logger.info("baselining job started", extra={"job": name, "version": approved.version})
    metrics.add_metric(name="BaselinesStarted", unit=MetricUnit.Count, value=1)
    output = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    return {"outcome": "started", "job": name, "output": output}
