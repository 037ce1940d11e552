"""SageMaker's registry events for every version registered or reviewed, whoever calls the API.

``SageMakerService.register`` and ``review`` call the registry and emit the state change in one
step, for the scenarios written against the runner. A target scenario (``refarch.scenarios``)
calls ``CreateModelPackage`` and ``UpdateModelPackage`` itself, as a data scientist and a
reviewer do in AWS, so here SageMaker's side is played where moto records the change: inside
``registry_events_on_write``, each call that moto's backend completes also puts the documented
``SageMaker Model Package State Change`` on the default bus
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package),
in-process or over HTTP to a moto server in this process alike (both reach moto's one backend).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.sagemaker.models import SageMakerModelBackend

from refarch.local.sources.sagemaker import SageMakerService

#: The fields an ``UpdateModelPackage`` of a reviewer changes, as the event names them.
REVIEW_FIELDS = (
    ("model_approval_status", "ModelApprovalStatus"),
    ("approval_description", "ApprovalDescription"),
)


@contextmanager
def registry_events_on_write(sagemaker: SageMakerService) -> Iterator[None]:
    """While active, registering or reviewing a version emits its state-change event."""
    create = SageMakerModelBackend.create_model_package
    update = SageMakerModelBackend.update_model_package

    def create_model_package(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> str:
        arn = create(self, *args, **kwargs)
        sagemaker.package_changed(str(arn), updated=())
        return arn

    def update_model_package(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> str:
        arn = update(self, *args, **kwargs)
        updated = tuple(field for key, field in REVIEW_FIELDS if kwargs.get(key) is not None)
        sagemaker.package_changed(str(arn), updated=updated)
        return arn

    with (
        mock.patch.object(SageMakerModelBackend, "create_model_package", create_model_package),
        mock.patch.object(SageMakerModelBackend, "update_model_package", update_model_package),
    ):
        yield
