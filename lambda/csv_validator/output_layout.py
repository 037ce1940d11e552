"""Where the outputs of one source object go, and the provenance metadata stored on them.

Both outputs are keyed by the source key alone (never by time or request id), so reprocessing the
same object overwrites the same keys: that is what makes duplicate deliveries harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

SOURCE_SUFFIX = ".csv"
OUTPUT_SUFFIX = ".jsonl"

# S3 user-metadata keys (sent as x-amz-meta-*; S3 returns them lower-cased).
META_BUCKET = "source-bucket"
META_KEY = "source-key"
META_VERSION_ID = "source-version-id"
META_SEQUENCER = "source-sequencer"


def output_name(source_key: str, input_prefix: str) -> str:
    """Derive the output name: drop ``input_prefix`` and swap ``.csv`` for ``.jsonl``.

    Example:
        >>> output_name("incoming/2024/orders 1.csv", "incoming/")
        '2024/orders 1.jsonl'
    """
    name = source_key
    if input_prefix and name.startswith(input_prefix):
        name = name[len(input_prefix) :]
    if name.endswith(SOURCE_SUFFIX):
        name = name[: -len(SOURCE_SUFFIX)]
    return name + OUTPUT_SUFFIX


def provenance_metadata(
    bucket: str, key: str, version_id: str | None, sequencer: str | None
) -> dict[str, str]:
    """Return the user metadata naming the source object version and event that produced an output.

    The key is percent-encoded because S3 metadata travels in HTTP headers, which must be ASCII.
    """
    metadata = {META_BUCKET: bucket, META_KEY: quote(key, safe="/")}
    if version_id:
        metadata[META_VERSION_ID] = version_id
    if sequencer:
        metadata[META_SEQUENCER] = sequencer
    return metadata


@dataclass(frozen=True)
class Provenance:
    """The source an existing output was produced from, read back from its metadata."""

    source_key: str | None
    sequencer: str | None


def read_provenance(metadata: dict[str, str]) -> Provenance:
    """Parse the metadata written by ``provenance_metadata`` (missing entries become None)."""
    key = metadata.get(META_KEY)
    return Provenance(
        source_key=unquote(key) if key is not None else None,
        sequencer=metadata.get(META_SEQUENCER) or None,
    )
