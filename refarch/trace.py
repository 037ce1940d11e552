"""The readable trace of a run, local or live: what came in, what each function did, what landed."""

from __future__ import annotations

import json
from typing import Any, TextIO

#: Longest rendering of a value (an event, a return value) before it is shortened.
MAX_VALUE_CHARS = 240


class Trace:
    """Write indented lines to a text stream, or nowhere when ``out`` is None.

    Every part of the runner (deployer, sources, Lambda service, demos) writes to the same trace,
    so one read from top to bottom follows each event from upload to output.
    """

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def section(self, title: str) -> None:
        """Start a part of the run, e.g. ``Deploy`` or ``Landed``."""
        self._write(f"\n== {title}")

    def line(self, text: str, level: int = 1) -> None:
        """Write one line, indented two spaces per level."""
        self._write("  " * level + text)

    def _write(self, text: str) -> None:
        if self._out is not None:
            self._out.write(text + "\n")
            self._out.flush()


def brief(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """Render a value as compact JSON (or repr), shortened to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size(num_bytes: int) -> str:
    """Render a byte count for people: ``812 B``, ``12.3 KB``."""
    if num_bytes < 1024:
        return f"{num_bytes} B"
    if num_bytes < 1024 * 1024:
        return f"{num_bytes / 1024:.1f} KB"
    return f"{num_bytes / (1024 * 1024):.1f} MB"
