"""Order S3 event notifications for one object key by their ``sequencer``.

S3 does not deliver notifications in order. Its documented rule: sequencers are hexadecimal strings
of varying length, comparable only for the same object key; left-pad the shorter with zeros, then
compare lexicographically; the greater one is the later event.
"""

from __future__ import annotations

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def is_sequencer(value: str) -> bool:
    """Return True if ``value`` is a non-empty hexadecimal string, as S3 sequencers are."""
    return bool(value) and all(char in _HEX_DIGITS for char in value)


def compare_sequencers(left: str, right: str) -> int:
    """Return -1, 0 or 1 as ``left`` is older than, the same as, or newer than ``right``.

    Example:
        >>> compare_sequencers("0055AED6DCD90281E5", "0055AED6DCD90281E6")
        -1
        >>> compare_sequencers("FF", "0100")  # "00FF" < "0100"
        -1
    """
    for value in (left, right):
        if not is_sequencer(value):
            raise ValueError(f"not an S3 sequencer: {value!r}")
    width = max(len(left), len(right))
    left_key = left.upper().rjust(width, "0")
    right_key = right.upper().rjust(width, "0")
    return (left_key > right_key) - (left_key < right_key)
