"""The churn model's handlers for SageMaker's prebuilt scikit-learn inference container.

The container imports this file as the model's entry point (``SAGEMAKER_PROGRAM=inference.py``
in ``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code``, where the ``code/`` directory of
``model.tar.gz`` lands), calls ``model_fn`` once per worker with the extracted model directory,
then serves each ``InvokeEndpoint`` through ``input_fn`` → ``predict_fn`` → ``output_fn``
(https://sagemaker.readthedocs.io/en/stable/frameworks/sklearn/using_sklearn.html#deploy-a-scikit-learn-model).
An exception raised by a handler is answered to the client as a ``ModelError``
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html).

The model is ``model.json``: a logistic score over CSV features (its ``weights`` and ``bias``)
and ``latency_ms``, how long each answer takes (a slow model is slow: the promotion gate's p99
latency check sees it). Plain standard-library Python, so the container needs nothing installed,
and Python 3.9: the container's interpreter (its Dockerfile pins ``PYTHON_VERSION=3.9``,
https://github.com/aws/sagemaker-scikit-learn-container/blob/master/docker/1.2-1/base/Dockerfile.cpu),
so no ``X | Y`` outside annotations and no ``zip(strict=...)``.
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

#: How the model waits ``latency_ms``; the local emulator replaces it on its own copy of this
#: module with its inference clock, so nothing sleeps there.
pause = time.sleep

CSV = "text/csv"
#: What the container passes as ``accept`` when the client names none or any (``*/*``) and the
#: model sets ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=text/csv``.
ANY = "*/*"
MODEL_FILE = "model.json"
#: The most rows one request may hold (InvokeEndpoint bodies are at most 25 MB).
MAX_ROWS = 10_000


class RequestError(ValueError):
    """A request the model cannot read: the client gets a ``ModelError`` with this message."""


def parse_model(document: Any) -> dict[str, Any]:
    """Check a ``model.json`` document and return the model; ValueError if it is not one."""
    if not isinstance(document, dict):
        raise ValueError(f"{MODEL_FILE} must be a JSON object")
    weights = document.get("weights")
    if not isinstance(weights, list) or not weights:
        raise ValueError(f"{MODEL_FILE}: weights must be a non-empty list of numbers")
    numbers = [*weights, document.get("bias", 0.0), document.get("latency_ms", 0.0)]
    if not all(isinstance(n, (int, float)) and math.isfinite(n) for n in numbers):
        raise ValueError(f"{MODEL_FILE}: weights, bias and latency_ms must be finite numbers")
    if float(document.get("latency_ms", 0.0)) < 0:
        raise ValueError(f"{MODEL_FILE}: latency_ms must not be negative")
    return {
        **document,
        "weights": [float(w) for w in weights],
        "bias": float(document.get("bias", 0.0)),
        "latency_ms": float(document.get("latency_ms", 0.0)),
    }


def model_fn(model_dir: str) -> dict[str, Any]:
    """Load ``model.json`` from the extracted ``model.tar.gz`` (``/opt/ml/model``)."""
    with open(os.path.join(model_dir, MODEL_FILE), encoding="utf-8") as file:
        return parse_model(json.load(file))


def input_fn(request_body: str | bytes, content_type: str) -> list[list[float]]:
    """Read CSV rows of numeric features, one request row per line.

    Raises:
        RequestError: The content type is not CSV, the body is not UTF-8, empty, has more than
            ``MAX_ROWS`` rows, or a row has a field that is not a finite number.
    """
    if content_type.split(";")[0].strip().lower() != CSV:
        raise RequestError(f"unsupported content type {content_type!r}: send {CSV}")
    if isinstance(request_body, (bytes, bytearray)):
        try:
            request_body = bytes(request_body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestError(f"the body is not UTF-8 text (byte {exc.start})") from None
    lines = request_body.strip().splitlines()
    if not lines:
        raise RequestError("empty request: send one CSV row of features per line")
    if len(lines) > MAX_ROWS:
        raise RequestError(f"{len(lines)} rows: at most {MAX_ROWS} per request")
    rows = []
    for number, line in enumerate(lines, start=1):
        row = []
        for field in line.split(","):
            shown = field.strip()[:20]
            try:
                value = float(field)
            except ValueError:
                raise RequestError(f"row {number}: {shown!r} is not a number") from None
            if not math.isfinite(value):
                raise RequestError(f"row {number}: {shown!r} is not a finite number")
            row.append(value)
        rows.append(row)
    return rows


def _logistic(total: float) -> float:
    """1 / (1 + e^-total), without overflowing for a large ``|total|`` (±inf give 1 and 0)."""
    if total >= 0:
        return 1 / (1 + math.exp(-total))
    exp = math.exp(total)
    return exp / (1 + exp)


def predict_fn(input_data: list[list[float]], model: dict[str, Any]) -> list[float]:
    """The logistic score of each row, after the model's ``latency_ms``.

    Raises:
        RequestError: A row does not have one feature per weight, or its terms overflow to
            both +inf and -inf (an undefined score).
    """
    weights = model["weights"]
    for number, row in enumerate(input_data, start=1):
        if len(row) != len(weights):
            raise RequestError(
                f"row {number} has {len(row)} features; the model reads {len(weights)}"
            )
    pause(model["latency_ms"] / 1000)
    scores = []
    for number, row in enumerate(input_data, start=1):
        # Lengths checked above; zip takes no strict= on the container's Python 3.9.
        total = model["bias"] + sum(w * x for w, x in zip(weights, row))  # noqa: B905
        if math.isnan(total):  # +inf and -inf terms: features far outside any trained range
            raise RequestError(f"row {number}: the features overflow the score")
        scores.append(_logistic(total))
    return scores


def output_fn(prediction: list[float], accept: str) -> tuple[str, str]:
    """One score per line, ``%.4f``, as CSV.

    Raises:
        RequestError: The client accepts neither CSV nor anything.
    """
    if accept.split(";")[0].strip().lower() not in (CSV, ANY):
        raise RequestError(f"unsupported accept {accept!r}: this model answers {CSV}")
    return "\n".join(f"{score:.4f}" for score in prediction), CSV
