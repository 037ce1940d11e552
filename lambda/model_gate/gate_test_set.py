"""The labelled test set: one CSV row per example, ``label,feature1,feature2,...``.

The features are sent to the endpoint exactly as the model serves them (``text/csv``, the
format SageMaker's built-in algorithms take for inference:
https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html); the label (0 or 1) stays
with the gate. A row that is
not a label and numbers is rejected with its line number and reason, never sent: one bad row
never fails the gate on its own (the gate fails when too few rows are left to judge by).
Parsing is linear in the size of the file and keeps no more than one row in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

#: A row longer than this is rejected unread: a test row is a few features, and a bound keeps
#: a corrupt file (one line of megabytes) from becoming one huge request.
MAX_ROW_BYTES = 64 * 1024
#: Labels of a binary classifier.
LABELS = {"0": 0, "1": 1}


@dataclass(frozen=True)
class LabelledRow:
    """One example: where it is in the file, its label, and the body sent to the endpoint."""

    line: int
    label: int
    body: str


@dataclass(frozen=True)
class RejectedRow:
    """A row that could not be an example, with why."""

    line: int
    reason: str


def parse_row(line_number: int, raw: bytes, *, features: int | None) -> LabelledRow | RejectedRow:
    """Parse one line of the test set; ``features`` is the width of the first good row."""
    if len(raw) > MAX_ROW_BYTES:
        return RejectedRow(line_number, f"row longer than {MAX_ROW_BYTES} bytes")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return RejectedRow(line_number, "not UTF-8")
    if not text:
        return RejectedRow(line_number, "empty row")
    label, _, rest = text.partition(",")
    if label.strip() not in LABELS:
        return RejectedRow(line_number, "label is not 0 or 1")
    cells = [cell.strip() for cell in rest.split(",")] if rest else []
    if not cells:
        return RejectedRow(line_number, "no features")
    if features is not None and len(cells) != features:
        return RejectedRow(line_number, f"{len(cells)} features, expected {features}")
    for cell in cells:
        try:
            value = float(cell)
        except ValueError:
            return RejectedRow(line_number, "a feature is not a number")
        if not math.isfinite(value):
            return RejectedRow(line_number, "a feature is not finite")
    return LabelledRow(line_number, LABELS[label.strip()], ",".join(cells))


def parse_test_set(lines: Iterable[bytes], *, max_rows: int) -> Iterator[LabelledRow | RejectedRow]:
    """Yield every line of the file as an example or a rejection.

    Rows past ``max_rows`` examples are rejected as such: the gate's run time is bounded by
    its Lambda timeout.
    """
    features: int | None = None
    accepted = 0
    for number, raw in enumerate(lines, start=1):
        if accepted >= max_rows:
            yield RejectedRow(number, f"beyond the first {max_rows} examples")
            continue
        row = parse_row(number, raw, features=features)
        if isinstance(row, LabelledRow):
            accepted += 1
            if features is None:
                features = row.body.count(",") + 1
        yield row
