"""Java/Joda date-time patterns (``yyyy-MM-dd'T'HH``), as Firehose uses them, split into parts.

Firehose renders ``!{timestamp:…}`` prefixes with these patterns and the HiveJson SerDe parses
``TimestampFormats`` with them; both read a pattern the same way: quoted literals, and runs of
one pattern letter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class PatternPart:
    """A literal run of text, or a run of one pattern letter (``yyyy``: letter y, width 4)."""

    text: str
    letter: str | None = None

    @property
    def width(self) -> int:
        """How many times the letter repeats (its field width)."""
        return len(self.text)


def pattern_parts(pattern: str) -> Iterator[PatternPart]:
    """Split a pattern into literal text and runs of one pattern letter.

    Text between single quotes is literal (``''`` is a quote); outside quotes, letters are
    fields and anything else is literal.

    Example:
        >>> [(p.text, p.letter) for p in pattern_parts("yyyy'T'HH")]
        [('yyyy', 'y'), ('T', None), ('HH', 'H')]

    Raises:
        ValueError: A quote is not closed.
    """
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = pattern.find("'", i + 1)
            if end == -1:
                raise ValueError(f"unterminated quote in date-time pattern {pattern!r}")
            yield PatternPart(pattern[i + 1 : end] if end > i + 1 else "'")
            i = end + 1
            continue
        run = 1
        while i + run < len(pattern) and pattern[i + run] == char:
            run += 1
        text = char * run
        yield PatternPart(text, char if char.isalpha() else None)
        i += run
