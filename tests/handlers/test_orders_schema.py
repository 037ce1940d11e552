"""Unit tests of the orders schema: no AWS involved."""

from __future__ import annotations

import json

import pytest
from orders_schema import (
    MAX_ORDER_ID_CHARS,
    REQUIRED_COLUMNS,
    HeaderError,
    RowError,
    curated_json_line,
    normalise_amount,
    normalise_order_ts,
    parse_header,
    validate_row,
)

LAYOUT = parse_header(list(REQUIRED_COLUMNS))
GOOD_ROW = ["A-1", "C-9", "2024-05-01T10:00:00Z", "12.5", "EUR"]


def test_header_in_any_order_maps_positions():
    layout = parse_header(["currency", "amount", "order_ts", "customer_id", "order_id"])
    assert layout.positions == {
        "order_id": 4,
        "customer_id": 3,
        "order_ts": 2,
        "amount": 1,
        "currency": 0,
    }


def test_header_names_are_trimmed():
    assert parse_header([f" {column} " for column in REQUIRED_COLUMNS]).field_count == 5


def test_extra_header_columns_are_ignored_not_rejected():
    layout = parse_header([*REQUIRED_COLUMNS, "note"])
    assert layout.ignored_columns == ("note",)
    assert layout.field_count == 6


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        pytest.param(
            ["order_id", "customer_id", "order_ts", "amount"], "missing columns: currency"
        ),
        pytest.param(
            [";".join(REQUIRED_COLUMNS)],
            "missing columns: order_id, customer_id, order_ts, amount, currency",
            id="semicolon-delimited",
        ),
        pytest.param([], "missing columns: order_id", id="empty"),
        pytest.param([*REQUIRED_COLUMNS, "amount"], "duplicate columns: amount", id="duplicate"),
    ],
)
def test_unusable_header_is_rejected_with_reason(header, reason):
    with pytest.raises(HeaderError, match=reason):
        parse_header(header)


def test_valid_row_is_normalised_in_schema_order():
    assert validate_row(GOOD_ROW, LAYOUT) == {
        "order_id": "A-1",
        "customer_id": "C-9",
        "order_ts": "2024-05-01T10:00:00Z",
        "amount": "12.50",
        "currency": "EUR",
    }


def test_extra_columns_are_dropped_from_the_row():
    layout = parse_header(["note", *REQUIRED_COLUMNS])
    assert "note" not in validate_row(["hello", *GOOD_ROW], layout)


def test_fields_are_trimmed():
    assert validate_row([f"  {value} " for value in GOOD_ROW], LAYOUT)["order_id"] == "A-1"


@pytest.mark.parametrize("count", [4, 6])
def test_ragged_row_is_rejected(count):
    with pytest.raises(RowError, match=f"expected 5 fields, got {count}"):
        validate_row([*GOOD_ROW, "x"][:count], LAYOUT)


def test_row_error_lists_every_broken_rule():
    with pytest.raises(RowError) as caught:
        validate_row(["", "", "yesterday", "-1", "eur"], LAYOUT)
    assert str(caught.value).split("; ") == [
        "order_id is empty",
        "customer_id is empty",
        "order_ts is not an ISO-8601 datetime: 'yesterday'",
        "amount is negative: '-1'",
        "currency is not 3 uppercase letters: 'eur'",
    ]


def test_order_id_length_limit():
    row = ["x" * MAX_ORDER_ID_CHARS, *GOOD_ROW[1:]]
    assert validate_row(row, LAYOUT)["order_id"] == row[0]
    with pytest.raises(RowError, match="order_id longer than 64 characters"):
        validate_row(["x" * (MAX_ORDER_ID_CHARS + 1), *GOOD_ROW[1:]], LAYOUT)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T10:00:00", "2024-05-01T10:00:00Z"),  # naive: taken as UTC
        ("2024-05-01 10:00", "2024-05-01T10:00:00Z"),
        ("2024-05-01T12:30:00+02:00", "2024-05-01T10:30:00Z"),
        ("2024-05-01T00:30:00-01:00", "2024-05-01T01:30:00Z"),
        ("2024-05-01T10:00:00.250Z", "2024-05-01T10:00:00.250000Z"),
    ],
)
def test_order_ts_is_normalised_to_utc(value, expected):
    assert normalise_order_ts(value) == expected


@pytest.mark.parametrize(
    "value", ["", "yesterday", "2024-05-01", "2024-13-01T10:00:00", "01/05/2024 10:00", "10:00"]
)
def test_order_ts_that_is_not_an_iso_datetime_is_rejected(value):
    with pytest.raises(ValueError, match="order_ts is not an ISO-8601 datetime"):
        normalise_order_ts(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0.00"), ("12", "12.00"), ("12.5", "12.50"), ("12.34", "12.34"), ("-0", "0.00")],
)
def test_amount_is_a_two_decimal_string(value, expected):
    assert normalise_amount(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-0.01", "amount is negative"),
        ("1.234", "amount has more than 2 decimal places"),
        ("1.000", "amount has more than 2 decimal places"),
        ("", "amount is not a decimal number"),
        ("12,50", "amount is not a decimal number"),
        ("1e3", "amount is not a decimal number"),
        ("NaN", "amount is not a decimal number"),
        ("+5", "amount is not a decimal number"),
        (".5", "amount is not a decimal number"),
    ],
)
def test_bad_amount_is_rejected(value, reason):
    with pytest.raises(ValueError, match=reason):
        normalise_amount(value)


@pytest.mark.parametrize("value", ["eur", "EURO", "EU", "E1R", "ÉUR", ""])
def test_currency_must_be_three_uppercase_letters(value):
    with pytest.raises(RowError, match="currency is not 3 uppercase letters"):
        validate_row([*GOOD_ROW[:4], value], LAYOUT)


def test_curated_json_line_is_deterministic_utf8_json():
    order = validate_row(["Ä-1", "C-9", "2024-05-01T10:00:00Z", "1", "EUR"], LAYOUT)
    line = curated_json_line(order)
    assert line.endswith(b"\n")
    assert "Ä-1".encode() in line  # not \u-escaped
    assert json.loads(line) == order
    assert line == curated_json_line(dict(order))
