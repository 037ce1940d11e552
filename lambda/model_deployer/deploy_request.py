"""A request to deploy one named version, sent by a promotion state machine (not EventBridge).

Shape: ``{"deployModelPackageArn": "arn:aws:sagemaker:<region>:<account>:model-package/<group>/
<version>"}``. A deployer configured with ``DEPLOY_TARGET=requested`` deploys only such
requests: the version a test gate passed and a person promoted, not whatever the registry's
latest approved version is (which may be one the gate failed). The request is still checked
against the registry (the version must be of this group and still ``Approved``:
``model_registry.deployable_package``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model_registry import PackageVersion

REQUEST_KEY = "deployModelPackageArn"
#: A versioned model package's ARN (API reference, ``ModelPackage``: ``ModelPackageArn``).
_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/"
    r"(?P<group>[A-Za-z0-9](?:-*[A-Za-z0-9]){0,62})/(?P<version>[1-9]\d{0,9})$"
)


class DeployRequestError(ValueError):
    """The request names no version of this deployer's group: a definition bug."""


@dataclass(frozen=True)
class DeployRequest:
    """Deploy this version of the group."""

    group_name: str
    target: PackageVersion


def is_deploy_request(event: Any) -> bool:
    """True for a state machine's request rather than an EventBridge event."""
    return isinstance(event, Mapping) and REQUEST_KEY in event and "detail-type" not in event


def parse_deploy_request(event: Mapping[str, Any]) -> DeployRequest:
    """Check the request; raise ``DeployRequestError`` naming what is wrong."""
    arn = event.get(REQUEST_KEY)
    match = _ARN.match(arn) if isinstance(arn, str) else None
    if match is None:
        raise DeployRequestError(f"{REQUEST_KEY} is not a versioned model package ARN")
    return DeployRequest(
        group_name=match["group"], target=PackageVersion(arn=arn, version=int(match["version"]))
    )
