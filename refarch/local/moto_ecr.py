"""ECR image layers, which moto 5.2.5 uploads but does not hand out.

moto keeps the layers pushed with ``InitiateLayerUpload``/``UploadLayerPart``/
``CompleteLayerUpload`` (``BatchCheckLayerAvailability`` finds them), but
``GetDownloadUrlForLayer``, the call a pull makes for each layer of the manifest
``BatchGetImage`` returned, raises ``NotImplementedError``. Here it answers as the ECR API
reference says: the layer's digest and a pre-signed download URL, or ``LayersNotFoundException``
for a layer the repository does not hold. The URL is a name only: nothing downloads it locally
(no network).

``moto_patches`` installs it on ``ECRResponse`` inside the emulator only.
"""

from __future__ import annotations

import hashlib

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ecr.exceptions import RepositoryNotFoundException
from moto.ecr.models import ecr_backends
from moto.ecr.responses import ECRResponse


class LayersNotFoundException(JsonRESTError):
    """ECR's answer for a layer digest the repository does not hold."""

    def __init__(self, message: str) -> None:
        super().__init__("LayersNotFoundException", message)


def get_download_url_for_layer(self: ECRResponse) -> ActionResult:
    """``GetDownloadUrlForLayer``: where to download one layer the repository holds."""
    name = self._get_param("repositoryName")
    registry = self._get_param("registryId") or self.current_account
    digest = self._get_param("layerDigest")
    repository = ecr_backends[self.current_account][self.region].repositories.get(name)
    if repository is None:
        raise RepositoryNotFoundException(name, registry)
    if digest not in repository.layers:
        raise LayersNotFoundException(
            f"The specified layer {digest} does not exist in the repository {name} of the "
            f"registry {registry}"
        )
    # ECR answers a pre-signed S3 URL in its own layer store: deterministic per layer here.
    token = hashlib.sha256(f"{registry}/{name}/{digest}".encode()).hexdigest()[:32]
    url = (
        f"https://prod-{self.region}-starport-layer-bucket.s3.{self.region}.amazonaws.com/"
        f"{registry}/{name}/{digest.removeprefix('sha256:')}?X-Amz-Signature={token}"
    )
    return ActionResult({"downloadUrl": url, "layerDigest": digest})
