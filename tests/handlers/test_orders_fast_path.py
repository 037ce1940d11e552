"""The orders schema's fast paths agree with the full paths on generated values.

``validate_row`` tries a fast path for a row that breaks no rule (``_plain_amount``,
``_canonical_utc_ts``, inline checks) and falls back to the full path (``_validate_fields``,
every check in turn) otherwise; ``curated_line`` (what the handler calls) sets the values into
a template instead of building a dict; ``curated_json_line`` and the handler's rejection records
skip ``json.dumps``'s per-call encoder. None of that may change a single output byte or reason.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from csv_validator_harness import load_handler
from hypothesis import given
from hypothesis import strategies as st
from orders_schema import (
    REQUIRED_COLUMNS,
    RowError,
    _canonical_utc_ts,
    _plain_amount,
    _validate_fields,
    curated_json_line,
    curated_line,
    normalise_amount,
    normalise_order_ts,
    parse_header,
    validate_row,
)
from s3_notification import SourceObject

LAYOUT = parse_header(list(REQUIRED_COLUMNS))

_OFFSETS = st.none() | st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_DATETIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30), max_value=datetime(9999, 12, 31, 23, 59)),
    st.datetimes(),
)
# The forms exports write (what the fast path takes), at the limits of datetime, plus near misses
# and arbitrary text (what it must leave to the full path).
TIMESTAMPS = st.one_of(
    st.builds(
        lambda moment, tz, sep, spec: moment.replace(tzinfo=tz).isoformat(sep=sep, timespec=spec),
        _DATETIMES,
        _OFFSETS,
        st.sampled_from("Tt x"),
        st.sampled_from(["seconds", "milliseconds", "microseconds", "auto", "minutes"]),
    ),
    st.builds(
        lambda moment, suffix: moment.isoformat(timespec="seconds") + suffix,
        _DATETIMES,
        st.sampled_from(["Z", "z", "+00:00", "-00:00", "+24:00", "+00:60", "+0000", "UTC", " "]),
    ),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})?",
        fullmatch=True,
    ),
    st.text(alphabet="0123456789-:T .Z+", max_size=32),
    st.text(max_size=30),
)
AMOUNTS = st.one_of(
    st.from_regex(r"-?0*[0-9]{0,40}(\.[0-9]{0,4})?", fullmatch=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=20),
)


def _outcome(function, value):
    try:
        return "ok", function(value)
    except Exception as exc:  # the outcome, whatever it is, is compared
        return "raised", type(exc)


@given(TIMESTAMPS)
def test_canonical_timestamp_path_agrees_with_normalise_order_ts(value):
    fast = _outcome(_canonical_utc_ts, value)
    full = _outcome(normalise_order_ts, value)
    if fast == ("ok", None):
        return  # not a form the fast path takes: the full path decides
    if fast[0] == "raised":
        assert full[0] == "raised"  # the fast path only gives up where the full path rejects
    else:
        assert fast == full


@pytest.mark.parametrize(
    "value",
    [
        "2024-05-01T10:00:00",
        "2024-05-01 10:00:00Z",
        "2024-05-01t10:00:00+00:00",
        "2024-05-01T10:00:00-00:00",
        "2024-05-01T10:00:00.250Z",
        "2024-05-01T12:30:00.123456+02:00",
        "2024-05-01T00:30:00-23:59",
        "0001-01-01T00:00:00-01:00",
    ],
)
def test_canonical_timestamp_path_takes_the_common_forms(value):
    assert _canonical_utc_ts(value) == normalise_order_ts(value)


@pytest.mark.parametrize(
    "value", ["2024-02-30T10:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
)
def test_canonical_timestamp_path_raises_where_the_full_path_rejects(value):
    with pytest.raises((ValueError, OverflowError)):
        _canonical_utc_ts(value)
    with pytest.raises((ValueError, OverflowError)):
        normalise_order_ts(value)


@given(AMOUNTS)
def test_plain_amount_path_agrees_with_normalise_amount(value):
    plain = _plain_amount(value)
    if plain is not None:
        assert plain == normalise_amount(value)


@given(st.integers(min_value=0, max_value=10**40), st.sampled_from(["", ".", ".0", ".5", ".05"]))
def test_plain_amount_path_takes_every_unsigned_amount_the_schema_accepts(whole, decimals):
    value = f"{whole:0>3}{decimals}"
    try:
        expected = normalise_amount(value)
    except ValueError:
        assert _plain_amount(value) is None
    else:
        assert _plain_amount(value) == expected


ROWS = st.tuples(
    st.one_of(st.text(max_size=70), st.just("ORD-1")),
    st.one_of(st.text(max_size=10), st.just("C-1")),
    TIMESTAMPS,
    AMOUNTS,
    st.one_of(st.sampled_from(["EUR", "eur", "ÉUR", " USD "]), st.text(max_size=4)),
)


def _full_path(fields: list[str]) -> dict[str, str]:
    return _validate_fields(dict(zip(REQUIRED_COLUMNS, map(str.strip, fields), strict=True)))


@given(ROWS)
def test_validate_row_fast_path_agrees_with_the_full_path(row):
    fields = list(row)
    full = _outcome(_full_path, fields)
    assert _outcome(lambda value: validate_row(value, LAYOUT), fields) == full
    if full[0] == "raised":
        with pytest.raises(RowError) as fast_error:
            validate_row(fields, LAYOUT)
        with pytest.raises(RowError) as full_error:
            _full_path(fields)
        assert str(fast_error.value) == str(full_error.value)


@given(ROWS, st.sampled_from([[], ["note"], ["note", "extra"]]))
def test_curated_line_is_validate_row_then_curated_json_line(row, extra):
    layout = parse_header([*extra, *reversed(REQUIRED_COLUMNS)])
    fields = [*(f"x{i}" for i in range(len(extra))), *reversed(row)]
    try:
        expected = curated_json_line(validate_row(fields, layout))
    except RowError as exc:
        with pytest.raises(RowError) as caught:
            curated_line(fields, layout)
        assert str(caught.value) == str(exc)
    else:
        assert curated_line(fields, layout) == expected


JSON_VALUES = st.text() | st.integers() | st.none() | st.booleans() | st.floats(allow_nan=False)


@given(st.dictionaries(st.text(), st.text()) | st.dictionaries(st.text(), JSON_VALUES))
def test_curated_json_line_is_byte_identical_to_json_dumps(order):
    expected = (json.dumps(order, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    assert curated_json_line(order) == expected


@given(
    st.none() | st.integers(min_value=1),
    st.text(),
    st.none() | st.text(),
    st.text(min_size=1),
    st.none() | st.text(),
)
def test_rejection_line_is_byte_identical_to_json_dumps(line, reason, raw, key, version):
    handler = load_handler()
    source = SourceObject("ObjectCreated:Put", "in", key, version, "0A")
    record = {
        "line": line,
        "reason": reason,
        "raw": raw,
        "source_bucket": "in",
        "source_key": key,
        "source_version_id": version,
    }
    expected = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    assert handler._rejection_line(source, line, reason, raw) == expected
