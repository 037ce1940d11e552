"""Unit tests of the streaming CSV reader: decoding, record boundaries and the size cap."""

from __future__ import annotations

import io

import pytest
from csv_stream import RAW_EXCERPT_CHARS, InvalidUtf8Error, read_csv_records


class ChunkCountingStream(io.BytesIO):
    """A body that records the size asked for on every read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.requests: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.requests.append(size)
        return super().read(size)


def records(data: bytes, **kwargs):
    return list(read_csv_records(io.BytesIO(data), **kwargs))


def test_records_keep_line_numbers_and_raw_text():
    got = records(b"a,b\n1,2\r\n\n3,4")
    assert [(r.line, r.raw, r.fields) for r in got] == [
        (1, "a,b", ["a", "b"]),
        (2, "1,2", ["1", "2"]),
        (4, "3,4", ["3", "4"]),  # the blank line 3 is skipped; no trailing newline needed
    ]


def test_quoted_field_may_hold_delimiter_quote_and_newline():
    got = records(b'a,b\n"x, ""y""\nz",2\nnext,3\n')
    assert got[1].fields == ['x, "y"\nz', "2"]
    assert got[1].line == 2
    assert got[2].line == 4


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 64])
def test_chunk_boundaries_do_not_change_the_result(chunk_size):
    data = '\ufeffa,b\n"é, ü",日本\r\nx,y\n'.encode()
    got = records(data, chunk_size=chunk_size)
    assert [r.fields for r in got] == [["a", "b"], ["é, ü", "日本"], ["x", "y"]]


def test_leading_bom_is_dropped():
    assert records(b"\xef\xbb\xbfa,b\n")[0].fields == ["a", "b"]


def test_bom_elsewhere_is_data():
    assert records(b"a,b\n\xef\xbb\xbfx,y\n")[1].fields == ["\ufeffx", "y"]


@pytest.mark.parametrize("chunk_size", [1, 4, 1024])
def test_invalid_utf8_names_byte_offset_and_line(chunk_size):
    data = b"a,b\n1,2\n3,caf\xe9\n"
    with pytest.raises(InvalidUtf8Error) as caught:
        records(data, chunk_size=chunk_size)
    assert (caught.value.byte_offset, caught.value.line) == (data.index(b"\xe9"), 3)
    assert str(caught.value) == "not valid UTF-8 at byte offset 13 (line 3)"


def test_invalid_utf8_offset_counts_the_bom():
    with pytest.raises(InvalidUtf8Error) as caught:
        records(b"\xef\xbb\xbfa,\xff\n", chunk_size=2)
    assert caught.value.byte_offset == 5


def test_truncated_character_at_end_is_invalid():
    with pytest.raises(InvalidUtf8Error) as caught:
        records(b"a,b\n1,\xc3")
    assert (caught.value.byte_offset, caught.value.line) == (6, 2)


def test_oversized_record_is_reported_and_reading_continues():
    big = b"x" * 5000
    got = records(b"a,b\n" + big + b",1\n3,4\n", max_record_chars=2000, chunk_size=256)
    assert [r.fields for r in got] == [["a", "b"], None, ["3", "4"]]
    oversized = got[1]
    assert oversized.line == 2
    assert oversized.error.startswith("row larger than 2000 characters (5003 read")
    assert oversized.raw == "x" * RAW_EXCERPT_CHARS


def test_oversized_multiline_record_counts_all_its_lines():
    body = b'a,b\n"' + b"y\n" * 600 + b'",1\n3,4\n'
    got = records(body, max_record_chars=1000)
    assert got[1].fields is None and got[1].line == 2
    assert got[1].error.startswith("row larger than 1000 characters")
    # Best-effort resync at the next physical line: the rest of the quoted field comes out as
    # records of its own (rejected downstream), so no line disappears silently.
    assert all(record.line > 2 for record in got[2:])
    assert "3,4" in got[-1].raw


def test_record_at_the_cap_is_accepted():
    row = b"x" * 996 + b",1\n"  # 999 characters with its newline
    assert records(b"a,b\n" + row, max_record_chars=999)[1].fields == ["x" * 996, "1"]


def test_body_is_read_in_bounded_chunks():
    stream = ChunkCountingStream(b"a,b\n" + b"1,2\n" * 10_000)
    assert sum(1 for _ in read_csv_records(stream, chunk_size=1024)) == 10_001
    assert len(stream.requests) > 30
    assert all(size is not None and 0 < size <= 1024 for size in stream.requests)
