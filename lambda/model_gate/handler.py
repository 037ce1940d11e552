"""Test a model version on the staging endpoint before anyone may promote it.

Invoked by the promotion state machine once the staging endpoint serves the version. Flow:
stream the labelled test set from S3 (``gate_test_set``) → send each example's features to the
staging endpoint (``InvokeEndpoint``), timing each request → compute the error rate, the p99
latency and the accuracy and compare them with the stack's thresholds (``gate_metrics``) →
write the report (JSON) to ``s3://$REPORT_BUCKET/$REPORT_PREFIX<version>/<execution>.json`` →
return the verdict, which the state machine routes on (a version that falls short ends the
execution as failed, with the report's reasons as its cause).

Outcomes: every row of the test set is an example sent or a rejection with its line and reason
(both in the report); every example is answered (a score) or counted as an error with its
reason (a model error, an empty, oversized or unparsable answer, a throttled request after
retries). Only what stops the gate from testing at all raises, so the execution's Catch
notifies with the reason: the test set or the endpoint cannot be read (missing, AccessDenied),
the report cannot be written, a malformed event, a configuration error.

Environment: see ``gate_settings``; plus ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE``.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError
from gate_metrics import Tally, Verdict, judge
from gate_settings import GateSettings
from gate_test_set import LabelledRow, RejectedRow, parse_test_set

logger = Logger()
metrics = Metrics()

#: Standard retry mode retries throttling and 5xx before an answer counts as an error.
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 3})
#: How many rejected rows and failed requests the report lists (all are counted).
SAMPLE_LIMIT = 20
#: InvokeEndpoint errors that say the endpoint itself is unusable, not one example's answer:
#: the gate cannot judge the version, so it raises (API reference, InvokeEndpoint errors:
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).
_ENDPOINT_UNUSABLE = frozenset({"AccessDeniedException", "ValidationError", "ValidationException"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class MalformedGateEventError(ValueError):
    """The state machine sent something the gate cannot test: a definition bug."""


@dataclass(frozen=True)
class GateRequest:
    """What to test: a version, served by the staging endpoint, for one execution."""

    endpoint_name: str
    model_package_arn: str
    version: int
    execution_name: str

    @classmethod
    def parse(cls, event: Any) -> GateRequest:
        """Check the event the state machine sends (its Payload)."""
        if not isinstance(event, Mapping):
            raise MalformedGateEventError("the event is not an object")
        endpoint = event.get("endpointName")
        arn = event.get("modelPackageArn")
        version = event.get("version")
        execution = event.get("executionName")
        if not isinstance(endpoint, str) or not _NAME.match(endpoint):
            raise MalformedGateEventError("endpointName is not an endpoint name")
        if not isinstance(arn, str) or not arn.startswith("arn:") or len(arn) > 2048:
            raise MalformedGateEventError("modelPackageArn is not an ARN")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise MalformedGateEventError("version is not a positive integer")
        if not isinstance(execution, str) or not _EXECUTION_NAME.match(execution):
            raise MalformedGateEventError("executionName is not an execution name")
        return cls(endpoint, arn, version, execution)


@functools.cache
def _client(service: str) -> Any:
    return boto3.client(service, config=_RETRIES)


@functools.cache
def settings() -> GateSettings:
    """The gate's settings, read once per execution environment."""
    return GateSettings.from_environment()


def _read_answer(body: Any, limit: int) -> tuple[float | None, str]:
    """Read at most ``limit`` bytes of an answer; a score in [0, 1], or why it is not one."""
    data = body.read(limit + 1)
    body.close()
    if len(data) > limit:
        return None, f"answer longer than {limit} bytes"
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return None, "empty answer"
    try:
        score = float(text.split(",")[0].split("\n")[0])
    except ValueError:
        return None, "answer is not a score"
    if not 0.0 <= score <= 1.0:
        return None, "score outside [0, 1]"
    return score, ""


