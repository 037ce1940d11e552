"""A bad value in one row rejects that row, never the file: generated field values, every row kept.

The properties drive the handler's row loop (``_write_rows``) with in-memory writers, so thousands
of generated files run without S3; the named regressions at the end go through moto end to end.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from csv_validator_harness import (
    CURATED,
    ENVIRONMENT,
    HEADER,
    INPUT_BUCKET,
    OUTPUT_BUCKET,
    REJECTED,
    OrdersBuckets,
    csv_body,
    load_handler,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_harness import FakeLambdaContext
from moto import mock_aws
from orders_schema import REQUIRED_COLUMNS, RowError, parse_header, validate_row
from s3_events import record_for_put, s3_event
from s3_notification import SourceObject

LAYOUT = parse_header(list(REQUIRED_COLUMNS))
SOURCE = SourceObject("ObjectCreated:Put", "in", "incoming/o.csv", "v1", "0A")


class _Writer:
    """Collects what the handler writes to one output."""

    def __init__(self) -> None:
        self.lines: list[dict] = []

    def write(self, data: bytes) -> None:
        self.lines.extend(json.loads(line) for line in data.decode().split("\n") if line)


def _offset() -> st.SearchStrategy[timezone | None]:
    # Offsets strictly inside +-24h, to the minute, as ISO-8601 writes them; None is naive.
    minutes = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1)
    return st.none() | minutes.map(lambda m: timezone(timedelta(minutes=m)))


# Datetimes at and near the limits of ``datetime`` (year 1 and 9999) with any offset: converting
# those to UTC overflows, which must be a rejected row, not a failed object.
EDGE_TIMESTAMPS = st.builds(
    lambda moment, tz, sep: moment.replace(tzinfo=tz).isoformat(sep=sep),
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 1, 2)),
        st.datetimes(min_value=datetime(9999, 12, 30), max_value=datetime(9999, 12, 31, 23, 59)),
        st.datetimes(),
    ),
    _offset(),
    st.sampled_from("T "),
)
AMOUNTS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=0, max_value=10**80).map(str),
    st.from_regex(r"-?[0-9]{1,60}(\.[0-9]{0,4})?", fullmatch=True),
    st.text(max_size=20),
)
# Any text, including combining marks, compatibility characters, and separators a CSV writer
# has to quote; surrogates cannot come out of a strict UTF-8 decode, so they are not generated.
ANY_TEXT = st.text(max_size=30)
ROWS = st.tuples(
    st.one_of(ANY_TEXT, st.text(min_size=60, max_size=70)),
    ANY_TEXT,
    st.one_of(EDGE_TIMESTAMPS, ANY_TEXT),
    AMOUNTS,
    st.one_of(st.sampled_from(["EUR", "USD", "eur", "ÉUR", "E\u0301UR"]), ANY_TEXT),
)


def _csv(rows: list[tuple[str, ...]]) -> bytes:
    """Well-formed CSV (RFC 4180 line ends, so csv.writer also quotes a bare "\r")."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(REQUIRED_COLUMNS)
    writer.writerows(rows)
    return text.getvalue().encode()


@given(st.lists(ROWS, min_size=1, max_size=8))
def test_every_generated_row_is_curated_or_rejected_with_a_reason(rows):
    handler = load_handler()
    curated, rejected = _Writer(), _Writer()
    valid, bad = handler._write_rows(SOURCE, io.BytesIO(_csv(rows)), curated, rejected)
    assert (valid, bad) == (len(curated.lines), len(rejected.lines))
    assert valid + bad == len(rows)  # nothing lost, nothing invented
    assert all(record["reason"] for record in rejected.lines)
    # Line numbers name distinct input rows (header is line 1; quoted newlines span lines).
    assert len({record["line"] for record in rejected.lines}) == bad


