"""Property-based: no Firehose event with a records list, however shaped, fails the batch.

Events come from ``clickstream_strategies``: every field of the envelope, of each record, of its
``kinesisRecordMetadata`` and of the click event inside ``data`` is valid, absent, or an
arbitrary JSON value. For every such event the handler returns (never raises), answers each
record once in its place (``assert_every_record_answered_once``), delivers a record only if its
envelope is well-formed, and writes no log line that carries personal data or is unbounded.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from click_event import InvalidEventError, clean_event
from clickstream_strategies import MARKER, click_events, firehose_events, json_values
from clickstream_transform_harness import ClickstreamTransform, assert_every_record_answered_once
from firehose_batch import MalformedEventError, record_problem, response_size_bound
from firehose_events import ARRIVAL_MS, firehose_event_of
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# The fixture is a handler and a log buffer: each example empties the buffer first.
FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
MAX_LOG_LINE_CHARS = 2000
"""A log line's bound, whatever the records hold: producer strings are cut, never copied whole."""


def _invoke(transform: ClickstreamTransform, event: dict[str, Any]) -> list[dict[str, Any]]:
    transform.log_stream.seek(0)
    transform.log_stream.truncate()
    return assert_every_record_answered_once(event, transform.invoke(event))


@FIXTURE_OK
@given(event=firehose_events())
@example(event={"records": [None, 0, "", [], {}]})
@example(event={"records": [{"recordId": "1", "data": "e30=", "approximateArrivalTimestamp": 0}]})
def test_every_record_of_any_event_is_answered_in_its_place(
    clickstream_transform: ClickstreamTransform, event: dict[str, Any]
):
    entries = _invoke(clickstream_transform, event)
    for record, entry in zip(event["records"], entries, strict=True):
        if entry["result"] == "Ok":
            assert record_problem(record) is None
    counted = [e for e in clickstream_transform.logs() if e["message"] == "batch transformed"]
    (summary,) = counted
    assert summary["records"] == len(event["records"])
    # Lambda can serialise the answer, and the 6 MB check never undercounts it (record ids and
    # failed records' data may hold characters JSON escapes).
    answer_size = len(json.dumps({"records": entries}, allow_nan=False))
    assert answer_size <= response_size_bound(entries)


@FIXTURE_OK
@given(event=firehose_events())
def test_no_log_line_carries_personal_data_or_grows_with_the_input(
    clickstream_transform: ClickstreamTransform, event: dict[str, Any]
):
    _invoke(clickstream_transform, event)
    text = clickstream_transform.log_stream.getvalue()
    assert MARKER not in text
    for line in text.splitlines():
        assert len(line) <= MAX_LOG_LINE_CHARS, line[:200]


@FIXTURE_OK
@given(payload=click_events)
def test_a_failed_click_event_is_logged_by_field_and_type_only(
    clickstream_transform: ClickstreamTransform, payload: dict[str, Any]
):
    event = firehose_event_of(payload)
    (entry,) = _invoke(clickstream_transform, event)
    if entry["result"] == "ProcessingFailed":
        (logged,) = clickstream_transform.logs_for(entry["recordId"])
        assert MARKER not in logged["reason"] and len(logged["reason"]) < 600


@given(payload=click_events)
def test_clean_event_raises_only_invalid_event_error(payload: dict[str, Any]):
    raw = json.dumps(payload).encode()
    try:
        clean_event(raw, ARRIVAL_MS)
    except InvalidEventError as exc:
        assert MARKER not in str(exc)


@given(value=json_values)
def test_any_json_document_is_an_event_or_an_invalid_event(value: Any):
    try:
        clean_event(json.dumps(value).encode(), ARRIVAL_MS)
    except InvalidEventError as exc:
        assert MARKER not in str(exc)


@given(raw=st.binary(max_size=64))
def test_any_bytes_are_an_event_or_an_invalid_event(raw: bytes):
    with contextlib.suppress(InvalidEventError):
        clean_event(raw, ARRIVAL_MS)


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@given(event=json_values.filter(lambda v: not (type(v) is dict and type(v.get("records")) is list)))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_only_an_event_without_a_records_list_raises(
    clickstream_transform: ClickstreamTransform, event: Any
):
    with pytest.raises(MalformedEventError):
        clickstream_transform.invoke(event)
