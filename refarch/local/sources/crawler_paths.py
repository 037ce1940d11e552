"""Which objects a Glue crawler reads under an S3 include path, and the partitions they make.

Two rules of the crawler, both from the Glue developer guide:

- **Exclude patterns** are globs matched against the object's key relative to the include path
  (AWS docs, "Include and exclude patterns",
  https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html#crawler-data-stores-exclude):
  ``/`` separates folders; ``*`` matches zero or more characters of one name without crossing a
  folder boundary; ``**`` matches across folder boundaries; ``?`` matches one character of a
  name; ``[...]`` one character of a set or range (``[!...]`` negated); ``{a,b}`` one of several
  sub-patterns (not nested); a backslash escapes the next character; a leading dot is an ordinary
  character.
- **Partitions** are the folder levels below a table's root: a Hive-style ``key=value`` folder
  gives the key its name, any other folder level is named ``partition_0``, ``partition_1``…
  (AWS docs, "How does a crawler determine when to create partitions?",
  https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache


def _bracket(pattern: str, start: int) -> tuple[str, int]:
    """Translate the bracket expression opening at ``start``; return it and the index after it."""
    end = pattern.find("]", start + 2)  # a ']' right after '[' or '[!' is a member
    if end < 0:
        return re.escape("["), start + 1
    body = pattern[start + 1 : end]
    negated = body.startswith("!")
    members = body[1:] if negated else body
    members = members.replace("\\", "\\\\").replace("^", "\\^")
    # Never across a folder boundary, negated or not: one character of a name.
    return (f"[^/{members}]" if negated else f"(?!/)[{members}]"), end + 1


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A crawler exclude pattern as a regular expression over a key relative to the include path.

    Example:
        >>> bool(glob_regex("**.metadata").fullmatch("batch-1/query.metadata"))
        True
        >>> bool(glob_regex("*.json").fullmatch("batch-1/a.json"))
        False
        >>> bool(glob_regex("{a,b}/*.csv").fullmatch("b/x.csv"))
        True
    """
    out: list[str] = []
    index, in_group = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            translated, index = _bracket(pattern, index)
            out.append(translated)
            continue
        elif char == "{" and not in_group:
            out.append("(?:")
            in_group = True
        elif char == "}" and in_group:
            out.append(")")
            in_group = False
        elif char == "," and in_group:
            out.append("|")
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))


def is_excluded(relative_key: str, exclusions: Iterable[str]) -> bool:
    """Return True if a key (relative to the include path) matches one of the exclude patterns."""
    return any(glob_regex(pattern).fullmatch(relative_key) for pattern in exclusions)


@dataclass(frozen=True)
class PartitionFolder:
    """A folder of data files below a table's root, as the partition it becomes."""

    relative: str
    """The folder's path relative to the table root, with a trailing slash (``batch-0001/``)."""

    keys: tuple[str, ...]
    """The partition key of each folder level (``year`` for ``year=2024``, else
    ``partition_<level>``)."""

    values: tuple[str, ...]
    """The value of each level (``2024`` for ``year=2024``, the folder name otherwise)."""


def partition_folder(relative_folder: str) -> PartitionFolder:
    """The partition a folder below the table root makes (``""`` is the root: no partition).

    Example:
        >>> partition_folder("year=2024/batch-7/").keys
        ('year', 'partition_1')
    """
    levels = [level for level in relative_folder.split("/") if level]
    keys, values = [], []
    for depth, level in enumerate(levels):
        name, equals, value = level.partition("=")
        if equals and name:
            keys.append(name)
            values.append(value)
        else:
            keys.append(f"partition_{depth}")
            values.append(level)
    return PartitionFolder(relative_folder, tuple(keys), tuple(values))


def folder_of(relative_key: str) -> str:
    """The folder of a key relative to the table root, with a trailing slash (root: ``""``)."""
    head, slash, _ = relative_key.rpartition("/")
    return f"{head}{slash}"


def partition_keys(folders: Sequence[PartitionFolder]) -> tuple[str, ...]:
    """The table's partition keys: those of its shallowest data folders.

    Glue makes one table only of folders at one depth; data at mixed depths is a case this
    emulation does not model (it keys the table on the shallowest level that holds data).
    """
    if not folders:
        return ()
    return min((f.keys for f in folders), key=len)
