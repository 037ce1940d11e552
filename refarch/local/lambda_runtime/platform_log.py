"""The lines Lambda itself writes to a function's log around each invocation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from refarch.local.lambda_runtime.invocation import Invocation


def platform_lines(
    invocation: Invocation, *, log_format: str, memory_mb: int
) -> tuple[list[str], list[str]]:
    """Return the lines Lambda writes before and after the function's own output.

    ``JSON`` log format: ``platform.start`` and ``platform.report`` records (plus the error
    record of a failed invocation); ``Text``: ``START``, ``END`` and ``REPORT`` lines.
    """
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    rid = invocation.request_id
    duration = round(invocation.duration_ms, 2)
    if log_format == "JSON":
        start = [
            json.dumps(
                {
                    "time": now,
                    "type": "platform.start",
                    "record": {"requestId": rid, "version": "$LATEST"},
                }
            )
        ]
        metrics: dict[str, Any] = {
            "durationMs": duration,
            "billedDurationMs": int(invocation.duration_ms) + 1,
            "memorySizeMB": memory_mb,
        }
        if invocation.init_duration_ms is not None:
            metrics["initDurationMs"] = round(invocation.init_duration_ms, 2)
        status = "success" if invocation.succeeded else "error"
        end = [
            json.dumps(
                {
                    "time": now,
                    "type": "platform.report",
                    "record": {"requestId": rid, "metrics": metrics, "status": status},
                }
            )
        ]
        if invocation.error is not None:
            error = {
                "timestamp": now,
                "level": "ERROR",
                "requestId": rid,
                "errorType": invocation.error.error_type,
                "errorMessage": invocation.error.message,
                "stackTrace": invocation.error.stack_trace,
            }
            start.append(json.dumps(error))
        return start, end
    start = [f"START RequestId: {rid} Version: $LATEST"]
    report = (
        f"REPORT RequestId: {rid}\tDuration: {duration} ms\t"
        f"Billed Duration: {int(invocation.duration_ms) + 1} ms\tMemory Size: {memory_mb} MB"
    )
    if invocation.init_duration_ms is not None:
        report += f"\tInit Duration: {invocation.init_duration_ms:.2f} ms"
    end = [f"END RequestId: {rid}", report]
    if invocation.error is not None:
        start.append(f"[ERROR] {invocation.error}")
    return start, end
