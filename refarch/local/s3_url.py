"""S3 URLs (``s3://bucket/key``) as Glue, SageMaker and Firehose configurations give them."""

from __future__ import annotations

from urllib.parse import urlparse


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/key/or/prefix`` → ``("bucket", "key/or/prefix")``."""
    parsed = urlparse(url)
    return parsed.netloc, parsed.path.lstrip("/")
