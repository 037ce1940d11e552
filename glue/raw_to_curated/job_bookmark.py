"""Which input files a run has processed already: the local stand-in for Glue's job bookmark.

Bookmarks make a job incremental
(https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html), so a second run processes
only data added since the first. In Glue they are on with the job argument ``--job-bookmark-option
job-bookmark-enable`` and work through two calls in the script
(https://docs.aws.amazon.com/glue/latest/dg/programming-etl-connect-bookmarks.html): the read names
a ``transformation_ctx``, under which Glue keeps the source's state, and ``job.commit()`` at the end
saves it. For an S3 source the state is about files: Glue checks each object's last-modified time
and reads only objects that are new or modified since the last committed run
(https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html).

``FileBookmark`` is that state, explicit and local:

==========================================  =============================================
Glue                                        here
==========================================  =============================================
state kept under ``transformation_ctx``     a JSON file (``bookmark_file``)
last-modified time of each S3 object        ``InputFile.modified_ns`` (and ``size``)
read only new or modified objects           ``FileBookmark.unprocessed(listing)``
``job.commit()`` after the writes           ``with_processed(files).save(path)``, last
failed run: nothing committed, re-read      same: the bookmark file is left as it was
``ResetJobBookmark`` (rewind)               delete the file
==========================================  =============================================

It keeps every processed path (one entry per file) rather than a time window: exact, and small
for the file counts a local run sees. A modified file is read again, as in Glue, and its events
already curated are then left out by the dedupe, so reading a file twice writes nothing twice.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

FORMAT_VERSION = 1


@dataclass(frozen=True, order=True)
class InputFile:
    """One input file as listed: where it is, when it last changed and how big it is.

    Attributes:
        path: Absolute path (or URI) of the file.
        modified_ns: Last-modification time, nanoseconds since the epoch.
        size: Size in bytes.
    """

    path: str
    modified_ns: int
    size: int


class FileBookmark:
    """The input files already processed, with the version of each that was processed.

    Example:
        >>> old = InputFile("/raw/a.json", 1, 10)
        >>> bookmark = FileBookmark().with_processed([old])
        >>> bookmark.unprocessed([old, InputFile("/raw/b.json", 2, 20)])
        [InputFile(path='/raw/b.json', modified_ns=2, size=20)]
    """

    def __init__(self, processed: Mapping[str, tuple[int, int]] | None = None) -> None:
        self._processed = dict(processed or {})

    def __len__(self) -> int:
        return len(self._processed)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FileBookmark:
        """Read a bookmark file; a missing file is an empty bookmark (first run, or a reset)."""
        try:
            document = json.loads(Path(path).read_text())
        except FileNotFoundError:
            return cls()
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path}: unknown bookmark format {document.get('version')!r}")
        return cls(
            {
                name: (entry["modified_ns"], entry["size"])
                for name, entry in document["processed"].items()
            }
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the bookmark atomically: a crash leaves the old file or the new, never half."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "version": FORMAT_VERSION,
            "processed": {
                name: {"modified_ns": modified_ns, "size": size}
                for name, (modified_ns, size) in sorted(self._processed.items())
            },
        }
        with tempfile.NamedTemporaryFile(
            "w", dir=target.parent, prefix=f".{target.name}.", delete=False
        ) as staging:
            json.dump(document, staging, indent=1)
        os.replace(staging.name, target)

    def unprocessed(self, listing: Iterable[InputFile]) -> list[InputFile]:
        """The files of ``listing`` that are new, or changed since they were processed."""
        return sorted(
            file
            for file in listing
            if self._processed.get(file.path) != (file.modified_ns, file.size)
        )

    def with_processed(self, files: Iterable[InputFile]) -> FileBookmark:
        """A new bookmark that also records ``files`` as processed (this one is unchanged)."""
        processed = dict(self._processed)
        processed.update((file.path, (file.modified_ns, file.size)) for file in files)
        return FileBookmark(processed)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob of Glue's include/exclude syntax as a regular expression over a relative path.

    ``**`` matches across folder boundaries, ``*`` and ``?`` within one name (AWS docs: crawler
    include and exclude patterns; the job reader's ``exclusions`` use the same globs).

    Example:
        >>> bool(glob_regex("**.metadata").fullmatch("2024/05/run.metadata"))
        True
        >>> bool(glob_regex("_temporary/*").fullmatch("_temporary/0/part-0"))
        False
    """
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    translated = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(translated.get(part, re.escape(part)) for part in parts))


def list_input_files(
    root: str | os.PathLike[str], exclusions: Sequence[str] = ()
) -> list[InputFile]:
    """Every data file under ``root``, recursively, sorted by path.

    Names starting with ``_`` or ``.`` are skipped, files and folders alike, as Spark and Hadoop
    skip them (``_SUCCESS`` markers, ``.crc`` checksums, a writer's temporary files); so are
    files whose path relative to ``root`` matches one of the ``exclusions`` globs (the job's
    ``--exclusions``, the crawler's patterns: manifests, metadata files).
    """
    excluded = [glob_regex(pattern) for pattern in exclusions]
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(("_", "."))]
        for name in names:
            if name.startswith(("_", ".")):
                continue
            path = Path(folder, name).resolve()
            relative = Path(folder, name).relative_to(root).as_posix()
            if any(regex.fullmatch(relative) for regex in excluded):
                continue
            status = path.stat()
            found.append(InputFile(str(path), status.st_mtime_ns, status.st_size))
    return sorted(found)
