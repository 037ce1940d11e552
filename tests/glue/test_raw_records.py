"""Read-side schema handling: the expected fields, renamed fields, wrong types, both readers."""

from __future__ import annotations

import pytest
from event_schema import EXPECTED_FIELDS
from raw_events import encode, event, lines_frame
from raw_records import (
    MALFORMED,
    PARTIAL_RESULTS_CONF,
    RAW_FIELDS_COLUMNS,
    RAW_RECORD,
    SOURCE_FILE,
    UNEXPECTED_FIELDS,
    WRONG_TYPE_FIELDS,
    fields_from_glue_records,
    fields_from_json_lines,
)

pytestmark = pytest.mark.spark


def parse(spark, records):
    """The raw fields of each record, keyed by its line, as dicts."""
    rows = fields_from_json_lines(lines_frame(spark, records)).collect()
    return {row[RAW_RECORD]: row.asDict() for row in rows}


def test_every_expected_field_is_read_as_a_string_and_the_line_kept_verbatim(spark):
    record = event(1)
    fields = fields_from_json_lines(lines_frame(spark, [record]))
    assert tuple(fields.columns) == RAW_FIELDS_COLUMNS
    row = fields.first().asDict()
    assert {name: row[name] for name in EXPECTED_FIELDS} == record
    assert row[RAW_RECORD] == encode(record)
    assert row[SOURCE_FILE] == "file:///raw/a.json"
    assert (row[WRONG_TYPE_FIELDS], row[MALFORMED], row[UNEXPECTED_FIELDS]) == ([], False, [])


def test_renamed_column_is_mapped_back_to_its_current_name(spark):
    # A partner's newer files rename a column (event_schema.COLUMN_ALIASES); both land in one.
    old = event(1)
    new = event(2, page=None, page_url="/checkout")
    both = event(3, page="/current", page_url="/renamed")
    rows = parse(spark, [old, new, both])
    assert rows[encode(old)]["page"] == old["page"]
    assert rows[encode(new)]["page"] == "/checkout"
    assert rows[encode(both)]["page"] == "/current"
    assert all(row[UNEXPECTED_FIELDS] == [] for row in rows.values())


def test_fields_added_upstream_are_named_not_kept(spark):
    record = {**event(1), "customer_age": 41, "earning": "high"}
    row = parse(spark, [record])[encode(record)]
    assert sorted(row[UNEXPECTED_FIELDS]) == ["customer_age", "earning"]
    assert "customer_age" not in row


def test_non_string_values_are_flagged_per_record_and_field(spark):
    # Spark's reader would turn 42 into "42"; the probes see the JSON type of each value.
    number = event(1, event_id=42)
    mixed = event(2, session_id=False, page=["/a"], user_key={"k": 1})
    text = event(3, event_id="42", page="NaN", session_id="true")
    rows = parse(spark, [number, mixed, text])
    assert rows[encode(number)][WRONG_TYPE_FIELDS] == ["event_id"]
    assert rows[encode(number)]["event_id"] == "42"
    assert sorted(rows[encode(mixed)][WRONG_TYPE_FIELDS]) == ["page", "session_id", "user_key"]
    assert rows[encode(text)][WRONG_TYPE_FIELDS] == []


NUMBERS = ("0", "-1", "1.5", "-2.5e-3", "1E400", "123456789012345678901234567890")
OTHERS = ("true", "false", '{"a":{"b":[1]}}', "{}", "[]", '[1,"x"]', '["{}"]')
NON_STRING_TOKENS = (*NUMBERS, *OTHERS)


def with_page(token):
    return encode(event(1)).replace('"page":"/products/1"', f'"page":{token}')


@pytest.fixture(scope="module")
def token_rows(spark):
    return parse(spark, [with_page(token) for token in NON_STRING_TOKENS])


@pytest.mark.parametrize("token", NON_STRING_TOKENS)
def test_every_kind_of_json_value_that_is_not_a_string_is_a_wrong_type(token_rows, token):
    # Only records with a value that could be a non-string's text are probed: none may slip by.
    assert token_rows[with_page(token)][WRONG_TYPE_FIELDS] == ["page"]


def test_lines_that_are_not_objects_are_malformed_not_lost(spark):
    lines = ['{"event_id":"e-1"', "[1,2]", "null", "plain text", '{"event_id":NaN}']
    rows = parse(spark, lines)
    assert sorted(rows) == sorted(lines)
    assert all(row[MALFORMED] for row in rows.values())


def test_blank_lines_are_not_records(spark):
    rows = parse(spark, [event(1), "", "   "])
    assert list(rows) == [encode(event(1))]


def test_wrong_types_cannot_go_unseen_without_json_partial_results(spark):
    spark.conf.set(PARTIAL_RESULTS_CONF, "false")
    try:
        with pytest.raises(RuntimeError, match=PARTIAL_RESULTS_CONF):
            fields_from_json_lines(lines_frame(spark, [event(1)]))
    finally:
        spark.conf.set(PARTIAL_RESULTS_CONF, "true")


def test_glue_records_split_by_type_give_the_same_fields(spark):
    # resolveChoice(choice="make_cols") output: event_id was a string in one record and a
    # number in another; session_id a number in every record of the run; page renamed.
    schema = (
        "event_id_string string, event_id_long bigint, event_type string, event_time string, "
        "user_key string, ingested_at string, session_id bigint, page_url string, "
        "customer_age bigint, source_file string"
    )
    base = event(1)
    common = (base["event_type"], base["event_time"], base["user_key"], base["ingested_at"])
    records = spark.createDataFrame(
        [
            ("e-1", None, *common, None, "/home", None, "s3://raw/a.json"),
            (None, 42, *common, 7, None, 30, "s3://raw/a.json"),
        ],
        schema,
    )
    rows = fields_from_glue_records(records).orderBy("event_id").collect()
    assert tuple(rows[0].asDict()) == RAW_FIELDS_COLUMNS
    string_id, number_id = sorted(rows, key=lambda row: row["event_id"] is None)
    assert string_id["event_id"] == "e-1"
    assert string_id["page"] == "/home"
    assert string_id[WRONG_TYPE_FIELDS] == []
    assert number_id["event_id"] is None
    assert sorted(number_id[WRONG_TYPE_FIELDS]) == ["event_id", "session_id"]
    assert string_id[UNEXPECTED_FIELDS] == ["customer_age"]
    assert '"event_id_long":42' in number_id[RAW_RECORD]
    assert string_id[SOURCE_FILE] == "s3://raw/a.json"
