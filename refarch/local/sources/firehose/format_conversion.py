"""Record format conversion: JSON records to Parquet, with the columns of a Glue table.

Firehose reads the table named in ``SchemaConfiguration`` with that configuration's role
(``glue:GetTable``/``GetTableVersion(s)``), deserializes each record with the OpenX or Hive JSON
SerDe and writes the table's columns (not its partition keys) with the Parquet SerDe. A record
that cannot be deserialized into the columns goes to the error prefix as
``format-conversion-failed``. The runner writes Parquet with pyarrow and supports the Hive
primitive types; a column of another type stops the run with its name.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from refarch.local.errors import LocalRunnerError
from refarch.local.sources.firehose.configuration import FormatConversion
from refarch.local.sources.firehose.date_patterns import pattern_parts

_INTEGERS = {"tinyint": 8, "smallint": 16, "int": 32, "integer": 32, "bigint": 64}
_STRINGS = re.compile(r"^(string|varchar(\(\d+\))?|char(\(\d+\))?)$")
#: ParquetSerDe.Compression -> pyarrow codec.
_CODECS = {"SNAPPY": "snappy", "GZIP": "gzip", "UNCOMPRESSED": "none"}


class ConversionError(Exception):
    """One record cannot be deserialized into the table's columns."""


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # loads the parquet module onto pyarrow
    except ImportError as exc:  # pragma: no cover - pyarrow is a dev dependency
        raise LocalRunnerError(
            "the delivery stream converts records to Parquet, which needs pyarrow; install it"
        ) from exc
    return pyarrow


@dataclass(frozen=True)
class Column:
    """A column of the Glue table."""

    name: str
    hive_type: str


def columns_of(table: Mapping[str, Any]) -> list[Column]:
    """Return a ``GetTable`` result's data columns; refuse a type the runner cannot write."""
    found = [
        Column(c["Name"], c["Type"].lower())
        for c in table.get("StorageDescriptor", {}).get("Columns", [])
    ]
    for column in found:
        supported = (
            column.hive_type in _INTEGERS
            or _STRINGS.match(column.hive_type)
            or column.hive_type in ("float", "double", "boolean", "timestamp", "date")
        )
        if not supported:
            raise LocalRunnerError(
                f"Glue column {column.name} has type {column.hive_type}, which the local "
                "runner's Parquet conversion does not write"
            )
    return found


#: Joda-Time pattern letters the runner parses, as regular expressions.
_JODA = {
    "y": r"\d{4}",
    "M": r"\d{1,2}",
    "d": r"\d{1,2}",
    "H": r"\d{1,2}",
    "m": r"\d{1,2}",
    "s": r"\d{1,2}",
    "S": r"\d{1,9}",
}


