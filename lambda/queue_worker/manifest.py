"""The manifest record of one object version: what it is, judged from its first bytes.

Pure: no AWS calls. The record depends only on the object version (its event facts and bytes),
so writing it twice writes the same thing: a duplicate delivery is harmless.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from upload_message import ObjectVersion

#: How much of each object is read to recognise its format.
SNIFF_BYTES = 64 * 1024
#: Delimiters a CSV header may use.
_DELIMITERS = ",;\t|"
_BOM = "\ufeff"

#: One encoder for every record: ``json.dumps`` with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)

ACCEPTED = "accepted"
REJECTED = "rejected"


def manifest_key(prefix: str, version: ObjectVersion) -> str:
    """One manifest per object version: ``<prefix><key>/<version id or 'null'>.json``."""
    return f"{prefix}{version.key}/{version.version_id or 'null'}.json"


def sniff(first_bytes: bytes, *, truncated: bool) -> dict[str, Any]:
    """Recognise the format from the first bytes of an object.

    Returns ``{"format": …}`` plus ``columns``/``delimiter`` for CSV, or ``{"reason": …}``
    when the object cannot be accepted.
    """
    if not first_bytes:
        return {"format": "empty", "reason": "empty object"}
    if first_bytes.startswith(b"PAR1"):
        return {"format": "parquet"}
    if first_bytes.startswith(b"\x1f\x8b"):
        return {"format": "gzip"}
    try:
        text = first_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the end is not an error.
        if not (truncated and exc.start >= len(first_bytes) - 3):
            return {"format": "binary", "reason": f"not UTF-8 (byte {exc.start})"}
        text = first_bytes[: exc.start].decode("utf-8")
    line, newline, _ = text.removeprefix(_BOM).partition("\n")
    if not newline and truncated:
        return {"format": "text", "reason": f"first line longer than {SNIFF_BYTES} bytes"}
    line = line.rstrip("\r")
    if line.lstrip().startswith("{"):
        try:
            json.loads(line)
        except ValueError:
            return {"format": "text", "reason": "first line starts like JSON but is not"}
        return {"format": "jsonl"}
    # The delimiter is the candidate the header uses most (the first of equals, as max() does).
    counts = [line.count(d) for d in _DELIMITERS]
    most = max(counts)
    if not most or not line.strip():
        return {"format": "text", "reason": "no header row with a delimiter"}
    delimiter = _DELIMITERS[counts.index(most)]
    # Quoted headers need the csv module; plain ones (nearly all) split the same, faster.
    columns = (
        next(csv.reader(io.StringIO(line), delimiter=delimiter))
        if '"' in line
        else line.split(delimiter)
    )
    names = list(map(str.strip, columns))
    if "" in names:
        return {"format": "csv", "reason": "header has an empty column name", "columns": names}
    if len(set(names)) != len(names):
        return {"format": "csv", "reason": "header repeats a column name", "columns": names}
    return {"format": "csv", "delimiter": delimiter, "columns": names}


def manifest_record(
    version: ObjectVersion, *, first_bytes: bytes, content_type: str | None
) -> dict[str, Any]:
    """The manifest record: the event's facts, the sniffed format, accepted or rejected."""
    found = sniff(first_bytes, truncated=version.size > len(first_bytes))
    reason = found.pop("reason", None)
    record: dict[str, Any] = {
        "bucket": version.bucket,
        "key": version.key,
        "version_id": version.version_id,
        "size": version.size,
        "etag": version.etag,
        "sequencer": version.sequencer,
        "event_time": version.event_time,
        "content_type": content_type,
        **found,
        "status": REJECTED if reason else ACCEPTED,
    }
    if reason:
        record["reason"] = reason
    return record


def manifest_body(record: dict[str, Any]) -> bytes:
    """The record as canonical JSON (sorted keys): identical bytes for identical records."""
    return (_ENCODER.encode(record) + "\n").encode()
