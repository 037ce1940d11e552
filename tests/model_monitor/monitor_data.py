"""Data for the Model Monitor computation tests: a training set and captured windows."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

PLANS = ("basic", "gold", "platinum")


def training_rows(n: int = 2_000, state: int = 7) -> list[dict[str, Any]]:
    """Rows of a churn-like training set: numbers, an integer, a category, a few nulls."""
    rng = np.random.default_rng(state)
    rows = []
    for i in range(n):
        rows.append(
            {
                "tenure_months": int(rng.integers(0, 72)),
                "monthly_charges": round(float(rng.normal(70.0, 15.0)), 2),
                "support_calls": int(rng.poisson(1.5)),
                "plan": str(rng.choice(PLANS, p=[0.5, 0.3, 0.2])),
                "discount": None if i % 50 == 0 else round(float(rng.uniform(0, 0.3)), 3),
            }
        )
    return rows


def capture_line(features: dict[str, Any], *, csv: bool = False) -> bytes:
    """One data-capture line, as SageMaker writes it (base64 input)."""
    if csv:
        data, content_type = (
            ",".join("" if v is None else str(v) for v in features.values()),
            ("text/csv"),
        )
    else:
        data, content_type = json.dumps(features), "application/json"
    record = {
        "captureData": {
            "endpointInput": {
                "observedContentType": content_type,
                "mode": "INPUT",
                "data": base64.b64encode(data.encode()).decode(),
                "encoding": "BASE64",
            },
            "endpointOutput": {
                "observedContentType": "text/csv",
                "mode": "OUTPUT",
                "data": base64.b64encode(b"0.5").decode(),
                "encoding": "BASE64",
            },
        },
        "eventMetadata": {"eventId": "e", "inferenceTime": "2026-01-01T00:00:00.000Z"},
        "eventVersion": "0",
    }
    return json.dumps(record).encode()


def json_lines(rows: list[dict[str, Any]]) -> list[bytes]:
    """The rows as a JSON Lines dataset."""
    return [json.dumps(row).encode() for row in rows]


def drifted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Charges shifted up by two standard deviations, and the discount no longer sent."""
    out = []
    for row in rows:
        changed = dict(row)
        changed["monthly_charges"] = round(changed["monthly_charges"] + 30.0, 2)
        changed.pop("discount")
        out.append(changed)
    return out
