"""Write one S3 object from a stream of byte chunks, holding at most one part in memory.

Small outputs (under one part) go up as a single ``PutObject``; larger ones as a multipart upload
whose parts are flushed as soon as they fill. Any failure, or leaving the ``with`` block without
``complete()``, aborts the upload: no half-written object appears and no orphaned part is billed.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

PART_SIZE_BYTES = 8 * 1024 * 1024
"""Size of every part but the last. S3 requires parts of at least 5 MiB except the last one;
8 MiB stays clear of that floor while keeping memory flat (one buffer per open writer)."""

CONTENT_TYPE_JSON_LINES = "application/x-ndjson"


class MultipartWriter:
    r"""Buffered writer for one S3 object: ``write()`` chunks, then ``complete()`` or ``abort()``.

    Args:
        client: A boto3 S3 client.
        bucket: The output bucket.
        key: The output key.
        metadata: User metadata stored on the object (values must be ASCII, as S3 requires).
        part_size: Bytes per part; ``None`` reads ``PART_SIZE_BYTES`` when the writer is created.
        content_type: The object's Content-Type.

    Example:
        >>> with MultipartWriter(s3, "bucket", "out.jsonl", metadata={}) as out:  # doctest: +SKIP
        ...     out.write(b'{"a":1}\n')
        ...     out.complete()
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        metadata: dict[str, str],
        part_size: int | None = None,
        content_type: str = CONTENT_TYPE_JSON_LINES,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.key = key
        self._metadata = metadata
        self._part_size = part_size or PART_SIZE_BYTES
        self._content_type = content_type
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._finished = False
        self.bytes_written = 0

    @property
    def parts_uploaded(self) -> int:
        """Number of multipart parts sent so far (0 while the output fits in one part)."""
        return len(self._parts)

    def write(self, data: bytes) -> None:
        """Append bytes; every time a full part has accumulated it is uploaded."""
        if self._finished:
            raise ValueError(f"write to finished writer for s3://{self.bucket}/{self.key}")
        self._buffer += data
        self.bytes_written += len(data)
        while len(self._buffer) >= self._part_size:
            part = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            self._upload_part(part)

    def complete(self) -> None:
        """Finish the object: one PutObject if no part was sent yet, else the last part + complete.

        An empty writer still creates an empty object: the caller decides whether to complete.
        """
        if self._finished:
            raise ValueError(f"s3://{self.bucket}/{self.key} is already finished")
        try:
            if self._upload_id is None:
                self._client.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=bytes(self._buffer),
                    Metadata=self._metadata,
                    ContentType=self._content_type,
                )
            else:
                if self._buffer:
                    self._upload_part(bytes(self._buffer))
                self._client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except BaseException:
            with contextlib.suppress(Exception):
                self.abort()
            raise
        self._buffer = bytearray()
        self._finished = True

    def abort(self) -> None:
        """Discard everything written; abort the multipart upload if one was started."""
        self._buffer = bytearray()
        if self._finished:
            return
        self._finished = True
        if self._upload_id is not None:
            self._client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )

    def _upload_part(self, part: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                Metadata=self._metadata,
                ContentType=self._content_type,
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=part,
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._finished:
            return
        if exc is None:
            self.abort()
            return
        # Abort on the way out of a failure, but never let an abort error hide the original one;
        # the bucket's AbortIncompleteMultipartUpload lifecycle rule is the backstop.
        with contextlib.suppress(Exception):
            self.abort()
