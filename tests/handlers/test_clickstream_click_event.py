"""Unit tests of the clickstream transform's pure modules: schema, encoding, dedupe, decoding."""

from __future__ import annotations

import base64
import hashlib
import json
import math

import pytest
from batch_dedupe import BatchDedupe
from click_event import (
    MAX_LINE_GROWTH_BYTES,
    InvalidEventError,
    clean_event,
    event_time_millis,
    format_millis,
    json_line,
    parse_object,
    partition_keys,
    pseudonymise,
)
from firehose_batch import MAX_RECORD_BYTES, UndecodableRecordError, decode_data

ARRIVAL_MS = 1714557600000  # 2024-05-01T10:00:00Z
NOT_ISO = "not an ISO-8601 date and time"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000Z", id="utc-z"),
        pytest.param("2024-05-01T10:00Z", "2024-05-01T10:00:00.000Z", id="no-seconds"),
        pytest.param("2024-05-01t10:00:00", "2024-05-01T10:00:00.000Z", id="lowercase-t"),
        pytest.param("2024-05-01T10:00:00.9999999Z", "2024-05-01T10:00:00.999Z", id="truncated"),
        pytest.param("2024-05-01T10:00:00,5Z", "2024-05-01T10:00:00.500Z", id="comma-fraction"),
        pytest.param("2024-05-01T12:00:00+0200", "2024-05-01T10:00:00.000Z", id="offset-no-colon"),
        pytest.param("2024-01-01T00:30:00+05:30", "2023-12-31T19:00:00.000Z", id="year-back"),
        pytest.param("2024-05-01T10:00:00-03:00", "2024-05-01T13:00:00.000Z", id="negative-offset"),
        pytest.param(1714557600123, "2024-05-01T10:00:00.123Z", id="epoch-ms-int"),
        pytest.param(1714557600123.9, "2024-05-01T10:00:00.123Z", id="epoch-ms-float"),
        pytest.param(1e12, "2001-09-09T01:46:40.000Z", id="epoch-ms-exponent"),
        pytest.param(946684800000, "2000-01-01T00:00:00.000Z", id="earliest-accepted"),
    ],
)
def test_event_time_is_normalised_to_utc_millis(value, expected):
    assert format_millis(event_time_millis(value, ARRIVAL_MS)) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("2024-05-01", NOT_ISO, id="date-only"),
        pytest.param("2024-W18-3T10:00", NOT_ISO, id="week-date"),
        pytest.param("20240501T100000Z", NOT_ISO, id="basic-format"),
        pytest.param("2024-05-01x10:00:00", NOT_ISO, id="odd-separator"),
        pytest.param("2024-05-01T10:00:00z", NOT_ISO, id="lowercase-z"),
        pytest.param("2024-02-30T10:00:00Z", NOT_ISO, id="no-such-day"),
        pytest.param("٢٠٢٤-05-01T10:00:00Z", NOT_ISO, id="non-ascii-digits"),
        pytest.param("1714557600000", NOT_ISO, id="millis-as-string"),
        pytest.param(float("nan"), "not an ISO-8601 string or epoch millis", id="nan"),
        pytest.param(math.inf, "not an ISO-8601 string or epoch millis", id="infinity"),
        pytest.param(False, "not an ISO-8601 string or epoch millis", id="bool"),
        pytest.param({"ts": 1}, "not an ISO-8601 string or epoch millis", id="object"),
        pytest.param(None, "event_time is missing", id="null"),
        pytest.param(946684799999, "before 2000", id="just-before-2000"),
        pytest.param(-1, "before 2000", id="negative"),
        pytest.param(1714557600, "before 2000", id="epoch-seconds-not-millis"),
        pytest.param(ARRIVAL_MS + 86_400_001, "more than a day after", id="day-and-a-ms-ahead"),
        pytest.param(10**30, "more than a day after", id="huge"),
    ],
)
def test_unusable_event_time_is_rejected(value, reason):
    with pytest.raises(ValueError, match=reason):
        event_time_millis(value, ARRIVAL_MS)


@pytest.mark.parametrize(
    "value", ["ana@example.com" * 700, "2024-05-01T10:00:00+99:99 ana@example.com", 1e300]
)
def test_error_messages_name_the_type_never_the_value(value):
    with pytest.raises(ValueError) as caught:
        event_time_millis(value, ARRIVAL_MS)
    message = str(caught.value)
    assert "ana@example.com" not in message and "1e+300" not in message
    assert len(message) < 100


@pytest.mark.parametrize(
    ("millis", "expected"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1704067199999, "2023-12-31T23:59:59.999Z"),
        (1704067200000, "2024-01-01T00:00:00.000Z"),
        (1709251199001, "2024-02-29T23:59:59.001Z"),
    ],
)
def test_format_millis(millis, expected):
    assert format_millis(millis) == expected


def test_partition_keys_are_zero_padded_utc_and_a_fresh_dict():
    keys = partition_keys(1709622489000)  # 2024-03-05T07:08:09Z
    assert keys == {"year": "2024", "month": "03", "day": "05", "hour": "07"}
    keys["hour"] = "changed"
    assert partition_keys(1709622489000)["hour"] == "07"


