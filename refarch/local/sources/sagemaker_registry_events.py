"""SageMaker's registry events for every model package created or updated, whoever calls.

``SageMakerService.register`` / ``review`` call the API and emit the event in one step, for the
scenarios written against the runner. A target scenario (``refarch.scenarios``) calls
``CreateModelPackage`` / ``UpdateModelPackage`` itself, as a data scientist or a reviewer does
in AWS, so inside ``package_events_on_change`` SageMaker's side is played where moto answers
those calls: after each, the documented ``SageMaker Model Package State Change`` event goes to
the default bus, with ``UpdatedModelPackageFields`` naming what an update changed
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from unittest import mock

from moto.sagemaker.responses import SageMakerResponse

if TYPE_CHECKING:
    from refarch.local.sources.sagemaker import SageMakerService

#: The request members of ``UpdateModelPackage`` an update event lists when they are sent.
UPDATABLE = (
    "ModelApprovalStatus",
    "ApprovalDescription",
    "CustomerMetadataProperties",
    "AdditionalInferenceSpecificationsToAdd",
)


@contextmanager
def package_events_on_change(sagemaker: SageMakerService) -> Iterator[None]:
    """While active, each CreateModelPackage / UpdateModelPackage emits its state change."""
    create, update = SageMakerResponse.create_model_package, SageMakerResponse.update_model_package

    def emit(arn: str, updated: tuple[str, ...]) -> None:
        described = sagemaker._client("sagemaker").describe_model_package(ModelPackageName=arn)
        sagemaker._package_event(described, updated=updated)

    def create_model_package(self: SageMakerResponse) -> Any:
        result = create(self)
        emit(result.result["ModelPackageArn"], ())
        return result

    def update_model_package(self: SageMakerResponse) -> Any:
        result = update(self)
        sent = tuple(name for name in UPDATABLE if self._get_param(name) is not None)
        emit(result.result["ModelPackageArn"], sent)
        return result

    with mock.patch.multiple(
        SageMakerResponse,
        create_model_package=create_model_package,
        update_model_package=update_model_package,
    ):
        yield