@functools.cache
def _joda_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Joda-Time pattern (``yyyy-MM-dd'T'HH:mm:ss.SSSZZ``) into a regex with groups."""
    parts: list[str] = []
    for part in pattern_parts(pattern):
        char = part.letter
        if char is None:
            parts.append(re.escape(part.text))
        elif char in _JODA:
            parts.append(f"(?P<{char}>{_JODA[char]})")
        elif char == "Z":
            # Z: +0100; ZZ: +01:00; both accept "Z" for UTC.
            parts.append(r"(?P<Z>Z|[+-]\d{2}:?\d{2})")
        else:
            raise LocalRunnerError(
                f"TimestampFormats pattern {pattern!r}: letter {char!r} is not supported by the "
                "local runner (it parses y, M, d, H, m, s, S and Z)"
            )
    return re.compile("".join(parts))


def check_timestamp_formats(formats: Sequence[str]) -> None:
    """Refuse, at deploy, a ``TimestampFormats`` pattern the runner cannot parse.

    Raises:
        LocalRunnerError: The pattern uses a letter other than y, M, d, H, m, s, S, Z.
    """
    for pattern in formats:
        if pattern != "millis":
            _joda_regex(pattern)


def _parse_joda(value: str, pattern: str) -> datetime | None:
    match = _joda_regex(pattern).fullmatch(value)
    if match is None:
        return None
    fields = match.groupdict()
    fraction = (fields.get("S") or "0").ljust(6, "0")[:6]
    zone = fields.get("Z") or "Z"
    offset = UTC if zone == "Z" else datetime.strptime(zone.replace(":", ""), "%z").tzinfo
    return datetime(
        int(fields.get("y") or 1970),
        int(fields.get("M") or 1),
        int(fields.get("d") or 1),
        int(fields.get("H") or 0),
        int(fields.get("m") or 0),
        int(fields.get("s") or 0),
        int(fraction),
        tzinfo=offset,
    )


def _timestamp(value: Any, formats: Sequence[str] = ()) -> datetime:
    for pattern in formats:
        if pattern == "millis" and isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)
        if pattern != "millis" and isinstance(value, str):
            parsed = _parse_joda(value, pattern)
            if parsed is not None:
                return parsed
    if formats:
        raise ValueError(f"{value!r} matches none of the TimestampFormats {list(formats)}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 1e11 else value  # epoch millis or seconds
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValueError(f"{value!r} is not a timestamp")


def _convert(value: Any, hive_type: str, formats: Sequence[str] = ()) -> Any:
    if value is None:
        return None
    if hive_type in _INTEGERS:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"{value!r} is not an integer")
        number = int(value)
        bits = _INTEGERS[hive_type]
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise ValueError(f"{number} does not fit {hive_type}")
        return number
    if hive_type in ("float", "double"):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if hive_type == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise ValueError(f"{value!r} is not a boolean")
    if hive_type == "timestamp":
        return _timestamp(value, formats)
    if hive_type == "date":
        return date.fromisoformat(str(value)[:10])
    return value if isinstance(value, str) else json.dumps(value)


def to_row(data: bytes, columns: Sequence[Column], conversion: FormatConversion) -> dict[str, Any]:
    """Deserialize one record's JSON into a row of the table's columns.

    Raises:
        ConversionError: The record is not a JSON object, or a value does not fit its column.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConversionError(f"the record is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ConversionError("the record is not a JSON object")
    if conversion.case_insensitive:
        document = {str(key).lower(): value for key, value in document.items()}
    row = {}
    for column in columns:
        key = conversion.column_to_json_key.get(column.name, column.name)
        value = document.get(key.lower() if conversion.case_insensitive else key)
        try:
            row[column.name] = _convert(value, column.hive_type, conversion.timestamp_formats)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ConversionError(f"column {column.name} ({column.hive_type}): {exc}") from exc
    return row


def _arrow_type(pa: Any, hive_type: str) -> Any:
    if hive_type in _INTEGERS:
        return getattr(pa, f"int{_INTEGERS[hive_type]}")()
    if hive_type == "float":
        return pa.float32()
    if hive_type == "double":
        return pa.float64()
    if hive_type == "boolean":
        return pa.bool_()
    if hive_type == "timestamp":
        return pa.timestamp("ms", tz="UTC")
    if hive_type == "date":
        return pa.date32()
    return pa.string()


def parquet_object(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], conversion: FormatConversion
) -> bytes:
    """Write rows as one Parquet file with the ParquetSerDe's settings."""
    pa = _pyarrow()
    schema = pa.schema([(c.name, _arrow_type(pa, c.hive_type)) for c in columns])
    table = pa.Table.from_pylist([dict(row) for row in rows], schema=schema)
    serde = conversion.parquet
    options: dict[str, Any] = {
        "compression": _CODECS[serde.get("Compression", "SNAPPY")],
        "use_dictionary": serde.get("EnableDictionaryCompression", True),
        # WriterVersion V1 (default) or V2 is Parquet's data page format.
        "data_page_version": "2.0" if serde.get("WriterVersion") == "V2" else "1.0",
    }
    if "PageSizeBytes" in serde:
        options["data_page_size"] = int(serde["PageSizeBytes"])
    buffer = io.BytesIO()
    pa.parquet.write_table(table, buffer, **options)
    return buffer.getvalue()
