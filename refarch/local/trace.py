"""The trace of a local run (``refarch.trace``), where the runner's modules import it from."""

from refarch.trace import MAX_VALUE_CHARS, Trace, brief, size

__all__ = ["MAX_VALUE_CHARS", "Trace", "brief", "size"]
