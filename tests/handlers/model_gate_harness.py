"""The model gate under test: its handler, its environment, a fake staging endpoint.

The endpoint is a fake ``sagemaker-runtime`` client (moto's runtime answers canned results,
not a model): each test gives it a model (features → answer) and a latency per request, read
through a fake ``perf_counter`` so no test sleeps.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from types import ModuleType
from typing import Any

from botocore.exceptions import ClientError
from lambda_harness import LAMBDA_ROOT, load_lambda_module, put_on_path

FUNCTION_DIR = LAMBDA_ROOT / "model_gate"
put_on_path(FUNCTION_DIR)

SERVICE_NAME = "model-gate"
TEST_BUCKET = "refarch-gate-tests"
REPORT_BUCKET = "refarch-gate-reports"
TEST_KEY = "test-sets/churn.csv"
ENDPOINT = "churn-staging"
PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
ENVIRONMENT = {
    "TEST_SET_BUCKET": TEST_BUCKET,
    "TEST_SET_KEY": TEST_KEY,
    "REPORT_BUCKET": REPORT_BUCKET,
    "REPORT_PREFIX": "reports/",
    "MAX_ERROR_RATE": "0.01",
    "MAX_P99_LATENCY_MS": "200",
    "MIN_ACCURACY": "0.9",
    "MIN_EXAMPLES": "10",
    "MAX_EXAMPLES": "1000",
    "MAX_RESPONSE_BYTES": "64",
}
EVENT = {
    "endpointName": ENDPOINT,
    "modelPackageArn": PACKAGE,
    "version": 3,
    "executionName": "churn-v3-abc",
}


def load_handler() -> ModuleType:
    """The gate's handler module, loaded as Lambda loads it."""
    return load_lambda_module(FUNCTION_DIR, "handler", "model_gate_handler")


class FakeBody:
    """A response body that records how much was read."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)
        self.read_sizes: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.read_sizes.append(size)
        return self._stream.read(size)

    def close(self) -> None:
        self._stream.close()


def model_error(code: str, status: int = 424) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} from the endpoint"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "InvokeEndpoint",
    )


class FakeEndpoint:
    """A staging endpoint: ``model(features) -> bytes | ClientError``, ``latency_ms`` each."""

    def __init__(self, model: Callable[[str], bytes | ClientError], latency_ms: float = 5.0):
        self.model = model
        self.latency_ms = latency_ms
        self.clock = 0.0
        self.requests: list[dict[str, Any]] = []
        self.bodies: list[FakeBody] = []

    def perf_counter(self) -> float:
        return self.clock

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        self.clock += self.latency_ms / 1000
        answer = self.model(request["Body"].decode())
        if isinstance(answer, ClientError):
            raise answer
        body = FakeBody(answer)
        self.bodies.append(body)
        return {"Body": body, "ContentType": "text/csv"}


def logistic_truth(features: str) -> int:
    """The label the test sets below use: 1 when the features sum above zero."""
    return 1 if sum(float(x) for x in features.split(",")) > 0 else 0


def labelled_csv(rows: int, *, extra: bytes = b"") -> bytes:
    """A labelled CSV test set: ``label,f1,f2`` with the label ``logistic_truth`` gives."""
    lines = []
    for n in range(rows):
        features = f"{(n % 7) - 3}.5,{(n % 3) - 1}"
        lines.append(f"{logistic_truth(features)},{features}")
    return "\n".join(lines).encode() + extra
