"""The job reads what the stream-to-lake pattern writes: the same events, the same types."""

from __future__ import annotations

import importlib.util
import json

import pytest
from curation import split_curated_quarantined
from event_schema import EVENT_TYPES, EXPECTED_FIELDS
from raw_events import REPO_ROOT, lines_frame
from raw_records import fields_from_json_lines

CLICK_EVENT = REPO_ROOT / "lambda" / "clickstream_transform" / "click_event.py"


@pytest.fixture(scope="module")
def click_event():
    """The stream's transform module, loaded under its own name (it imports only stdlib)."""
    spec = importlib.util.spec_from_file_location("stream_click_event_for_glue", CLICK_EVENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_job_accepts_the_event_types_the_stream_delivers(click_event):
    assert EVENT_TYPES == click_event.EVENT_TYPES


@pytest.mark.spark
def test_a_line_the_stream_writes_is_curated_unchanged(spark, click_event):
    producer_record = {
        "event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "event_type": "add_to_cart",
        "event_time": "2024-05-01T23:30:00.250-02:00",
        "user_id": "user-000042",
        "session_id": "sess-42",
        "page": "/products/sku-00042",
        "email": "dropped@example.com",
    }
    arrival_ms = 1714613400000  # 2024-05-02T01:30:00Z
    clean = click_event.clean_event(json.dumps(producer_record).encode(), arrival_ms)
    line = clean.line.decode().rstrip("\n")
    assert set(json.loads(line)) == set(EXPECTED_FIELDS)
    curated, quarantined = split_curated_quarantined(
        fields_from_json_lines(lines_frame(spark, [line]))
    )
    assert quarantined.count() == 0
    row = curated.first()
    assert row["event_id"] == producer_record["event_id"]
    # Both patterns partition by the UTC date of the event time.
    keys = clean.partition_keys
    assert (row["year"], row["month"], row["day"]) == (keys["year"], keys["month"], keys["day"])
