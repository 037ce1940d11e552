"""Generated raw clickstream events, as the stream-to-lake pattern writes them (JSON Lines)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
JOB_DIR = REPO_ROOT / "glue" / "raw_to_curated"

BASE_TIME = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
EVENT_TYPES = ("page_view", "click", "add_to_cart", "purchase")


def put_on_path(folder: Path) -> None:
    """Make a job directory's modules importable by their flat names."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def iso(moment: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, the stream's format."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def event(n: int, *, day: int = 0, **overrides: Any) -> dict[str, Any]:
    """The n-th valid event, ``day`` days after 2024-05-01, fields overridable (None = remove)."""
    moment = BASE_TIME + timedelta(days=day, seconds=n)
    record: dict[str, Any] = {
        "event_id": f"evt-{day:03d}-{n:06d}",
        "event_type": EVENT_TYPES[n % len(EVENT_TYPES)],
        "event_time": iso(moment),
        "user_key": f"{n % 97:032x}",
        "session_id": f"sess-{n // 10:05d}",
        "page": f"/products/{n % 50}",
        "ingested_at": iso(moment + timedelta(seconds=2)),
    }
    for name, value in overrides.items():
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    return record


def write_lines(path: Path, records: list[Any]) -> Path:
    """Write JSON Lines: dicts are encoded compactly, strings are written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{encode(record)}\n" for record in records))
    return path


def encode(record: Any) -> str:
    """One JSON Lines line: a dict encoded compactly, a string as it is."""
    return record if isinstance(record, str) else json.dumps(record, separators=(",", ":"))


def lines_frame(spark: Any, records: list[Any], source_file: str = "file:///raw/a.json") -> Any:
    """A DataFrame of lines as ``raw_records.read_json_lines`` gives: ``value``, ``source_file``."""
    rows = [(encode(record), source_file) for record in records]
    return spark.createDataFrame(rows, "value string, source_file string")
