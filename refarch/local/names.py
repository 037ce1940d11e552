"""Physical names as CloudFormation generates them: ``<stack>-<logical id>-<suffix>``."""

from __future__ import annotations

import hashlib

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SUFFIX_LENGTH = 12


def physical_name(
    stack_name: str, logical_id: str, *, max_length: int = 64, lowercase: bool = False
) -> str:
    """Return a CloudFormation-style generated name, shortened to ``max_length``.

    The suffix is derived from the stack and logical id, not random, so a trace reads the same on
    every run.

    Example:
        >>> physical_name("S3EventProcessing", "InputBucket35D89CB1", lowercase=True)
        's3eventprocessing-inputbucket35d89cb1-dkbek9fsmfpi'
    """
    digest = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).digest()
    suffix = "".join(_ALPHABET[byte % len(_ALPHABET)] for byte in digest[:SUFFIX_LENGTH])
    room = max_length - SUFFIX_LENGTH - 1
    stem = f"{stack_name}-{logical_id}"
    if len(stem) > room:
        # Keep the start of both parts, as CloudFormation does, so the name stays recognisable.
        keep_stack = min(len(stack_name), room // 2)
        stem = f"{stack_name[:keep_stack]}-{logical_id}"[:room]
    name = f"{stem}-{suffix}"
    return name.lower() if lowercase else name
