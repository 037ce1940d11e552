"""Header handling: every header is accepted or rejected with a reason, up to the 1 MiB record cap.

Timing is measured in ``bench/header_width.py`` (no timed tests); these tests pin the outcomes,
including for the widest headers the cap allows.
"""

from __future__ import annotations

import io
import itertools
import string

import pytest
from csv_stream import MAX_RECORD_CHARS, read_csv_records
from hypothesis import given
from hypothesis import strategies as st
from orders_schema import MAX_LISTED, REQUIRED_COLUMNS, HeaderError, parse_header

NAMES = st.one_of(st.sampled_from(REQUIRED_COLUMNS), st.text(max_size=8), st.just(" "))


@given(st.lists(NAMES, max_size=30))
def test_every_header_is_accepted_or_rejected_with_a_reason(names):
    try:
        layout = parse_header(names)
    except HeaderError as exc:
        reason = str(exc)
        assert reason and not reason.endswith(": ")
        blank = [i + 1 for i, name in enumerate(names) if not name.strip()]
        if blank:
            assert reason.startswith("blank column names at positions ")
            assert reason.split("positions ", 1)[1].startswith(str(blank[0]))
    else:
        stripped = [name.strip() for name in names]
        assert len(set(stripped)) == len(stripped) and all(stripped)
        for column, index in layout.positions.items():
            assert stripped[index] == column


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        pytest.param(
            [*REQUIRED_COLUMNS, "", " "],
            "blank column names at positions 6, 7",
            id="trailing-blanks",
        ),
        pytest.param(["", *REQUIRED_COLUMNS], "blank column names at positions 1", id="leading"),
        pytest.param(
            [*REQUIRED_COLUMNS, "x", "x", "y", "y"], "duplicate columns: x, y", id="duplicates"
        ),
    ],
)
def test_blank_and_duplicate_names_are_named(header, reason):
    with pytest.raises(HeaderError, match=f"^{reason}$"):
        parse_header(header)


def _header_record(text: str) -> list[str]:
    [record] = list(read_csv_records(io.BytesIO(text.encode() + b"\n")))
    assert record.fields is not None, record.error
    return record.fields


def test_a_million_commas_is_rejected_with_a_bounded_reason():
    fields = _header_record("," * (MAX_RECORD_CHARS - 2))
    with pytest.raises(HeaderError) as caught:
        parse_header(fields)
    reason = str(caught.value)
    assert reason.startswith("blank column names at positions 1, 2, 3, ")
    assert reason.endswith(f"... ({MAX_RECORD_CHARS - 1} in all)")
    assert reason.count(",") == MAX_LISTED  # the first MAX_LISTED positions, then the count


def _distinct_names(count: int) -> list[str]:
    """``count`` distinct 3-character names (62**3 exist): 230,000 of them fit in 1 MiB."""
    alphabet = string.ascii_letters + string.digits
    return [
        "".join(triple) for triple in itertools.islice(itertools.product(alphabet, repeat=3), count)
    ]


def test_230000_distinct_names_at_the_cap_are_accepted():
    names = _distinct_names(230_000)
    text = ",".join([*REQUIRED_COLUMNS, *names])
    assert len(text) < MAX_RECORD_CHARS
    layout = parse_header(_header_record(text))
    assert layout.field_count == len(names) + len(REQUIRED_COLUMNS)
    assert len(layout.ignored_columns) == len(names)


def test_230000_names_with_a_late_duplicate_are_rejected():
    names = [*_distinct_names(230_000), "aaa"]
    with pytest.raises(HeaderError, match=r"^duplicate columns: aaa$"):
        parse_header([*REQUIRED_COLUMNS, *names])
