"""The model gate: figures, verdicts, the report, and hostile test sets, answers and events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from model_gate_harness import (
    ENVIRONMENT,
    EVENT,
    REPORT_BUCKET,
    TEST_BUCKET,
    TEST_KEY,
    FakeEndpoint,
    labelled_csv,
    load_handler,
    logistic_truth,
    model_error,
)
from moto import mock_aws


@pytest.fixture
def gate(monkeypatch, lambda_context) -> Iterator[Any]:
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "model-gate")
    with mock_aws():
        s3 = boto3.client("s3")
        for bucket in (TEST_BUCKET, REPORT_BUCKET):
            s3.create_bucket(Bucket=bucket)
        module = load_handler()
        module.settings.cache_clear()
        module._client.cache_clear()
        yield Gate(module, s3, monkeypatch, lambda_context)
        module.settings.cache_clear()
        module._client.cache_clear()


class Gate:
    def __init__(self, module: Any, s3: Any, monkeypatch: Any, context: Any) -> None:
        self.module, self.s3, self.monkeypatch, self.context = module, s3, monkeypatch, context

    def run(self, endpoint: FakeEndpoint, data: bytes, event: Any = None) -> dict[str, Any]:
        self.s3.put_object(Bucket=TEST_BUCKET, Key=TEST_KEY, Body=data)
        real = self.module._client

        def client(service: str) -> Any:
            return endpoint if service == "sagemaker-runtime" else real(service)

        self.monkeypatch.setattr(self.module, "_client", client)
        self.monkeypatch.setattr(self.module.time, "perf_counter", endpoint.perf_counter)
        try:
            return self.module.lambda_handler(EVENT if event is None else event, self.context)
        finally:
            self.monkeypatch.setattr(self.module, "_client", real)

    def report(self, summary: dict[str, Any]) -> dict[str, Any]:
        key = summary["reportUri"].split("/", 3)[3]
        return json.loads(self.s3.get_object(Bucket=REPORT_BUCKET, Key=key)["Body"].read())


def right(features: str) -> bytes:
    return b"0.9" if logistic_truth(features) else b"0.1"


def wrong(features: str) -> bytes:
    return b"0.1" if logistic_truth(features) else b"0.9"


def test_a_good_model_passes_and_the_report_has_its_figures(gate) -> None:
    summary = gate.run(FakeEndpoint(right, latency_ms=12), labelled_csv(50))
    assert summary["passed"] is True
    report = gate.report(summary)
    assert report["metrics"] == {
        "errorRate": 0.0,
        "p99LatencyMs": pytest.approx(12),
        "accuracy": 1.0,
    }
    assert (report["examples"], report["rejectedRows"], report["version"]) == (50, 0, 3)
    assert report["reportKey"] == "reports/v3/churn-v3-abc.json"


def test_a_model_that_answers_wrongly_fails_on_accuracy(gate) -> None:
    summary = gate.run(FakeEndpoint(wrong), labelled_csv(50))
    assert summary["passed"] is False
    assert summary["reason"] == "accuracy 0.00% below the 90.00% required"


def test_a_slow_model_fails_on_p99_latency(gate) -> None:
    summary = gate.run(FakeEndpoint(right, latency_ms=350), labelled_csv(50))
    assert summary["passed"] is False
    assert "p99 latency 350.0 ms above the 200 ms allowed" in summary["reason"]


def test_p99_is_the_second_slowest_of_a_hundred(gate) -> None:
    endpoint = FakeEndpoint(right)
    latencies = iter([10.0] * 98 + [500.0, 900.0])

    def invoke(**request: Any) -> dict[str, Any]:
        endpoint.latency_ms = next(latencies)
        return FakeEndpoint.invoke_endpoint(endpoint, **request)

    endpoint.invoke_endpoint = invoke  # type: ignore[method-assign]
    summary = gate.run(endpoint, labelled_csv(100))
    assert summary["metrics"]["p99LatencyMs"] == pytest.approx(500)


def test_malformed_rows_are_rejected_with_their_line_and_the_rest_is_judged(gate) -> None:
    hostile = b"\nlabel,a,b\n2,1,1\n1,x,1\n1,nan,1\n1,1\n1,1,1,1\n\xff\xfe,1\n" + b"1," * 40000
    summary = gate.run(FakeEndpoint(right), labelled_csv(30) + b"\n" + hostile)
    report = gate.report(summary)
    assert summary["passed"] is True
    assert report["examples"] == 30
    reasons = {sample["reason"] for sample in report["rejectedSamples"]}
    assert reasons == {
        "empty row",
        "label is not 0 or 1",
        "a feature is not a number",
        "a feature is not finite",
        "1 features, expected 2",
        "3 features, expected 2",
        "not UTF-8",
        "row longer than 65536 bytes",
    }
    assert report["rejectedRows"] == 9


def test_a_test_set_with_too_few_usable_rows_fails_the_gate(gate) -> None:
    summary = gate.run(FakeEndpoint(right), b"garbage\n" * 100 + labelled_csv(3))
    assert summary["passed"] is False
    assert summary["reason"] == "3 usable examples, fewer than the 10 needed to judge"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"", "empty answer"),
        (b"   \n", "empty answer"),
        (b"x" * 10_000_000, "answer longer than 64 bytes"),
        (b"yes", "answer is not a score"),
        (b"1.5", "score outside [0, 1]"),
        (model_error("ModelError"), "ModelError: ModelError from the endpoint"),
        (model_error("ServiceUnavailable", 503), "ServiceUnavailable: ServiceUnavailable from"),
    ],
)
def test_bad_answers_count_as_errors_with_their_reason(gate, answer, reason) -> None:
    endpoint = FakeEndpoint(lambda features: answer)
    summary = gate.run(endpoint, labelled_csv(20))
    report = gate.report(summary)
    assert (report["errors"], summary["passed"]) == (20, False)
    assert report["errorSamples"][0]["reason"].startswith(reason)
    assert "error rate 100.00% above the 1.00% allowed" in summary["reason"]
    # A huge answer is never read whole: at most the limit and one byte.
    assert all(size <= 65 for body in endpoint.bodies for size in body.read_sizes)


def test_a_few_endpoint_errors_within_the_allowed_rate_pass(gate) -> None:
    calls = iter(range(1000))

    def flaky(features: str) -> bytes | ClientError:
        return model_error("ModelError") if next(calls) == 0 else right(features)

    gate.monkeypatch.setenv("MAX_ERROR_RATE", "0.05")
    summary = gate.run(FakeEndpoint(flaky), labelled_csv(40))
    assert summary["passed"] is True
    assert summary["metrics"]["errorRate"] == pytest.approx(1 / 40)


@pytest.mark.parametrize("code", ["ValidationError", "AccessDeniedException"])
def test_an_unusable_endpoint_raises_so_the_execution_notifies(gate, code) -> None:
    with pytest.raises(ClientError, match=code):
        gate.run(FakeEndpoint(lambda features: model_error(code, 400)), labelled_csv(20))


def test_a_missing_test_set_raises(gate) -> None:
    gate.s3.put_object(Bucket=TEST_BUCKET, Key="other", Body=b"")
    gate.monkeypatch.setenv("TEST_SET_KEY", "missing.csv")
    gate.module.settings.cache_clear()
    with pytest.raises(ClientError, match="NoSuchKey"):
        gate.run(FakeEndpoint(right), labelled_csv(20))


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        {**EVENT, "endpointName": "bad name!"},
        {**EVENT, "version": "3"},
        {**EVENT, "version": True},
        {**EVENT, "version": 0},
        {**EVENT, "modelPackageArn": "not-an-arn"},
        {**EVENT, "executionName": "x" * 81},
    ],
)
def test_malformed_events_raise_before_anything_is_invoked(gate, event) -> None:
    endpoint = FakeEndpoint(right)
    with pytest.raises(gate.module.MalformedGateEventError):
        gate.run(endpoint, labelled_csv(20), event=event if event is not None else "null")
    assert endpoint.requests == []
