"""Captured requests (and training rows) as feature records, streamed, hostile lines counted.

SageMaker's data capture writes one JSON object per line: ``captureData.endpointInput`` holds
the request (``data``, ``encoding`` ``BASE64``/``CSV``/``JSON``, ``observedContentType``), and
``endpointOutput`` the response (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html).
Model Monitor analyses the input: a JSON object's keys are the feature names; a CSV row (one
per line of the payload) has no header, so its columns are named ``_c0``, ``_c1``... as Spark
names them, and the baseline of CSV data must be headerless for the names to match.

Every line ends as records or in ``ReadReport.bad`` with its reason; nothing raises, and memory
does not grow with the number of lines (the examples kept are capped).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: A record wider than this is rejected: it cannot be a row of the model's features, and the
#: job's memory must not grow with what a client sends.
MAX_FEATURES = 10_000
#: Bad lines kept as examples (line number, reason) for the report; all are counted.
MAX_EXAMPLES = 20

Record = dict[str, Any]


@dataclass
class ReadReport:
    """What a read consumed: lines, records, and every unusable line counted by reason."""

    lines: int = 0
    records: int = 0
    bad: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[int, str]] = field(default_factory=list)

    @property
    def bad_lines(self) -> int:
        """Lines that gave no record."""
        return sum(self.bad.values())

    def reject(self, reason: str) -> None:
        """Count the current line as bad for ``reason``."""
        self.bad[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((self.lines, reason))

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "lines": self.lines,
            "records": self.records,
            "bad_lines": self.bad_lines,
            "bad_by_reason": dict(sorted(self.bad.items())),
            "examples": [{"line": n, "reason": r} for n, r in self.examples],
        }


class BadLine(ValueError):
    """A line that yields no record; the message is the reason."""


def capture_side(content_type: str, mode: str, data: str) -> dict[str, str]:
    """One side of a captured exchange as data capture writes it: base64-encoded.

    Without ``CaptureContentTypeHeader`` SageMaker base64-encodes what it captures
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html).
    """
    return {
        "observedContentType": content_type,
        "mode": mode,
        "data": base64.b64encode(data.encode()).decode("ascii"),
        "encoding": "BASE64",
    }


def capture_line(request: Record, *, answer: str, event_id: str, inference_time: str) -> str:
    """The data-capture line of one JSON request and its CSV answer (no trailing newline)."""
    return json.dumps(
        {
            "captureData": {
                "endpointInput": capture_side("application/json", "INPUT", json.dumps(request)),
                "endpointOutput": capture_side("text/csv", "OUTPUT", answer),
            },
            "eventMetadata": {"eventId": event_id, "inferenceTime": inference_time},
            "eventVersion": "0",
        }
    )


def csv_row(row: str) -> Record:
    """A headerless CSV row as ``{"_c0": ..., "_c1": ...}``; empty fields are missing values."""
    fields = row.split(",")
    if len(fields) > MAX_FEATURES:
        raise BadLine(f"wider than {MAX_FEATURES} features")
    return {f"_c{i}": value.strip() for i, value in enumerate(fields) if value.strip() != ""}


_CONTAINERS = frozenset({dict, list})
#: The C scanner without ``json.loads``'s wrapper (encoding detection, whitespace regex): the
#: fast path checks that the value spans the whole text itself.
_decode = json.JSONDecoder().raw_decode


def json_object(payload: str | bytes) -> Record:
    """A JSON object of scalars as a record (``null`` values are missing values)."""
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        raise BadLine("payload is not JSON") from None
    if not isinstance(value, dict):
        raise BadLine("JSON payload is not an object")
    if len(value) > MAX_FEATURES:
        raise BadLine(f"wider than {MAX_FEATURES} features")
    if not _CONTAINERS.isdisjoint(map(type, value.values())):
        raise BadLine("JSON payload has nested values")
    return value


def _payload(side: Any) -> tuple[str, str]:
    """The decoded payload and its content type of one side of a captured exchange."""
    if not isinstance(side, dict) or not isinstance(side.get("data"), str):
        raise BadLine("no captureData.endpointInput.data")
    encoding = side.get("encoding", "CSV")
    content_type = str(side.get("observedContentType", "")).lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(side["data"], validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise BadLine("endpointInput.data is not base64 of UTF-8 text") from None
    elif encoding in ("CSV", "JSON"):
        data = side["data"]
        if encoding == "JSON" and not content_type:
            content_type = "application/json"
    else:
        raise BadLine(f"unknown encoding {str(encoding)[:40]!r}")
    return data, content_type


def capture_records(line: bytes | str) -> list[Record]:
    """The feature records of one capture line (a CSV payload may hold several rows).

    Raises:
        BadLine: The line gives no record; the message says why.
    """
    try:
        captured = json.loads(line)
    except (ValueError, RecursionError):
        raise BadLine("not JSON") from None
    if not isinstance(captured, dict) or not isinstance(captured.get("captureData"), dict):
        raise BadLine("not a capture record (no captureData)")
    data, content_type = _payload(captured["captureData"].get("endpointInput"))
    if "json" in content_type:
        return [json_object(data)]
    if "csv" in content_type:
        rows = [csv_row(row) for row in data.splitlines() if row.strip()]
        if not rows:
            raise BadLine("empty CSV payload")
        return rows
    raise BadLine(f"unsupported content type {content_type[:60]!r}")


def read_capture(lines: Iterable[bytes | str], report: ReadReport) -> Iterator[Record]:
    """Yield the records of capture lines; bad lines are counted in ``report``, never raised.

    The loop is ``_fast_json_record`` inlined (the per-line cost is what the benchmark
    measures); a line it does not take goes to ``_slow_line``, which names its reason.
    """
    decode, a2b, containers, limit = _decode, binascii.a2b_base64, _CONTAINERS, MAX_FEATURES
    fast = 0  # lines read on the fast path, added to the report in batches
    try:
        for line in lines:
            record = None
            try:
                text = line.decode() if type(line) is bytes else line
                captured, end = decode(text)
                side = captured["captureData"]["endpointInput"]
                if (
                    end == len(text)
                    and side["encoding"] == "BASE64"
                    and "json" in side["observedContentType"]
                ):
                    payload = a2b(side["data"], strict_mode=True).decode()
                    record, end = decode(payload)
                    if (
                        end != len(payload)
                        or type(record) is not dict
                        or len(record) > limit
                        or not containers.isdisjoint(map(type, record.values()))
                    ):
                        record = None
            except Exception:  # any surprise: the slow path names it
                record = None
            if record is not None:
                fast += 1
                yield record
                continue
            report.lines += fast + 1
            report.records += fast
            fast = 0
            yield from _slow_line(line, report)
    finally:
        report.lines += fast
        report.records += fast


def _slow_line(line: bytes | str, report: ReadReport) -> Iterator[Record]:
    """The records of a line the fast path did not take, or its reason in ``report``."""
    if not line.strip():
        report.reject("empty line")
        return
    try:
        records = capture_records(line)
    except BadLine as exc:
        report.reject(str(exc))
        return
    report.records += len(records)
    yield from records


def read_json_lines(lines: Iterable[bytes | str], report: ReadReport) -> Iterator[Record]:
    """Yield the records of a JSON Lines dataset (``dataset_format: {"json": {"lines": true}}``)."""
    return _read_dataset(lines, report, json_object)


def read_csv(lines: Iterable[bytes | str], report: ReadReport) -> Iterator[Record]:
    """Yield the records of a headerless CSV dataset (``{"csv": {"header": false}}``)."""
    return _read_dataset(lines, report, csv_row, text=_decoded)


def _decoded(line: bytes | str) -> str:
    return line.decode("utf-8", "replace") if isinstance(line, bytes) else line


def _read_dataset(
    lines: Iterable[bytes | str],
    report: ReadReport,
    parse: Callable[[Any], Record],
    *,
    text: Callable[[bytes | str], bytes | str] = lambda line: line,
) -> Iterator[Record]:
    """Yield each line's record; count a blank or unreadable line in ``report`` with its reason."""
    for raw in lines:
        report.lines += 1
        line = text(raw)
        if not line.strip():
            report.reject("empty line")
            continue
        try:
            record = parse(line)
        except BadLine as exc:
            report.reject(str(exc))
            continue
        report.records += 1
        yield record
