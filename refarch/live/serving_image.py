"""SageMaker's prebuilt scikit-learn inference image, copied into a stack's own repository.

A live run registers model versions whose image SageMaker must run: the prebuilt scikit-learn
container, which runs each artifact's ``code/inference.py``
(``refarch.scenarios.serving``). The stacks' execution roles pull only from the stack's own
repository, so the run copies the image there through the ECR API, as a registry client would:

1. ``BatchGetImage`` of the source manifest (its exact bytes and media type);
2. for each blob (config and layers): ``BatchCheckLayerAvailability`` in the target (one already
   there is skipped), else ``GetDownloadUrlForLayer`` on the source, the pre-signed URL
   downloaded, and ``InitiateLayerUpload``/``UploadLayerPart``/``CompleteLayerUpload`` in parts
   of ECR's size (at most 10 MiB each, at most 4,200 parts, the last one may be smaller:
   https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html; the part size
   ``InitiateLayerUpload`` answers is "the size ... that Amazon ECR expects future layer part
   uploads to be", https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_InitiateLayerUpload.html),
   each blob's SHA-256 checked against its digest before it is completed;
3. ``PutImage`` with the same manifest, media type and digest, tagged.

The source is SageMaker's scikit-learn image of the run's region
(``refarch.scenarios.serving.image``, where the per-region registries are listed and cited).
"""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from botocore.exceptions import ClientError

from refarch.scenarios.serving.image import SourceImage

#: ECR's layer-part quota (MiB → bytes), and the most parts one layer may have.
MAX_PART_BYTES = 10 * 1024 * 1024
MAX_PARTS = 4200
#: BatchCheckLayerAvailability takes at most 100 digests a call (API reference).
CHECK_BATCH = 100
#: The single-image manifests a copy accepts (not a multi-platform index).
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
DOWNLOAD_TIMEOUT_SECONDS = 60

#: Open a pre-signed download URL (``urllib``); a test passes one that reads a stocked blob.
Download = Callable[[str], BinaryIO]


def open_url(url: str) -> BinaryIO:
    """Open a pre-signed layer URL for reading (HTTPS only)."""
    if not url.startswith("https://"):
        raise ValueError(f"refusing to download a layer from a non-HTTPS URL: {url[:60]}")
    response: BinaryIO = urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS)
    return response


@dataclass
class CopiedImage:
    """What a copy did: the target image, and each blob copied or already there."""

    repository: str
    tag: str
    digest: str
    media_type: str
    copied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    parts: dict[str, int] = field(default_factory=dict)
    """How many parts each copied blob was uploaded in."""

    bytes_copied: int = 0


def copy_image(
    ecr: Any,
    source: SourceImage,
    repository: str,
    tag: str,
    *,
    download: Download = open_url,
    part_size: int | None = None,
) -> CopiedImage:
    """Copy ``source`` into ``repository`` as ``tag`` (the same manifest, so the same digest).

    ``part_size`` (bytes) overrides what ``InitiateLayerUpload`` answers (tests use a small one).

    Raises:
        ValueError: The source has no such image, is a multi-platform index, or a blob
            downloaded does not match its digest.
        ClientError: An ECR call failed.
    """
    answer = ecr.batch_get_image(
        registryId=source.registry,
        repositoryName=source.repository,
        imageIds=[{"imageTag": source.tag}],
        acceptedMediaTypes=list(MANIFEST_TYPES),
    )
    if not answer.get("images"):
        raise ValueError(f"{source.name}: {answer.get('failures') or 'no such image'}")
    image = answer["images"][0]
    text = image["imageManifest"]
    manifest = json.loads(text)
    media_type = image.get("imageManifestMediaType") or manifest.get("mediaType", "")
    if media_type not in MANIFEST_TYPES:
        raise ValueError(f"{source.name} is a {media_type or 'manifest without media type'}")
    copied = CopiedImage(repository, tag, image["imageId"]["imageDigest"], media_type)
    blobs = [manifest["config"], *manifest.get("layers", [])]
    present = _available(ecr, repository, [blob["digest"] for blob in blobs])
    for blob in blobs:
        digest = blob["digest"]
        if digest in present:
            copied.skipped.append(digest)
            continue
        url = ecr.get_download_url_for_layer(
            registryId=source.registry, repositoryName=source.repository, layerDigest=digest
        )["downloadUrl"]
        copied.parts[digest] = _upload_blob(
            ecr, repository, digest, int(blob["size"]), download(url), part_size
        )
        copied.copied.append(digest)
        copied.bytes_copied += int(blob["size"])
    try:
        ecr.put_image(
            repositoryName=repository,
            imageManifest=text,
            imageManifestMediaType=media_type,
            imageDigest=copied.digest,
            imageTag=tag,
        )
    except ClientError as error:
        # The same manifest already carries this tag (a run copying twice): nothing to do.
        if error.response.get("Error", {}).get("Code") != "ImageAlreadyExistsException":
            raise
    return copied


def _available(ecr: Any, repository: str, digests: list[str]) -> set[str]:
    """The digests the repository already holds (``BatchCheckLayerAvailability``)."""
    present: set[str] = set()
    for start in range(0, len(digests), CHECK_BATCH):
        layers = ecr.batch_check_layer_availability(
            repositoryName=repository, layerDigests=digests[start : start + CHECK_BATCH]
        )["layers"]
        present |= {
            layer["layerDigest"]
            for layer in layers
            if layer.get("layerAvailability") == "AVAILABLE"
        }
    return present


def _upload_blob(
    ecr: Any, repository: str, digest: str, size: int, body: BinaryIO, part_size: int | None
) -> int:
    """Upload one blob read from ``body`` in parts; return how many parts it took."""
    upload = ecr.initiate_layer_upload(repositoryName=repository)
    size_of_part = min(part_size or int(upload.get("partSize") or MAX_PART_BYTES), MAX_PART_BYTES)
    if -(-size // size_of_part) > MAX_PARTS:
        raise ValueError(f"{digest}: {size} bytes need more than {MAX_PARTS} parts")
    sha256 = hashlib.sha256()
    first, parts = 0, 0
    try:
        while chunk := body.read(size_of_part):
            # A short read is not the end: fill the part unless the blob is done.
            while len(chunk) < size_of_part and (more := body.read(size_of_part - len(chunk))):
                chunk += more
            sha256.update(chunk)
            ecr.upload_layer_part(
                repositoryName=repository,
                uploadId=upload["uploadId"],
                partFirstByte=first,
                partLastByte=first + len(chunk) - 1,
                layerPartBlob=chunk,
            )
            first += len(chunk)
            parts += 1
    finally:
        body.close()
    if "sha256:" + sha256.hexdigest() != digest or first != size:
        raise ValueError(f"{digest}: the download ({first} bytes) does not match the manifest")
    ecr.complete_layer_upload(
        repositoryName=repository, uploadId=upload["uploadId"], layerDigests=[digest]
    )
    return parts
