"""Stream CSV records out of a binary body, with strict UTF-8 and a cap on the size of a record.

The body is read in fixed-size chunks and decoded incrementally, so memory stays flat in the size
of the object: at most one chunk, one record and the csv module's state are held at a time.
Nothing here talks to AWS; any object with ``read(n) -> bytes`` works (a botocore
``StreamingBody``, an ``io.BytesIO``), which keeps it unit-testable.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from typing import NamedTuple, NoReturn, Protocol

from csv_resync import RecordEndScanner, UnsynchronisableError

READ_CHUNK_BYTES = 64 * 1024
"""Bytes requested from the body per read: small enough to keep memory flat, large enough to keep
the number of reads (each a syscall on the HTTP stream) low."""

MAX_RECORD_CHARS = 1024 * 1024
"""Largest record (all physical lines of one CSV row, terminators included) that is parsed.
A larger one is rejected and skipped without ever being held whole in memory."""

RAW_EXCERPT_CHARS = 1024
"""How much of an oversized record is kept in its rejection, so a reader can recognise it."""

_UTF8_BOM = codecs.BOM_UTF8


class BinaryReader(Protocol):
    """Anything with ``read(size)`` returning bytes, e.g. a botocore ``StreamingBody``."""

    def read(self, size: int = ..., /) -> bytes:
        """Return up to ``size`` bytes; ``b""`` at the end of the stream."""
        ...


class InvalidUtf8Error(ValueError):
    """The body is not UTF-8: the object cannot be trusted as text, so it is rejected whole."""

    def __init__(self, byte_offset: int, line: int) -> None:
        self.byte_offset = byte_offset
        self.line = line
        super().__init__(f"not valid UTF-8 at byte offset {byte_offset} (line {line})")


class CsvRecord(NamedTuple):
    """One CSV record (a row, which may span several physical lines when a field is quoted).

    Immutable; a named tuple rather than a frozen dataclass because one is built per row and a
    tuple is the cheaper to build.

    Attributes:
        line: 1-based physical line on which the record starts.
        raw: The record's text without its final line terminator (an excerpt for an oversized
            record).
        fields: The parsed fields, or ``None`` when the record could not be parsed.
        error: Why the record could not be parsed, or ``None``.
    """

    line: int
    raw: str
    fields: list[str] | None
    error: str | None = None


class _RecordTooLargeError(Exception):
    """Raised through ``csv.reader`` by the line source when a record outgrows the cap."""

    def __init__(self, line: int, size: int, excerpt: str) -> None:
        super().__init__(line, size)
        self.line = line
        self.size = size
        self.excerpt = excerpt


class _UnsynchronisedError(Exception):
    """Raised through ``csv.reader`` when where the next record starts cannot be told."""

    def __init__(self, line: int, excerpt: str) -> None:
        super().__init__(line)
        self.line = line
        self.excerpt = excerpt


class _LineSource:
    """Physical lines (terminators kept, as ``csv.reader`` wants) of a UTF-8 byte stream.

    An iterator class rather than a generator on purpose: it raises ``_RecordTooLargeError``
    out of ``csv.reader`` and must stay usable afterwards, which a generator would not.
    ``csv.reader`` resets its own state at the start of every row, so parsing resumes cleanly
    at the next physical line handed to it: after an oversized record, that is the line after the
    record's real end (``_skip_oversized``, by csv's quoting rules), never a line inside it.
    """

    def __init__(self, stream: BinaryReader, max_record_chars: int, chunk_size: int) -> None:
        self._stream = stream
        self._max = max_record_chars
        self._chunk_size = chunk_size
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._text = ""
        self._pos = 0
        self._bytes_fed = 0  # bytes handed to the decoder so far (after any BOM)
        self._started = False
        self.lines_read = 0
        self.record_start_line = 1
        self._record_lines: list[str] = []
        self._record_chars = 0

    def start_record(self) -> None:
        """Mark the start of a new CSV record: its size budget and raw text start afresh."""
        self.record_start_line = self.lines_read + 1
        self._record_lines = []
        self._record_chars = 0

    def record_text(self, *, keep_terminator: bool = False) -> str:
        """Return the physical lines of the current record, final terminator removed."""
        lines = self._record_lines
        text = lines[0] if len(lines) == 1 else "".join(lines)
        if keep_terminator:
            return text
        if text.endswith("\n"):  # the common case, without a call
            return text[:-2] if text.endswith("\r\n") else text[:-1]
        return _strip_terminator(text)

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        # Fast path: the whole line is in the decoded buffer and keeps the record within the cap
        # (what ``_next_line`` does in that case, without its loop); anything else goes there.
        text = self._text
        pos = self._pos
        newline = text.find("\n", pos)
        if newline != -1:
            end = newline + 1
            size = end - pos
            if self._record_chars + size <= self._max:
                line = text[pos:end]
                self._pos = end
                self.lines_read += 1
                self._record_lines.append(line)
                self._record_chars += size
                return line
        return self._next_line()

    def _next_line(self) -> str:
        parts: list[str] = []
        length = 0
        while True:
            if self._pos >= len(self._text) and not self._fill():
                if parts:
                    return self._accept("".join(parts))
                raise StopIteration
            newline = self._text.find("\n", self._pos)
            end = len(self._text) if newline == -1 else newline + 1
            piece = self._text[self._pos : end]
            self._pos = end
            if self._record_chars + length + len(piece) > self._max:
                self._skip_oversized("".join(self._record_lines), "".join(parts) + piece)
            parts.append(piece)
            length += len(piece)
            if newline != -1:
                return self._accept("".join(parts))

    def _skip_oversized(self, recorded: str, current: str) -> NoReturn:
        """Skip the rest of a record over the cap, up to where csv's quoting rules end it.

        Args:
            recorded: The record's lines already handed to ``csv.reader`` (counted).
            current: The current line read so far (not yet counted).

        Scanning from the record's first character gives the quote state, so a record whose
        quoted field runs on for many lines is skipped whole: no text inside the quotes is read
        as a row. Nothing beyond one excerpt is kept, so memory stays flat.

        Raises:
            _RecordTooLargeError: Once the record's end (or the stream's) is reached.
            _UnsynchronisedError: If where the record ends cannot be told (see ``csv_resync``).
        """
        so_far = recorded + current
        start_line = self.record_start_line
        excerpt = so_far[:RAW_EXCERPT_CHARS]
        scanner = RecordEndScanner()
        size = len(so_far)
        newlines = current.count("\n")
        open_line = not current.endswith("\n")  # the last line read has no terminator yet
        try:
            done = scanner.feed(so_far)
            while done is None and (self._pos < len(self._text) or self._fill()):
                done = scanner.feed(self._text, self._pos)
                stop = len(self._text) if done is None else done
                if stop > self._pos:
                    newlines += self._text.count("\n", self._pos, stop)
                    open_line = self._text[stop - 1] != "\n"
                    size += stop - self._pos
                    self._pos = stop
        except UnsynchronisableError:
            raise _UnsynchronisedError(start_line, excerpt) from None
        finally:
            self.lines_read += newlines + (1 if open_line else 0)
        raise _RecordTooLargeError(start_line, size, excerpt)

    def excerpt_ahead(self) -> str:
        """Return up to ``RAW_EXCERPT_CHARS`` of the text not yet read (for a rejection)."""
        text = self._text[self._pos : self._pos + RAW_EXCERPT_CHARS]
        while len(text) < RAW_EXCERPT_CHARS and self._fill():
            text += self._text[: RAW_EXCERPT_CHARS - len(text)]
            self._pos = min(len(self._text), RAW_EXCERPT_CHARS)
        return text

    def _accept(self, line: str) -> str:
        self.lines_read += 1
        self._record_lines.append(line)
        self._record_chars += len(line)
        return line

    def _fill(self) -> bool:
        """Decode the next chunk into ``self._text``; return False at the end of the stream."""
        chunk = self._read_chunk()
        pending = len(self._decoder.getstate()[0])
        try:
            self._text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's pending bytes followed by this chunk.
            offset = self._bytes_fed - pending + exc.start
            line = self.lines_read + exc.object[: exc.start].count(b"\n") + 1
            raise InvalidUtf8Error(offset, line) from None
        self._bytes_fed += len(chunk)
        self._pos = 0
        return bool(chunk) or bool(self._text)

    def _read_chunk(self) -> bytes:
        if self._started:
            return self._stream.read(self._chunk_size)
        self._started = True
        head = _read_at_least(self._stream, len(_UTF8_BOM), self._chunk_size)
        if head.startswith(_UTF8_BOM):
            # Accept a leading BOM (Excel's "CSV UTF-8"): drop it so it does not end up in the
            # first column name. Offsets in error messages still count it.
            self._bytes_fed += len(_UTF8_BOM)
            # An empty remainder is not the end of the stream: read on.
            return head[len(_UTF8_BOM) :] or self._stream.read(self._chunk_size)
        return head


def _read_at_least(stream: BinaryReader, minimum: int, size: int) -> bytes:
    """Read one chunk, reading again until it holds ``minimum`` bytes or the stream ends."""
    data = stream.read(size)
    while data and len(data) < minimum:
        more = stream.read(size)
        if not more:
            break
        data += more
    return data


def _strip_terminator(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text


def read_csv_records(
    stream: BinaryReader,
    *,
    max_record_chars: int | None = None,
    chunk_size: int | None = None,
) -> Iterator[CsvRecord]:
    r"""Yield the CSV records of a UTF-8 byte stream, skipping blank lines.

    Args:
        stream: The body to read; it is read ``chunk_size`` bytes at a time, never whole.
        max_record_chars: Defaults to ``MAX_RECORD_CHARS``. A longer record is yielded with
            ``fields=None`` and an ``error``, and reading resumes after the record's end as
            csv's quoting rules place it, so text inside a quoted field is never read as a row.
            Where that end cannot be told (``csv_resync``), one record with an error stands for
            the rest of the object and reading stops.
        chunk_size: Bytes per read; defaults to ``READ_CHUNK_BYTES``.

    Raises:
        InvalidUtf8Error: On the first byte sequence that is not UTF-8 (a leading BOM is
            accepted and dropped).

    Example:
        >>> import io
        >>> [r.fields for r in read_csv_records(io.BytesIO(b'a,b\n"x,1",2\n'))]
        [['a', 'b'], ['x,1', '2']]
    """
    # Module constants are read per call (not bound as defaults) so tests can lower them.
    max_record_chars = max_record_chars or MAX_RECORD_CHARS
    chunk_size = chunk_size or READ_CHUNK_BYTES
    # csv's default field cap is 128 KiB; the record cap above is the limit that matters.
    if csv.field_size_limit() < max_record_chars:
        csv.field_size_limit(max_record_chars)
    source = _LineSource(stream, max_record_chars, chunk_size)
    reader = csv.reader(source)
    while True:
        source.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except _RecordTooLargeError as exc:
            yield CsvRecord(
                line=exc.line,
                raw=exc.excerpt,
                fields=None,
                error=(
                    f"row larger than {max_record_chars} characters ({exc.size} read before "
                    f"skipping to its end; raw holds the first {RAW_EXCERPT_CHARS})"
                ),
            )
            continue
        except _UnsynchronisedError as exc:
            yield _remainder_rejected(
                exc.line, f"a row larger than {max_record_chars} characters", exc.excerpt
            )
            return
        except csv.Error as exc:
            yield CsvRecord(
                line=source.record_start_line,
                raw=source.record_text(),
                fields=None,
                error=f"unparseable CSV: {exc}",
            )
            # csv resumes at the next line; that is only safe if the abandoned line does not end
            # inside a quoted field (see csv_resync).
            try:
                RecordEndScanner().feed(source.record_text(keep_terminator=True))
            except UnsynchronisableError:
                yield _remainder_rejected(
                    source.lines_read + 1,
                    f"the unparseable row at line {source.record_start_line}",
                    source.excerpt_ahead(),
                )
                return
            continue
        if len(fields) <= 1 and _is_blank(fields):
            continue
        yield CsvRecord(line=source.record_start_line, raw=source.record_text(), fields=fields)


def _remainder_rejected(line: int, after: str, raw: str) -> CsvRecord:
    """The one record that stands for the rest of an object that cannot be read record by record.

    Guessing where the next record starts could surface text from inside a quoted field as a
    row of its own (an invented order), so nothing after this point is parsed.
    """
    return CsvRecord(
        line=line,
        raw=raw,
        fields=None,
        error=(
            f"cannot tell where the next row starts after {after} (a quoted field may run on "
            f"past the end of its line): the rest of the object, from line {line}, is rejected "
            f"unread; raw holds up to its first {RAW_EXCERPT_CHARS} characters"
        ),
    )


def _is_blank(fields: list[str]) -> bool:
    """Return True for an empty or whitespace-only line: it holds no data, so it is not a row."""
    return len(fields) <= 1 and all(not field.strip() for field in fields)