def _invoke(
    runtime: Any, request: GateRequest, row: LabelledRow, config: GateSettings
) -> tuple[float | None, str, float]:
    """One example through the endpoint: (score or None, why not, latency in ms)."""
    started = time.perf_counter()
    try:
        response = runtime.invoke_endpoint(
            EndpointName=request.endpoint_name,
            ContentType=config.content_type,
            Accept=config.content_type,
            Body=row.body.encode("utf-8"),
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _ENDPOINT_UNUSABLE:
            raise
        return (
            None,
            f"{code}: {exc.response.get('Error', {}).get('Message', '')}"[:200],
            (time.perf_counter() - started) * 1000,
        )
    score, why = _read_answer(response["Body"], config.max_response_bytes)
    return score, why, (time.perf_counter() - started) * 1000


def _lines(config: GateSettings) -> Iterator[bytes]:
    body = _client("s3").get_object(Bucket=config.test_set_bucket, Key=config.test_set_key)["Body"]
    yield from body.iter_lines(keepends=False)


def run_gate(request: GateRequest, config: GateSettings) -> dict[str, Any]:
    """Test the version and return the report (also written to S3)."""
    runtime = _client("sagemaker-runtime")
    tally = Tally()
    rejected: list[dict[str, Any]] = []
    rejected_count = 0
    failures: list[dict[str, Any]] = []
    for row in parse_test_set(_lines(config), max_rows=config.max_examples):
        if isinstance(row, RejectedRow):
            rejected_count += 1
            if len(rejected) < SAMPLE_LIMIT:
                rejected.append({"line": row.line, "reason": row.reason})
            continue
        score, why, latency_ms = _invoke(runtime, request, row, config)
        if score is None:
            tally.failed(latency_ms)
            if len(failures) < SAMPLE_LIMIT:
                failures.append({"line": row.line, "reason": why})
        else:
            tally.answered(row.label, score, latency_ms)
    verdict = judge(tally, config.thresholds)
    report = _report(request, config, tally, verdict, rejected_count, rejected, failures)
    _client("s3").put_object(
        Bucket=config.report_bucket,
        Key=report["reportKey"],
        Body=json.dumps(report, indent=2).encode("utf-8"),
        ContentType="application/json",
    )
    return report


def _report(
    request: GateRequest,
    config: GateSettings,
    tally: Tally,
    verdict: Verdict,
    rejected_count: int,
    rejected: list[dict[str, Any]],
    failures: list[dict[str, Any]],
) -> dict[str, Any]:
    key = f"{config.report_prefix}v{request.version}/{request.execution_name}.json"
    thresholds = config.thresholds
    return {
        "passed": verdict.passed,
        "reason": "; ".join(verdict.reasons) or "every threshold met",
        "reasons": list(verdict.reasons),
        "modelPackageArn": request.model_package_arn,
        "version": request.version,
        "endpointName": request.endpoint_name,
        "execution": request.execution_name,
        "testSet": f"s3://{config.test_set_bucket}/{config.test_set_key}",
        "reportKey": key,
        "reportUri": f"s3://{config.report_bucket}/{key}",
        "examples": tally.examples,
        "errors": tally.errors,
        "rejectedRows": rejected_count,
        "metrics": {
            "errorRate": verdict.error_rate,
            "p99LatencyMs": verdict.p99_latency_ms,
            "accuracy": verdict.accuracy,
        },
        "thresholds": {
            "maxErrorRate": thresholds.max_error_rate,
            "maxP99LatencyMs": thresholds.max_p99_latency_ms,
            "minAccuracy": thresholds.min_accuracy,
            "minExamples": thresholds.min_examples,
        },
        "rejectedSamples": rejected,
        "errorSamples": failures,
    }


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Test one version on staging; return the report's summary for the state machine."""
    try:
        request = GateRequest.parse(event)
    except MalformedGateEventError:
        metrics.add_metric(name="GateEventsMalformed", unit=MetricUnit.Count, value=1)
        logger.exception("malformed gate event")
        raise
    report = run_gate(request, settings())
    metrics.add_metric(
        name="GatePassed" if report["passed"] else "GateFailed", unit=MetricUnit.Count, value=1
    )
    logger.info(
        "gate verdict",
        extra={key: report[key] for key in ("passed", "reason", "version", "reportUri")},
    )
    # The state machine keeps only what it routes and reports on (state payloads are capped:
    # https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
    return {key: report[key] for key in ("passed", "reason", "reportUri", "metrics", "version")}
