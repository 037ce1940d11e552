"""The Model Registry side: the latest approved version of the group, and whether it can deploy.

A Model Group holds the versions of one model, numbered from 1 as they are registered
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-models.html); only a version a
reviewer set to ``Approved`` is deployed, approval being
``update_model_package(ModelApprovalStatus="Approved")``. The deployer deploys the
latest approved version read here, never the package an event names: events can arrive twice,
late or out of order, and a rejection names the version that must no longer be served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

APPROVED = "Approved"
"""The one status that deploys. ``Rejected`` and ``PendingManualApproval`` are the other values of
``ModelApprovalStatus`` (API reference, ``ModelPackageSummary``)."""

_PAGE_SIZE = 100
"""ListModelPackages' largest page."""


class PackageNotDeployableError(RuntimeError):
    """The latest approved version cannot be deployed; reject it (or fix it) to move on."""


@dataclass(frozen=True)
class PackageVersion:
    """One version of the group: its ARN and version number."""

    arn: str
    version: int


@dataclass(frozen=True)
class DeployablePackage:
    """A version checked to be deployable: approved, complete, with inference containers."""

    arn: str
    version: int
    supported_instance_types: tuple[str, ...]


def latest_approved_version(sagemaker: Any, group_name: str) -> PackageVersion | None:
    """Return the approved version with the highest version number, or None if none is.

    ListModelPackages sorts by name or creation time only, so every approved version is read
    and the highest version number wins: approving an older version after a newer one never
    displaces the newer.

    Args:
        sagemaker: A SageMaker boto3 client.
        group_name: The model package group.
    """
    latest: PackageVersion | None = None
    request: dict[str, Any] = {
        "ModelPackageGroupName": group_name,
        "ModelApprovalStatus": APPROVED,
        # Versions of a group are "Versioned" packages; ask for them explicitly, since the
        # API's default for ModelPackageType is "Unversioned".
        "ModelPackageType": "Versioned",
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "MaxResults": _PAGE_SIZE,
    }
    while True:
        page = sagemaker.list_model_packages(**request)
        for summary in page.get("ModelPackageSummaryList", []):
            if summary.get("ModelApprovalStatus") != APPROVED:
                continue  # the filter is the API's; checked again, as it is what deploys
            version = summary.get("ModelPackageVersion")
            if version is None:
                continue
            if latest is None or version > latest.version:
                latest = PackageVersion(arn=summary["ModelPackageArn"], version=int(version))
        token = page.get("NextToken")
        if not token:
            return latest
        request["NextToken"] = token


def deployable_package(
    description: Mapping[str, Any], *, instance_type: str | None
) -> DeployablePackage:
    """Check a DescribeModelPackage answer and return the package, or say why it cannot deploy.

    Args:
        description: The DescribeModelPackage response.
        instance_type: The variant's instance type, or None for a serverless variant.

    Raises:
        PackageNotDeployableError: It is no longer approved (rejected since it was listed),
            still being created or failed, has no inference container with an image, or does
            not list the configured instance type among its real-time instance types.
    """
    arn = description.get("ModelPackageArn", "?")
    status = description.get("ModelApprovalStatus")
    if status != APPROVED:
        raise PackageNotDeployableError(f"{arn} is {status or 'without approval status'} now")
    package_status = description.get("ModelPackageStatus")
    if package_status not in (None, "Completed"):
        raise PackageNotDeployableError(f"{arn} has ModelPackageStatus {package_status}")
    specification = description.get("InferenceSpecification") or {}
    containers = specification.get("Containers") or []
    if not containers:
        raise PackageNotDeployableError(
            f"{arn} has no InferenceSpecification containers: there is nothing to host "
            "(register the version with an inference image and model artifacts)"
        )
    if any(not container.get("Image") for container in containers):
        raise PackageNotDeployableError(f"{arn} has an inference container without an image")
    supported = tuple(specification.get("SupportedRealtimeInferenceInstanceTypes") or ())
    if instance_type is not None and supported and instance_type not in supported:
        raise PackageNotDeployableError(
            f"{arn} supports real-time inference on {', '.join(supported)}, not {instance_type}"
        )
    version = description.get("ModelPackageVersion")
    if version is None:
        raise PackageNotDeployableError(f"{arn} is not a versioned model package")
    return DeployablePackage(arn=arn, version=int(version), supported_instance_types=supported)
