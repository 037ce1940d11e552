"""Where the outputs of one source object go, and the provenance metadata stored on them.

Outputs are keyed by the source bucket and key alone (never by time or request id), so
reprocessing the same object overwrites the same keys: that is what makes duplicate deliveries
harmless. The derivation is injective, so two different source objects never share an output:

- ``{prefix}{bucket}/{name}.jsonl``, where ``name`` is the source key without the configured input
  prefix and suffix. The handler refuses any key without that prefix and suffix (see
  ``handler.check_configured``), so stripping them loses nothing; a bucket name holds no ``/``,
  so the bucket and the name can always be told apart.
- When that key would exceed S3's 1,024-byte limit on a key's UTF-8 encoding
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html):
  ``{prefix}!sha256/{bucket}/{sha256 of the source key}.jsonl``. ``!`` is never part of a bucket
  name (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html, legacy
  names included), so a hashed key can never equal a plain one.

The full source key is always recoverable: from the plain output key (input prefix + name +
suffix), from the ``source-key``/``source-key-base64`` metadata, and in every rejection record's
``source_key``. User metadata is limited to 2 KB, counted as the UTF-8 bytes of every name and
value (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html): a 1,024-byte key
percent-encoded can take 3,072, so a key whose percent-encoding does not fit is stored as
URL-safe base64 (at most 1,368 characters) instead.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import quote, unquote

OUTPUT_SUFFIX = ".jsonl"

MAX_KEY_BYTES = 1024
"""S3's limit on an object key's UTF-8 encoding (object-keys.html, above)."""

MAX_USER_METADATA_BYTES = 2048
"""S3's 2 KB limit on user-defined metadata: names plus values, UTF-8 bytes (UsingMetadata.html)."""

HASHED_SEGMENT = "!sha256"
"""Stands where a bucket name would: marks an output keyed by the hash of its source key."""

# S3 user-metadata keys (sent as x-amz-meta-*; S3 returns them lower-cased).
META_BUCKET = "source-bucket"
META_KEY = "source-key"
META_KEY_BASE64 = "source-key-base64"
META_KEY_SHA256 = "source-key-sha256"
META_VERSION_ID = "source-version-id"
META_SEQUENCER = "source-sequencer"


def key_digest(key: str) -> str:
    """Return the SHA-256 of a key's UTF-8 encoding, as 64 lowercase hex digits."""
    return hashlib.sha256(key.encode()).hexdigest()


def output_key(
    output_prefix: str, bucket: str, key: str, input_prefix: str, input_suffix: str
) -> str:
    """Derive an output key from a source object; it is at most ``MAX_KEY_BYTES`` long.

    The caller has checked that ``key`` starts with ``input_prefix`` and ends with
    ``input_suffix``, which is what makes the plain form injective.

    Example:
        >>> output_key("curated/", "in", "incoming/2024/orders 1.csv", "incoming/", ".csv")
        'curated/in/2024/orders 1.jsonl'
    """
    name = key[len(input_prefix) :]
    if input_suffix:
        name = name[: -len(input_suffix)]
    plain = f"{output_prefix}{bucket}/{name}{OUTPUT_SUFFIX}"
    if len(plain.encode()) <= MAX_KEY_BYTES:
        return plain
    return f"{output_prefix}{HASHED_SEGMENT}/{bucket}/{key_digest(key)}{OUTPUT_SUFFIX}"


def metadata_bytes(metadata: dict[str, str]) -> int:
    """Return the size S3 counts against the 2 KB limit: UTF-8 bytes of every name and value."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in metadata.items())


def provenance_metadata(
    bucket: str, key: str, version_id: str | None, sequencer: str | None
) -> dict[str, str]:
    """Return the user metadata naming the source object version and event behind an output.

    Values must be ASCII (they travel as HTTP headers): the key is percent-encoded, or, when that
    would break the 2 KB limit, URL-safe base64. Its SHA-256 is always there: it is what the
    stale-event check compares.
    """
    metadata = {META_BUCKET: bucket, META_KEY_SHA256: key_digest(key)}
    if version_id:
        metadata[META_VERSION_ID] = version_id
    if sequencer:
        metadata[META_SEQUENCER] = sequencer
    for name, value in (
        (META_KEY, quote(key, safe="/")),
        (META_KEY_BASE64, base64.urlsafe_b64encode(key.encode()).decode()),
    ):
        candidate = {**metadata, name: value}
        if metadata_bytes(candidate) <= MAX_USER_METADATA_BYTES:
            return candidate
    # Only a version id near its own 1,024-byte maximum gets here (S3's are 32 characters):
    # the key is still in the output key or the hashed key's rejection records.
    return metadata


@dataclass(frozen=True)
class Provenance:
    """The source an existing output was produced from, read back from its metadata."""

    source_bucket: str | None
    source_key_sha256: str | None
    sequencer: str | None

    def is_from(self, bucket: str, key: str) -> bool:
        """Return True if this output was produced from ``key`` in ``bucket``."""
        return self.source_bucket == bucket and self.source_key_sha256 == key_digest(key)


def read_provenance(metadata: dict[str, str]) -> Provenance:
    """Parse the metadata written by ``provenance_metadata`` (missing entries become None).

    Outputs written before the SHA-256 entry existed carry only the percent-encoded key.
    """
    digest = metadata.get(META_KEY_SHA256)
    if digest is None and metadata.get(META_KEY) is not None:
        digest = key_digest(unquote(metadata[META_KEY]))
    return Provenance(
        source_bucket=metadata.get(META_BUCKET),
        source_key_sha256=digest,
        sequencer=metadata.get(META_SEQUENCER) or None,
    )


def read_source_key(metadata: dict[str, str]) -> str | None:
    """Return the full source key stored on an output, whichever encoding it was stored in."""
    if META_KEY in metadata:
        return unquote(metadata[META_KEY])
    if META_KEY_BASE64 in metadata:
        return base64.urlsafe_b64decode(metadata[META_KEY_BASE64]).decode()
    return None
