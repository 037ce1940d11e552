"""What Lambda and its agents write with the function's execution role after each invocation.

These calls are why an execution role carries ``logs:CreateLogStream``/``logs:PutLogEvents``,
``xray:PutTraceSegments``/``xray:PutTelemetryRecords`` and, with Lambda Insights, the
``CloudWatchLambdaInsightsExecutionRolePolicy``: making them under the role's session (with IAM
enforced) is what proves those statements are there, and necessary.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from refarch.local.lambda_runtime.invocation import ErrorInfo

#: The log group the Lambda Insights extension writes its performance records to.
INSIGHTS_LOG_GROUP = "/aws/lambda-insights"


def new_trace_id() -> str:
    """Return an X-Ray trace id: ``1-<epoch seconds hex>-<96 random bits hex>``."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _error_code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class Telemetry:
    """Ship one execution environment's logs, traces and Insights records under its role."""

    def __init__(self, session: boto3.Session, *, log_group: str, log_stream: str) -> None:
        self._logs = session.client("logs")
        self._xray = session.client("xray")
        self.log_group = log_group
        self.log_stream = log_stream
        self._stream_ready = False
        self._insights_stream_ready = False
        self._telemetry_sent = False

    def ship_logs(self, lines: list[str]) -> None:
        """Send the invocation's log lines, creating the stream first (and the group if missing).

        Raises:
            botocore.exceptions.ClientError: The role may not write them (AccessDenied).
        """
        if not self._stream_ready:
            self._create_stream(self.log_group, self.log_stream)
            self._stream_ready = True
        self._put(self.log_group, self.log_stream, lines)

    def send_segment(
        self,
        *,
        trace_id: str,
        segment_id: str,
        parent_id: str,
        function_name: str,
        function_arn: str,
        start: float,
        end: float,
        error: ErrorInfo | None,
    ) -> None:
        """Send the function's ``AWS::Lambda::Function`` segment, as the X-Ray daemon does.

        The daemon also reports its own telemetry, once per environment here.
        """
        segment: dict[str, Any] = {
            "name": function_name,
            "id": segment_id,
            "trace_id": trace_id,
            "parent_id": parent_id,
            "start_time": start,
            "end_time": end,
            "origin": "AWS::Lambda::Function",
            "aws": {"function_arn": function_arn},
        }
        if error is not None:
            segment["fault"] = True
            segment["cause"] = {
                "exceptions": [{"type": error.error_type, "message": error.message}]
            }
        self._xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(segment)])
        if not self._telemetry_sent:
            self._xray.put_telemetry_records(
                TelemetryRecords=[
                    {
                        "Timestamp": datetime.now(UTC),
                        "SegmentsReceivedCount": 1,
                        "SegmentsSentCount": 1,
                    }
                ],
                ResourceARN=function_arn,
            )
            self._telemetry_sent = True

    def insights_record(
        self,
        *,
        function_name: str,
        request_id: str,
        duration_ms: float,
        init_duration_ms: float | None,
        memory_mb: int,
    ) -> None:
        """Write the Lambda Insights performance event (embedded metric format)."""
        if not self._insights_stream_ready:
            self._create_stream(INSIGHTS_LOG_GROUP, self.log_stream)
            self._insights_stream_ready = True
        record: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": "LambdaInsights",
                        "Dimensions": [["function_name"]],
                        "Metrics": [{"Name": "duration", "Unit": "Milliseconds"}],
                    }
                ],
            },
            "function_name": function_name,
            "request_id": request_id,
            "duration": round(duration_ms, 2),
            "total_memory": memory_mb,
            "event_type": "performance",
        }
        if init_duration_ms is not None:
            record["init_duration"] = round(init_duration_ms, 2)
        self._put(INSIGHTS_LOG_GROUP, self.log_stream, [json.dumps(record)])

    def _create_stream(self, group: str, stream: str) -> None:
        try:
            self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except ClientError as exc:
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            # Lambda creates a missing group itself (logs:CreateLogGroup), then retries.
            self._logs.create_log_group(logGroupName=group)
            self._logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def _put(self, group: str, stream: str, lines: list[str]) -> None:
        # CloudWatch Logs rejects empty messages; Lambda drops blank lines too.
        lines = [line for line in lines if line.strip()]
        if not lines:
            return
        now = int(time.time() * 1000)
        self._logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": line} for line in lines],
        )
