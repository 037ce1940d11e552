"""A model version as a producer builds it: its artifact and image, as S3 and ECR hold them.

A model version's artifact is a ``model.tar.gz`` (SageMaker's format for ``ModelDataUrl``,
https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html) holding
the emulated model's ``model.json``; its image is a schema-2 Docker manifest with one config and
one layer blob, pushed through ECR's layer-upload API as a Docker client would
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push.html).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from typing import Any

#: Docker image manifest (schema 2) and its parts, as ECR stores them.
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
#: The file of the emulated model inside ``model.tar.gz``.
MODEL_FILE = "model.json"
ECR_IMAGE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def model_artifact(model: dict[str, Any]) -> bytes:
    """A ``model.tar.gz`` holding ``model.json`` (what ``sources.sagemaker`` serves)."""
    document = json.dumps(model, sort_keys=True).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size = len(document)
        info.mtime = 0
        archive.addfile(info, io.BytesIO(document))
    return buffer.getvalue()


def read_model_artifact(body: bytes) -> dict[str, Any]:
    """The ``model.json`` of a ``model.tar.gz``; ValueError if it has none."""
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        member = archive.extractfile(MODEL_FILE)
        if member is None:
            raise ValueError(f"model.tar.gz has no {MODEL_FILE}")
        return dict(json.loads(member.read()))


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
    layer = model_artifact({"entrypoint": "serve", "label": label})
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
