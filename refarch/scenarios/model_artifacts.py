"""A model version as a producer builds it: its artifact and image, as S3 and ECR hold them.

A model version's artifact is a ``model.tar.gz`` (SageMaker's format for ``ModelDataUrl``,
https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html) holding
the model's ``model.json`` and its handlers, ``code/inference.py``
(``refarch.scenarios.serving``), which SageMaker's prebuilt scikit-learn container runs when
the version's container says so (``SERVING_ENVIRONMENT``). Locally its image is a small
schema-2 Docker manifest with one config and one layer blob, pushed through ECR's layer-upload
API as a Docker client would (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push.html):
the emulator runs no containers.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from typing import Any

from refarch.scenarios.serving import CODE_DIRECTORY, PROGRAM, inference_source

#: Docker image manifest (schema 2) and its parts, as ECR stores them.
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
#: The model's file inside ``model.tar.gz``, and its handlers'.
MODEL_FILE = "model.json"
CODE_FILE = f"{CODE_DIRECTORY}/{PROGRAM}"
#: The container environment of every version: the prebuilt scikit-learn container imports
#: ``SAGEMAKER_PROGRAM`` from ``SAGEMAKER_SUBMIT_DIRECTORY`` (``/opt/ml/model`` is where
#: ``model.tar.gz`` is extracted), as the SageMaker Python SDK sets them for a model whose code
#: is packed in its artifact (``_script_mode_env_vars``,
#: https://github.com/aws/sagemaker-python-sdk/blob/master/src/sagemaker/model.py;
#: https://sagemaker.readthedocs.io/en/stable/frameworks/sklearn/using_sklearn.html). A request
#: without ``Accept`` is answered in ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` (JSON otherwise:
#: https://github.com/aws/sagemaker-containers/blob/master/src/sagemaker_containers/_env.py).
SERVING_ENVIRONMENT = {
    "SAGEMAKER_PROGRAM": PROGRAM,
    "SAGEMAKER_SUBMIT_DIRECTORY": f"/opt/ml/model/{CODE_DIRECTORY}",
    "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
}
ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A gzipped tar of ``files`` (name → bytes), reproducible (no timestamps)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def model_artifact(model: dict[str, Any]) -> bytes:
    """A ``model.tar.gz`` holding ``model.json`` and the handlers (``code/inference.py``)."""
    document = json.dumps(model, sort_keys=True).encode()
    return tar_gz({MODEL_FILE: document, CODE_FILE: inference_source()})


def serving_container(image: str, digest: str, model_data_url: str) -> dict[str, Any]:
    """A version's inference container: image, artifact and the handlers' environment.

    The environment has the scikit-learn container run the artifact's ``code/inference.py``
    (``ModelPackageContainerDefinition``,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageContainerDefinition.html).
    """
    return {
        "Image": image,
        "ImageDigest": digest,
        "ModelDataUrl": model_data_url,
        "Environment": dict(SERVING_ENVIRONMENT),
    }


def upload_blob(ecr: Any, repository: str, body: bytes) -> str:
    """Upload one blob (an image's config or a layer) to a repository; return its digest."""
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repository,
        uploadId=upload,
        partFirstByte=0,
        partLastByte=len(body) - 1,
        layerPartBlob=body,
    )
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    completed = ecr.complete_layer_upload(
        repositoryName=repository, uploadId=upload, layerDigests=[digest]
    )
    return str(completed["layerDigest"])


@dataclass(frozen=True)
class PushedImage:
    """An image pushed to ECR: its URI (with the tag), digest and blob digests."""

    uri: str
    digest: str
    blobs: tuple[str, ...]


def push_image(ecr: Any, repository: str, tag: str, *, region: str, label: str = "") -> PushedImage:
    """Push a small image (config and one layer) to an ECR repository, as CI would."""
    blobs = []
    descriptors = []
    config = json.dumps({"architecture": "amd64", "os": "linux", "label": label}).encode()
    layer = tar_gz({"label": label.encode()})
    for body, media_type in ((config, CONFIG_MEDIA_TYPE), (layer, LAYER_MEDIA_TYPE)):
        digest = upload_blob(ecr, repository, body)
        blobs.append(digest)
        descriptors.append({"mediaType": media_type, "size": len(body), "digest": digest})
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": descriptors[0],
        "layers": descriptors[1:],
    }
    image = ecr.put_image(
        repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag
    )["image"]
    uri = f"{image['registryId']}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}"
    return PushedImage(uri=uri, digest=image["imageId"]["imageDigest"], blobs=tuple(blobs))
