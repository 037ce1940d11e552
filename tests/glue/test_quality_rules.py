"""Every bad row gets its reason; every valid one none. All cases are checked in one Spark job."""

from __future__ import annotations

import pytest
from quality_rules import (
    EVENT_TIME_OUT_OF_RANGE,
    MALFORMED_JSON,
    MISSING_EVENT_ID,
    MISSING_USER_KEY,
    REJECT_DETAIL,
    REJECT_REASON,
    REJECT_REASONS,
    UNKNOWN_EVENT_TYPE,
    UNPARSEABLE_EVENT_TIME,
    UNPARSEABLE_INGESTED_AT,
    WRONG_TYPE,
    check_events,
    valid_and_rejected,
)
from raw_events import encode, event, lines_frame
from raw_records import fields_from_json_lines

pytestmark = pytest.mark.spark

INGESTED = "2024-05-01T10:00:02.000Z"

# id -> (record or raw line, expected reason or None for a valid event)
CASES = {
    "valid": (event(0), None),
    "valid-offset": (event(1, event_time="2024-05-01T12:00:00.000+02:00"), None),
    "valid-no-fraction": (event(2, event_time="2024-05-01T10:00:00Z"), None),
    "valid-nanoseconds": (event(3, event_time="2024-05-01T10:00:00.123456789Z"), None),
    "valid-optional-fields-absent": (event(4, session_id=None, page=None), None),
    "valid-optional-fields-null": ({**event(5), "session_id": None, "page": None}, None),
    "valid-quoted-NaN-is-a-string": (event(6, page="NaN"), None),
    "valid-digits-as-string": (event(7, event_id="42"), None),
    "valid-a-day-ahead": (
        event(8, event_time="2024-05-02T10:00:02.000Z", ingested_at=INGESTED),
        None,
    ),
    "malformed-truncated": ('{"event_id":"e-1","event_type":"click"', MALFORMED_JSON),
    "malformed-array": ('[{"event_id":"e-1"}]', MALFORMED_JSON),
    "malformed-string": ('"e-1"', MALFORMED_JSON),
    "malformed-csv": ("e-1,click,2024-05-01T10:00:00.000Z", MALFORMED_JSON),
    "wrong-type-number": (event(10, event_id=42), WRONG_TYPE),
    "wrong-type-boolean": (event(11, session_id=True), WRONG_TYPE),
    "wrong-type-object": (event(12, page={"path": "/home"}), WRONG_TYPE),
    "wrong-type-array": (event(13, user_key=["u-1"]), WRONG_TYPE),
    "wrong-type-epoch-millis": (event(14, event_time=1714557600000), WRONG_TYPE),
    "wrong-type-renamed-field": (event(15, page=None, page_url=7), WRONG_TYPE),
    "missing-event-id": (event(20, event_id=None), MISSING_EVENT_ID),
    "null-event-id": ({**event(21), "event_id": None}, MISSING_EVENT_ID),
    "blank-event-id": (event(22, event_id="  "), MISSING_EVENT_ID),
    "unknown-event-type": (event(23, event_type="tap"), UNKNOWN_EVENT_TYPE),
    "event-type-wrong-case": (event(24, event_type="Click"), UNKNOWN_EVENT_TYPE),
    "missing-event-type": (event(25, event_type=None), UNKNOWN_EVENT_TYPE),
    "event-time-words": (event(26, event_time="yesterday"), UNPARSEABLE_EVENT_TIME),
    "event-time-no-zone": (event(27, event_time="2024-05-01T10:00:00.000"), UNPARSEABLE_EVENT_TIME),
    "event-time-date-only": (event(28, event_time="2024-05-01"), UNPARSEABLE_EVENT_TIME),
    "event-time-space": (event(29, event_time="2024-05-01 10:00:00Z"), UNPARSEABLE_EVENT_TIME),
    "event-time-february-30": (
        event(30, event_time="2024-02-30T10:00:00.000Z"),
        UNPARSEABLE_EVENT_TIME,
    ),
    "event-time-hour-24": (
        event(31, event_time="2024-05-01T24:00:00.000Z"),
        UNPARSEABLE_EVENT_TIME,
    ),
    "event-time-millis-as-text": (event(32, event_time="1714557600000"), UNPARSEABLE_EVENT_TIME),
    "event-time-missing": (event(33, event_time=None), UNPARSEABLE_EVENT_TIME),
    "ingested-at-words": (event(34, ingested_at="soon"), UNPARSEABLE_INGESTED_AT),
    "ingested-at-missing": (event(35, ingested_at=None), UNPARSEABLE_INGESTED_AT),
    "event-time-1999": (
        event(36, event_time="1999-12-31T23:59:59.999Z"),
        EVENT_TIME_OUT_OF_RANGE,
    ),
    "event-time-over-a-day-ahead": (
        event(37, event_time="2024-05-02T10:00:02.001Z", ingested_at=INGESTED),
        EVENT_TIME_OUT_OF_RANGE,
    ),
    "missing-user-key": (event(38, user_key=None), MISSING_USER_KEY),
    "blank-user-key": (event(39, user_key=""), MISSING_USER_KEY),
    "first-broken-rule-wins": (event(40, event_id=None, event_type="tap"), MISSING_EVENT_ID),
}


@pytest.fixture(scope="module")
def verdicts(spark):
    """(reason, detail) of every case, keyed by the case's line."""
    records = [record for record, _ in CASES.values()]
    checked = check_events(fields_from_json_lines(lines_frame(spark, records)))
    rows = checked.select("raw_record", REJECT_REASON, REJECT_DETAIL).collect()
    return {row["raw_record"]: (row[REJECT_REASON], row[REJECT_DETAIL]) for row in rows}


@pytest.mark.parametrize(("record", "reason"), CASES.values(), ids=CASES.keys())
def test_each_row_gets_the_reason_of_the_first_rule_it_breaks(verdicts, record, reason):
    assert verdicts[encode(record)][0] == reason


def test_every_reason_code_is_exercised():
    assert {reason for _, reason in CASES.values()} - {None} == set(REJECT_REASONS)


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("wrong-type-renamed-field", "not a JSON string: page_url"),
        (
            "unknown-event-type",
            "event_type is not one of add_to_cart, click, page_view, purchase: 'tap'",
        ),
        ("event-time-missing", "event_time is not an ISO-8601 time with a zone: missing"),
        ("event-time-words", "event_time is not an ISO-8601 time with a zone: 'yesterday'"),
    ],
)
def test_detail_says_what_is_wrong(verdicts, case, detail):
    assert verdicts[encode(CASES[case][0])][1] == detail


def test_every_row_is_either_valid_or_quarantined_with_its_raw_text(spark):
    records = [record for record, _ in CASES.values()]
    valid, rejected = valid_and_rejected(
        check_events(fields_from_json_lines(lines_frame(spark, records)))
    )
    valid_ids = [row["event_id"] for row in valid.collect()]
    rejected_lines = sorted(row["raw_record"] for row in rejected.collect())
    expected_valid = [r for r, reason in CASES.values() if reason is None]
    assert sorted(valid_ids) == sorted(r["event_id"] for r in expected_valid)
    assert rejected_lines == sorted(encode(r) for r, reason in CASES.values() if reason)


def test_times_become_utc_instants(spark):
    fields = fields_from_json_lines(lines_frame(spark, [CASES["valid-offset"][0]]))
    valid, _ = valid_and_rejected(check_events(fields))
    row = valid.selectExpr("date_format(event_time, \"yyyy-MM-dd'T'HH:mm:ssX\") AS t").first()
    assert row["t"] == "2024-05-01T10:00:00Z"
