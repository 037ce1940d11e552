"""Find where a CSV record ends without parsing it: used to skip a record that cannot be parsed.

``csv.reader`` is given one physical line at a time and, after an error, simply resumes at the
next line. That is right for a record that ends on that line, but a record over the size cap, or
one ``csv`` gave up on, may be inside a quoted field that runs on for many lines: resuming at the
next line would surface the text inside the quotes as rows of their own. ``RecordEndScanner``
follows the same quoting rules as ``csv.reader`` (the default ``excel`` dialect, non-strict:
``"`` opens a quoted field only at the start of a field, ``""`` is a literal quote, a quoted field
may span lines) and reports where the record really ends, so the whole record is skipped as one.

It is linear in the text it is fed and fast on long fields: inside quotes it jumps from quote to
quote with ``str.find``, outside them from delimiter to delimiter with one regular expression.

When ``csv`` itself failed (a bare carriage return in an unquoted field) it drops the rest of
that line and resumes at the next. The error was outside quotes, so that is right if the rest of
the line holds no ``"``; if it holds one, it may have been meant to open a field that runs on
(or the damage shifted which quotes pair up). That cannot be decided, so the scanner raises
``UnsynchronisableError`` and the caller rejects the remainder of the object rather than guess.
"""

from __future__ import annotations

import re
from enum import Enum, auto

_UNQUOTED_STOP = re.compile(r"[,\r\n]")
"""What ends or interrupts an unquoted field; a ``"`` inside one is literal (csv, non-strict)."""

_QUOTE_OR_NEWLINE = re.compile(r'["\n]')


class UnsynchronisableError(Exception):
    """A line csv abandoned holds a quote: where the next record starts cannot be told."""


class _State(Enum):
    FIELD_START = auto()
    UNQUOTED = auto()
    QUOTED = auto()
    QUOTE_IN_QUOTED = auto()  # a '"' inside a quoted field: closing quote or first of '""'
    CARRIAGE_RETURN = auto()  # '\r' outside quotes: only '\n' may follow


class RecordEndScanner:
    r"""Track csv's quote state from the start of a record over text fed piece by piece.

    Example:
        >>> scanner = RecordEndScanner()
        >>> scanner.feed('x,"a\n')  # the quoted field runs on: the record has not ended
        >>> scanner.feed('b\nc",1\nnext,row\n')  # ends after '1\n', at index 7
        7
    """

    def __init__(self) -> None:
        self._state = _State.FIELD_START
        self._after_error = False  # csv raised on this line and drops the rest of it

    @property
    def in_quotes(self) -> bool:
        """True while inside a quoted field (the record runs on past a newline)."""
        return self._state in (_State.QUOTED, _State.QUOTE_IN_QUOTED)

    def feed(self, text: str, pos: int = 0) -> int | None:
        """Advance over ``text[pos:]``; return the index just past the record's final newline.

        Returns:
            The end index within ``text``, or ``None`` if the record continues past ``text``.

        Raises:
            UnsynchronisableError: A line ``csv`` abandons on an error holds a ``"`` after it.
        """
        end = len(text)
        while pos < end:
            state = self._state
            if state is _State.QUOTED:
                found = text.find('"', pos)
                if found == -1:
                    return None
                pos = found + 1
                self._state = _State.QUOTE_IN_QUOTED
                continue
            if self._after_error:
                match = _QUOTE_OR_NEWLINE.search(text, pos)
                if match is None:
                    return None
                if match.group() == '"':
                    raise UnsynchronisableError
                return match.end()
            if state is _State.UNQUOTED:
                match = _UNQUOTED_STOP.search(text, pos)
                if match is None:
                    return None
                pos = match.start()
                self._state = _State.FIELD_START  # the stop character is handled there
                state = _State.FIELD_START
            char = text[pos]
            if state is _State.CARRIAGE_RETURN:
                if char == "\n":
                    return pos + 1
                # csv raises "new-line character seen in unquoted field" here and drops the rest
                # of the line. The error was outside quotes, so the next line starts a record,
                # unless a quote on the rest of this line was meant to open a field that runs on:
                # whether it was cannot be told (the damage may have shifted every quote).
                self._after_error = True
                continue
            if state is _State.QUOTE_IN_QUOTED and char == '"':
                self._state = _State.QUOTED  # '""': a literal quote
                pos += 1
                continue
            # FIELD_START, or just after a closing quote: the same characters end the field.
            if char == "\n":
                return pos + 1
            if char == "\r":
                self._state = _State.CARRIAGE_RETURN
            elif char == ",":
                self._state = _State.FIELD_START
            elif char == '"' and state is _State.FIELD_START:
                self._state = _State.QUOTED
            else:
                # Ordinary text (after a closing quote, non-strict csv appends it unquoted).
                self._state = _State.UNQUOTED
                continue
            pos += 1
        return None
