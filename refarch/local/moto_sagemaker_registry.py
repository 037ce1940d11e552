"""SageMaker registry deletes and endpoint-configuration ARNs, where moto 5.2.5 differs.

1. ``DeleteModelPackage`` and ``DeleteModelPackageGroup`` are not implemented by moto. Here a
   version is deleted by name or ARN
   (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteModelPackage.html), and
   a group only once it holds no version: the API reference lists ``ConflictException`` for it
   (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteModelPackageGroup.html).
2. moto stores an endpoint configuration's ``arn`` as a one-element tuple, so the tagging API
   lists ``('arn:…',)``; here it is the ARN string ``CreateEndpointConfig`` returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ConflictException, ValidationError
from moto.sagemaker.models import FakeEndpointConfig, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse


def _delete_model_package(self: SageMakerModelBackend, name: str) -> None:
    arn = self.model_package_name_mapping.get(name, name)
    package = self.model_packages.pop(arn, None)
    if package is None:
        raise ValidationError(message=f"Model package {name} does not exist.")
    for key in [k for k, v in self.model_package_name_mapping.items() if v == arn]:
        del self.model_package_name_mapping[key]


def _delete_model_package_group(self: SageMakerModelBackend, name: str) -> None:
    group_name = name.rsplit("/", 1)[-1]
    if group_name not in self.model_package_groups:
        raise ValidationError(message=f"Model package group {name} does not exist.")
    if any(p.model_package_group_name == group_name for p in self.model_packages.values()):
        raise ConflictException(
            message=f"Model package group {group_name} still has model package versions."
        )
    del self.model_package_groups[group_name]


def _delete_model_package_response(self: SageMakerResponse) -> ActionResult:
    _delete_model_package(self.sagemaker_backend, self._get_param("ModelPackageName"))
    return EmptyResult()


def _delete_model_package_group_response(self: SageMakerResponse) -> ActionResult:
    _delete_model_package_group(self.sagemaker_backend, self._get_param("ModelPackageGroupName"))
    return EmptyResult()


def _endpoint_config_arn(self: FakeEndpointConfig) -> Any:
    return self.endpoint_config_arn


@contextmanager
def sagemaker_registry_fixes() -> Iterator[None]:
    """Apply the fixes above inside the block (within ``mock_aws()``), undo them on exit."""
    with ExitStack() as stack:
        for target, name, replacement in (
            (SageMakerResponse, "delete_model_package", _delete_model_package_response),
            (SageMakerResponse, "delete_model_package_group", _delete_model_package_group_response),
            # A setter that ignores moto's tuple: the getter answers the string.
            (FakeEndpointConfig, "arn", property(_endpoint_config_arn, lambda self, value: None)),
        ):
            stack.enter_context(mock.patch.object(target, name, replacement, create=True))
        yield
