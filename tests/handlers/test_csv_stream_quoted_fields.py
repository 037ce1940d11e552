"""Text inside a quoted field is never a row: oversized and unparseable records end where csv says.

Generated CSV (fields with newlines, quotes, delimiters and text that looks like orders rows) is
read with a small record cap and random chunk sizes; every record read must be one of the written
rows, at the line it starts on, or a rejection that stands for it.
"""

from __future__ import annotations

import csv
import io

from csv_resync import RecordEndScanner, UnsynchronisableError
from csv_stream import read_csv_records
from hypothesis import given
from hypothesis import strategies as st

CAP = 48
DECOY = "\nA-9,C-9,2024-05-01T10:00:00Z,1.00,EUR\n"
FIELD = st.one_of(
    st.text(alphabet=st.sampled_from('ab,"\r\n x'), max_size=12),
    st.just(DECOY),
    st.text(alphabet=st.sampled_from("ab\n"), min_size=CAP, max_size=CAP * 3),
)
# At least two fields, one of them non-blank: a blank line is not a row, so it is not generated.
ROW = st.lists(FIELD, min_size=2, max_size=4).filter(lambda row: any(f.strip() for f in row))


def _written(rows: list[list[str]]) -> tuple[bytes, list[tuple[int, str]]]:
    """Return the CSV body and, per row, its first line number and its written text."""
    lines, texts, line = [], [], 1
    for row in rows:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(row)
        text = out.getvalue()
        texts.append(text)
        lines.append((line, text))
        line += text.count("\n")
    return "".join(texts).encode(), lines


@given(st.lists(ROW, min_size=1, max_size=6), st.integers(min_value=1, max_value=64))
def test_each_written_row_is_one_record_however_long_its_quoted_fields(rows, chunk_size):
    body, starts = _written(rows)
    got = list(read_csv_records(io.BytesIO(body), max_record_chars=CAP, chunk_size=chunk_size))
    assert [record.line for record in got] == [line for line, _ in starts]
    for record, row, (_, text) in zip(got, rows, starts, strict=True):
        if len(text) > CAP:
            assert record.fields is None and record.error.startswith("row larger than")
        else:
            assert record.fields == row


@given(
    st.lists(ROW, min_size=2, max_size=6),
    st.data(),
    st.sampled_from(['z\r,"', "z\rq", 'z\r"', "\r,x"]),
)
def test_after_an_unparseable_row_no_text_is_invented(rows, data, damage):
    """A bare CR makes csv drop the rest of a line; a row read after it must be a real row."""
    body, starts = _written(rows)
    broken = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    start = sum(len(text) for _, text in starts[:broken])
    text = body.decode()
    body = (text[:start] + damage + text[start:]).encode()
    got = list(read_csv_records(io.BytesIO(body), max_record_chars=CAP, chunk_size=16))
    rest = [r for r in got if r.error and r.error.startswith("cannot tell where the next row")]
    assert len(rest) <= 1 and (not rest or rest[0] is got[-1])
    real = {(line, tuple(row)) for (line, _), row in zip(starts, rows, strict=True)}
    for record in got:
        if record.fields is not None:
            assert (record.line, tuple(record.fields)) in real  # nothing invented
    covered = {record.line for record in got}
    for index, (line, _) in enumerate(starts):
        if index == broken:
            assert any(r.fields is None and r.line == line for r in got)
        else:  # nothing lost: read, or inside the rejected rest of the object
            assert line in covered or (rest and rest[0].line <= line)


def test_scanner_ends_a_record_at_the_newline_after_its_closing_quote():
    scanner = RecordEndScanner()
    assert scanner.feed('a,"x\n') is None and scanner.in_quotes
    assert scanner.feed('y""\nz",b\nnext\n') == 9


def test_scanner_refuses_to_guess_after_a_bare_carriage_return_opens_a_quote():
    scanner = RecordEndScanner()
    try:
        scanner.feed('a\rb,"c\nd"\n')
    except UnsynchronisableError:
        return
    raise AssertionError("a quote opened on an abandoned line must not be guessed past")


def test_oversized_quoted_field_hides_decoy_rows():
    body = b'a,b\n"' + b"x" * 100 + DECOY.encode() + b'",1\nq,r\n'
    got = list(read_csv_records(io.BytesIO(body), max_record_chars=CAP))
    assert [(r.line, r.fields) for r in got] == [(1, ["a", "b"]), (2, None), (5, ["q", "r"])]


def test_oversized_quoted_field_to_the_end_of_the_object_is_one_rejection():
    body = b'a,b\n"' + b"x" * 100 + DECOY.encode()
    got = list(read_csv_records(io.BytesIO(body), max_record_chars=CAP))
    assert [(r.line, r.fields) for r in got] == [(1, ["a", "b"]), (2, None)]


def test_bare_cr_then_open_quote_rejects_the_rest_of_the_object():
    body = b'a,b\nz\r,"' + DECOY.encode() + b'",1\nq,r\n'
    got = list(read_csv_records(io.BytesIO(body)))
    assert [(r.line, r.fields) for r in got][:2] == [(1, ["a", "b"]), (2, None)]
    assert got[-1].line == 3 and got[-1].error.startswith("cannot tell where the next row starts")
    assert len(got) == 3