@contextmanager
def _fresh_buckets() -> Iterator[OrdersBuckets]:
    """What the ``orders_buckets`` fixture gives, per Hypothesis example (fixtures are per test)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        handler = load_handler()
        handler.s3_client.cache_clear()
        try:
            with mock_aws():
                s3 = boto3.client("s3", region_name="us-east-1")
                for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
                    s3.create_bucket(Bucket=bucket)
                    s3.put_bucket_versioning(
                        Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
                    )
                yield OrdersBuckets(s3=s3, handler=handler, context=FakeLambdaContext())
        finally:
            handler.s3_client.cache_clear()


@settings(max_examples=20)
@given(st.lists(ROWS, min_size=1, max_size=5))
def test_end_to_end_every_generated_row_lands_in_an_output(rows):
    """The same property through S3 (moto): the invocation never fails on a bad value."""
    body = _csv(rows)
    with _fresh_buckets() as world:
        response = world.put("incoming/o.csv", body)
        record = record_for_put(world.input_bucket, "incoming/o.csv", response, body)
        (result,) = world.invoke(s3_event(record))["records"]
        assert result["outcome"] == "processed"
        assert result["valid"] + result["rejected"] == len(rows)
        curated = world.read_output(CURATED + "o.jsonl").decode().split("\n")
        assert len([line for line in curated if line]) == result["valid"]
        if result["rejected"]:
            rejected = world.read_jsonl(REJECTED + "o.jsonl")
            assert len(rejected) == result["rejected"]
            assert all(r["reason"] for r in rejected)


@given(st.lists(st.text(max_size=40), min_size=5, max_size=5))
def test_validate_row_raises_only_row_errors(fields):
    try:
        order = validate_row(fields, LAYOUT)
    except RowError as exc:
        assert str(exc)
    else:
        assert list(order) == list(REQUIRED_COLUMNS)


@given(EDGE_TIMESTAMPS)
def test_timestamps_at_the_limits_of_datetime_are_normalised_or_rejected(value):
    fields = ["A-1", "C-1", value, "1.00", "EUR"]
    try:
        order = validate_row(fields, LAYOUT)
    except RowError as exc:
        assert "order_ts" in str(exc)
    else:
        assert order["order_ts"].endswith("Z")


@given(st.integers(min_value=0, max_value=10**120), st.integers(min_value=0, max_value=99))
def test_amounts_are_exact_or_rejected_never_rounded(whole, cents):
    value = f"{whole}.{cents:02d}"
    try:
        order = validate_row(["A-1", "C-1", "2024-05-01T10:00:00Z", value, "EUR"], LAYOUT)
    except RowError as exc:
        assert "digits before the point" in str(exc)
    else:
        assert order["amount"] == value


@pytest.mark.parametrize(
    ("order_ts", "reason"),
    [
        pytest.param("0001-01-01T00:00:00+01:00", "order_ts cannot be normalised", id="year-1"),
        pytest.param("9999-12-31T23:59:59-01:00", "order_ts cannot be normalised", id="year-9999"),
    ],
)
def test_date_overflow_rejects_the_row_not_the_file(
    orders_buckets: OrdersBuckets, order_ts, reason
):
    body = csv_body(f"A-1,C-1,{order_ts},1.00,EUR", "A-2,C-2,2024-05-01T10:00:00Z,2.00,EUR")
    record = record_for_put(
        orders_buckets.input_bucket,
        "incoming/o.csv",
        orders_buckets.put("incoming/o.csv", body),
        body,
    )
    result = orders_buckets.invoke(s3_event(record))["records"][0]
    assert (result["outcome"], result["valid"], result["rejected"]) == ("processed", 1, 1)
    [rejection] = orders_buckets.read_jsonl(result["outputs"][1].split("/", 3)[3])
    assert reason in rejection["reason"] and rejection["line"] == 2


def test_long_amount_is_rejected_not_rounded():
    # abs() on a Decimal rounds to 28 digits: this amount used to come out changed.
    value = "123456789012345678901234567890123.50"
    order = validate_row(["A-1", "C-1", "2024-05-01T10:00:00Z", value, "EUR"], LAYOUT)
    assert order["amount"] == value
    with pytest.raises(RowError, match="more than 36 digits"):
        validate_row(["A-1", "C-1", "2024-05-01T10:00:00Z", "1" * 37, "EUR"], LAYOUT)


def test_header_constant_is_the_schema():
    assert HEADER.split(",") == list(REQUIRED_COLUMNS)
