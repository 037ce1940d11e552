"""The streaming S3 writer on moto: single put when small, parts when large, abort on failure."""

from __future__ import annotations

import boto3
import moto.s3.models
import pytest
from moto import mock_aws
from multipart_writer import MultipartWriter

BUCKET = "refarch-test-writer"
PART = 1024


@pytest.fixture
def s3(monkeypatch):
    # moto enforces S3's 5 MiB minimum for all parts but the last; lower it so parts stay tiny.
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def uploads_in_progress(s3) -> list:
    return s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])


def test_small_output_is_one_put_object(s3):
    with MultipartWriter(s3, BUCKET, "small", metadata={"a": "1"}, part_size=PART) as out:
        out.write(b"x" * (PART - 1))
        out.complete()
    assert out.parts_uploaded == 0
    head = s3.head_object(Bucket=BUCKET, Key="small")
    assert head["ContentLength"] == PART - 1
    assert head["Metadata"] == {"a": "1"}
    assert "-" not in head["ETag"]  # not a multipart ETag
    assert head["ContentType"] == "application/x-ndjson"


def test_large_output_is_flushed_part_by_part(s3):
    chunks = [bytes([65 + i % 26]) * 300 for i in range(12)]  # 3600 bytes in 300-byte writes
    with MultipartWriter(s3, BUCKET, "large", metadata={"a": "1"}, part_size=PART) as out:
        for number, chunk in enumerate(chunks, start=1):
            out.write(chunk)
            # Never more than one part buffered: parts go up as soon as they fill.
            assert out.parts_uploaded == number * 300 // PART
        out.complete()
    assert out.parts_uploaded == 4  # 3 full parts + the 528-byte last part
    head = s3.head_object(Bucket=BUCKET, Key="large")
    assert head["ETag"].strip('"').endswith("-4")
    assert head["Metadata"] == {"a": "1"}
    assert s3.get_object(Bucket=BUCKET, Key="large")["Body"].read() == b"".join(chunks)
    assert uploads_in_progress(s3) == []


def test_exact_multiple_of_part_size_has_no_empty_last_part(s3):
    with MultipartWriter(s3, BUCKET, "exact", metadata={}, part_size=PART) as out:
        out.write(b"z" * (2 * PART))
        out.complete()
    assert out.parts_uploaded == 2
    assert s3.head_object(Bucket=BUCKET, Key="exact")["ContentLength"] == 2 * PART


def test_empty_output_completes_as_an_empty_object(s3):
    with MultipartWriter(s3, BUCKET, "empty", metadata={}, part_size=PART) as out:
        out.complete()
    assert s3.head_object(Bucket=BUCKET, Key="empty")["ContentLength"] == 0


def test_failure_after_parts_aborts_the_upload(s3):
    with (
        pytest.raises(RuntimeError, match="boom"),
        MultipartWriter(s3, BUCKET, "failed", metadata={}, part_size=PART) as out,
    ):
        out.write(b"y" * (3 * PART))
        assert out.parts_uploaded == 3
        raise RuntimeError("boom")
    assert uploads_in_progress(s3) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_leaving_without_complete_writes_nothing(s3):
    with MultipartWriter(s3, BUCKET, "forgotten", metadata={}, part_size=PART) as out:
        out.write(b"y" * (2 * PART))
    assert uploads_in_progress(s3) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_finished_writer_refuses_more_writes(s3):
    with MultipartWriter(s3, BUCKET, "done", metadata={}, part_size=PART) as out:
        out.complete()
        with pytest.raises(ValueError, match="finished"):
            out.write(b"more")