def test_pseudonymise_is_sha256_prefix_and_deterministic():
    assert pseudonymise("user-1") == "c6c289e49e9c05b2145860387b73bcb1"
    assert pseudonymise("user-1") == pseudonymise("user-1")
    assert pseudonymise("user-2") != pseudonymise("user-1")
    assert pseudonymise("ü") == hashlib.sha256("ü".encode()).hexdigest()[:32]


TRICKY = [
    "plain",
    'quote " and backslash \\',
    "newline \n tab \t return \r",
    "control \x00 \x01 \x1f \x7f",
    "unicode é 中文 \u2028 \U0001f600",
    "slash / and </script>",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_json_line_matches_json_dumps_sorted_compact(text):
    record = {
        "event_id": text or "e",
        "event_time": "2024-05-01T10:00:00.000Z",
        "event_type": "click",
        "ingested_at": "2024-05-01T10:00:01.000Z",
        "page": text,
        "session_id": text,
        "user_key": "0" * 32,
    }
    expected = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert json_line(**record) == (expected + "\n").encode()


def test_json_line_leaves_out_absent_optional_fields():
    line = json_line(
        event_id="e",
        event_time="t",
        event_type="click",
        ingested_at="i",
        page=None,
        session_id=None,
        user_key="k",
    )
    assert json.loads(line) == {
        "event_id": "e",
        "event_time": "t",
        "event_type": "click",
        "ingested_at": "i",
        "user_key": "k",
    }


WORST_CASE = b'{"event_id":"a","event_type":"click","event_time":1e12,"user_id":"u"}'


def test_line_growth_bound_is_reached_by_the_worst_case():
    line = clean_event(WORST_CASE, ARRIVAL_MS).line
    assert len(line) - len(WORST_CASE) == MAX_LINE_GROWTH_BYTES


@pytest.mark.parametrize(
    "raw",
    [
        WORST_CASE.replace(b'"u"', b'"user-000123"'),
        b'{"event_id":"a","event_type":"click","event_time":946684800000,"user_id":"u"}',
        b'{"event_id":"a","event_type":"click","event_time":"2024-05-01T10:00","user_id":"u"}',
        b'{"event_id":"\\u00e9","event_type":"click","event_time":1e12,"user_id":"u"}',
        '{"event_id":"é","event_type":"click","event_time":1e12,"user_id":"u"}'.encode(),
        b'{"event_id":"\\/","event_type":"click","event_time":1e12,"user_id":"u","page":"\\n"}',
        b'{"event_id":"\\ud83d\\ude00","event_type":"click","event_time":1e12,"user_id":"u"}',
        b'{"event_id":"a","event_type":"click","event_time":1e12,"user_id":"u","page":"\\u0001"}',
        b'{"event_id":"a","event_type":"click","event_time":1e12,"user_id":"u","page":"\\""}',
        b'{ "event_id" : "a" , "event_type" : "click" , "event_time" : 1e12 , "user_id" : "u" }',
    ],
)
def test_line_never_grows_beyond_the_bound(raw):
    assert len(clean_event(raw, ARRIVAL_MS).line) - len(raw) <= MAX_LINE_GROWTH_BYTES


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xef\xbb\xbf{}", "not JSON"),  # a UTF-8 BOM is not JSON
        ('{"a": 1}'.encode("utf-16"), "not UTF-8"),  # json.loads(bytes) would have guessed it
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),  # too deep to parse: not a crash
        (b"null", r"not a JSON object \(got null\)"),
        (b"", "not JSON"),
    ],
)
def test_parse_object_rejects_what_is_not_one_utf8_json_object(raw, reason):
    with pytest.raises(InvalidEventError, match=reason):
        parse_object(raw)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("e30", "not base64"),  # missing padding
        ("e30==", "not base64"),
        ("e3 0=", "not base64"),
        ("e30=\n", "not base64"),
        ("é30=", "not base64"),
        ("A" * (4 * -(-MAX_RECORD_BYTES // 3) + 4), "larger than"),
    ],
)
def test_decode_data_is_strict(data, reason):
    with pytest.raises(UndecodableRecordError, match=reason):
        decode_data(data)


def test_decode_data_accepts_exactly_the_kinesis_limit():
    data = base64.b64encode(b"x" * MAX_RECORD_BYTES).decode()
    assert len(decode_data(data)) == MAX_RECORD_BYTES
    with pytest.raises(UndecodableRecordError, match="larger than"):
        decode_data(base64.b64encode(b"x" * (MAX_RECORD_BYTES + 1)).decode())


def test_batch_dedupe_keeps_the_first_record_of_each_event_id():
    dedupe = BatchDedupe()
    assert dedupe.first_record_of("e-1", "r-1") is None
    assert dedupe.first_record_of("e-2", "r-2") is None
    assert dedupe.first_record_of("e-1", "r-3") == "r-1"
    assert dedupe.first_record_of("e-1", "r-4") == "r-1"
