"""Copying SageMaker's scikit-learn image into a stack's repository, against the stand-in.

The ECR calls go over HTTP to the moto server; only the pre-signed URL's download is a fake
(``StockedImage.download``: moto's URL names the blob but nothing can fetch it offline).
"""

from __future__ import annotations

import io

import pytest
from emulated_account import emulated_account, stock_image

from refarch.live.serving_image import MAX_PART_BYTES, copy_image, open_url
from refarch.scenarios.model_artifacts import upload_blob
from refarch.scenarios.serving.image import (
    SKLEARN_REGISTRIES,
    SKLEARN_REPOSITORY,
    SKLEARN_TAG,
    sklearn_image,
)

TARGET = "stack-images"


class CountingECR:
    """The stand-in's ECR client, counting each operation's calls and keeping part ranges."""

    def __init__(self, ecr):
        self._ecr = ecr
        self.calls: dict[str, int] = {}
        self.parts: list[tuple[int, int, int]] = []

    def __getattr__(self, name):
        method = getattr(self._ecr, name)

        def call(**kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            if name == "upload_layer_part":
                blob = kwargs["layerPartBlob"]
                self.parts.append((kwargs["partFirstByte"], kwargs["partLastByte"], len(blob)))
            return method(**kwargs)

        return call


@pytest.fixture
def stand_in():
    with emulated_account() as account:
        ecr = account.client("ecr")
        stocked = stock_image(ecr, layers=(b"a" * 2500, b"b" * 1000, b"c" * 10))
        ecr.create_repository(repositoryName=TARGET)
        yield ecr, stocked


def test_the_copy_has_the_same_manifest_and_digest_and_every_blob(stand_in):
    ecr, stocked = stand_in
    source = sklearn_image("us-east-1")
    copied = copy_image(ecr, source, TARGET, "1.0.0", download=stocked.download)
    (image,) = ecr.batch_get_image(repositoryName=TARGET, imageIds=[{"imageTag": "1.0.0"}])[
        "images"
    ]
    assert image["imageManifest"] == stocked.manifest
    assert image["imageId"]["imageDigest"] == copied.digest == stocked.digest
    digests = list(stocked.blobs)
    held = ecr.batch_check_layer_availability(repositoryName=TARGET, layerDigests=digests)
    assert {layer["layerDigest"] for layer in held["layers"]} == set(stocked.blobs)
    assert sorted(copied.copied) == sorted(stocked.blobs) and copied.skipped == []
    assert copied.bytes_copied == sum(len(b) for b in stocked.blobs.values())


def test_blobs_already_in_the_target_are_not_downloaded_again(stand_in):
    ecr, stocked = stand_in
    layer = next(d for d, b in stocked.blobs.items() if b == b"b" * 1000)
    upload_blob(ecr, TARGET, b"b" * 1000)
    counting = CountingECR(ecr)
    copied = copy_image(
        counting, sklearn_image("us-east-1"), TARGET, "1.0.0", download=stocked.download
    )
    assert copied.skipped == [layer] and layer not in stocked.downloads
    assert counting.calls["get_download_url_for_layer"] == len(stocked.blobs) - 1
    # A second copy (the next version's tag) downloads nothing and tags the same image.
    stocked.downloads.clear()
    again = copy_image(ecr, sklearn_image("us-east-1"), TARGET, "1.1.0", download=stocked.download)
    assert stocked.downloads == [] and again.copied == [] and again.digest == copied.digest
    tags = ecr.describe_images(repositoryName=TARGET)["imageDetails"][0]["imageTags"]
    assert sorted(tags) == ["1.0.0", "1.1.0"]


def test_a_blob_is_uploaded_in_parts_of_the_part_size(stand_in):
    ecr, stocked = stand_in
    counting = CountingECR(ecr)
    copied = copy_image(
        counting,
        sklearn_image("us-east-1"),
        TARGET,
        "1.0.0",
        download=stocked.download,
        part_size=1000,
    )
    big = next(d for d, b in stocked.blobs.items() if b == b"a" * 2500)
    assert copied.parts[big] == 3
    assert (0, 999, 1000) in counting.parts and (2000, 2499, 500) in counting.parts
    assert all(size <= 1000 for _, _, size in counting.parts)


def test_a_download_that_does_not_match_its_digest_is_not_completed(stand_in):
    ecr, stocked = stand_in

    def corrupted(url):
        stocked.download(url)
        return io.BytesIO(b"x" * 10)

    with pytest.raises(ValueError, match="does not match the manifest"):
        copy_image(ecr, sklearn_image("us-east-1"), TARGET, "1.0.0", download=corrupted)
    assert ecr.list_images(repositoryName=TARGET)["imageIds"] == []


def test_a_missing_source_image_says_so(stand_in):
    ecr, stocked = stand_in
    source = sklearn_image("us-east-1")
    missing = type(source)(source.registry, SKLEARN_REPOSITORY, "0.0-0-cpu-py3")
    with pytest.raises(ValueError, match="ImageNotFound"):
        copy_image(ecr, missing, TARGET, "1.0.0", download=stocked.download)


def test_the_source_is_the_regions_scikit_learn_image():
    source = sklearn_image("eu-west-1")
    assert (source.registry, source.repository, source.tag) == (
        "141502667606",
        SKLEARN_REPOSITORY,
        SKLEARN_TAG,
    )
    assert SKLEARN_REGISTRIES["us-east-1"] == "683313688378"
    with pytest.raises(ValueError, match="no SageMaker scikit-learn image is listed for xx-1"):
        sklearn_image("xx-1")
    assert MAX_PART_BYTES == 10 * 1024 * 1024


def test_only_https_urls_are_downloaded():
    with pytest.raises(ValueError, match="non-HTTPS"):
        open_url("http://example.invalid/layer")
