"""Read raw records into the job's "raw fields" frame: one string column per expected field.

Two readers feed the job and both end here, so every later step sees one shape:

- ``fields_from_json_lines``: the local path. Each line of a JSON Lines file, as text, parsed
  against the expected schema.
- ``fields_from_glue_records``: the Glue path. The records Glue's JSON reader produced (a
  DynamicFrame read with a bookmark, converted to a DataFrame after ``resolveChoice``).

The raw fields frame has, per record:

- one StringType column per field of ``event_schema.EXPECTED_FIELDS`` (renamed fields mapped
  back through ``COLUMN_ALIASES``); null when absent or JSON ``null``;
- ``wrong_type_fields``: the fields that held a JSON number, boolean, object or array where a
  string belongs (by their names in the record);
- ``malformed``: true when the line is not a JSON object at all;
- ``unexpected_fields``: names the contract does not know (a field added upstream);
- ``raw_record``: the record as it arrived, for the quarantine; ``source_file``: where from.

Types are checked per record, not per file or batch. Spark's JSON reader turns any JSON value
into its text when the schema says string (``42`` becomes ``"42"``), and its schema inference
widens a field whose type varies to string, so neither can tell ``"event_id": 42`` from
``"event_id": "42"``. So a line whose values could be the text of a non-string (``NON_STRING_TEXT``:
``"42"``, ``"true"``, ``"{...}"``) is parsed again, once per non-string JSON type (number,
boolean, object, array), to see which fields really hold one. The probes rely on Spark 3.4+'s
partial results for JSON (a field that does not fit the probe's type is null, the others still
parse), on by default in Spark 3.5; ``fields_from_json_lines`` refuses to run without them
rather than miss wrong types silently. Probing every line would be exact too, but each field
that does not fit a probe costs Spark an exception: 48,000 events took 17 s to parse instead
of 1.3 s (``bench/glue_incremental.py``'s data, warm session).
"""

from __future__ import annotations

from collections.abc import Sequence

from event_schema import COLUMN_ALIASES, EXPECTED_FIELDS, SOURCE_FIELDS
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DoubleType,
    MapType,
    StringType,
    StructField,
    StructType,
)

WRONG_TYPE_FIELDS = "wrong_type_fields"
MALFORMED = "malformed"
UNEXPECTED_FIELDS = "unexpected_fields"
RAW_RECORD = "raw_record"
SOURCE_FILE = "source_file"

RAW_FIELDS_COLUMNS = (
    *EXPECTED_FIELDS,
    WRONG_TYPE_FIELDS,
    MALFORMED,
    UNEXPECTED_FIELDS,
    RAW_RECORD,
    SOURCE_FILE,
)
"""The columns of the raw fields frame, in order."""

PARTIAL_RESULTS_CONF = "spark.sql.json.enablePartialResults"

GLUE_CHOICE_SUFFIXES = frozenset(
    {
        "string",
        "int",
        "long",
        "bigint",
        "short",
        "byte",
        "float",
        "double",
        "decimal",
        "boolean",
        "date",
        "timestamp",
        "struct",
        "array",
        "map",
        "null",
    }
)
"""Type names Glue appends to a field it splits with ``resolveChoice(choice="make_cols")``.

A field whose type differs between records is a "choice" in a DynamicFrame; ``make_cols`` turns
it into one column per type, ``columnA_int`` and ``columnA_string`` in the AWS docs' example.
"""

_CORRUPT = "_corrupt_record"
# Parsed with every field as a string: the values, and the raw line when it is not an object.
_STRING_SCHEMA = StructType(
    [StructField(name, StringType()) for name in SOURCE_FIELDS]
    + [StructField(_CORRUPT, StringType())]
)
# Strict JSON: a bare NaN or Infinity (which Jackson accepts by default) makes the line malformed.
_PARSE_OPTIONS = {"columnNameOfCorruptRecord": _CORRUPT, "allowNonNumericNumbers": "false"}
# One probe per JSON type a string field must not hold. A quoted "NaN" is a string: with
# allowNonNumericNumbers off, the number probe does not read it as a number.
_PROBE_TYPES: tuple[DataType, ...] = (
    DoubleType(),
    BooleanType(),
    MapType(StringType(), StringType()),
    ArrayType(StringType()),
)
_PROBE_OPTIONS = {"allowNonNumericNumbers": "false"}
_PARSED, _KEYS, _PROBE = "_parsed", "_keys", "_probe"

NON_STRING_TEXT = (
    r'^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|"?[-+]?(Infinity|INF|NaN)"?|[\[{].*[\]}])$'
)
"""What Spark makes of a JSON number, boolean, object or array when the schema says string.

A string value that does not match cannot have been anything but a string, so only records with
a matching value (``"42"``, ``"true"``, ``{...}``, or such a value written as a number) are
probed.
"""


def read_json_lines(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """Read files as lines of text: ``value`` (one line) and ``source_file`` (its file's URI)."""
    return spark.read.text(list(paths)).select(
        F.col("value"), F.input_file_name().alias(SOURCE_FILE)
    )


def fields_from_json_lines(lines: DataFrame) -> DataFrame:
    """Parse JSON Lines text into the raw fields frame.

    Args:
        lines: ``value`` (one line of a file) and ``source_file``, as ``read_json_lines`` gives.

    Blank lines are not records (a writer may leave one at the end of a file) and are skipped;
    every other line becomes one row, however broken.

    Raises:
        RuntimeError: The session has JSON partial results off, so wrong types would go unseen.
    """
    if lines.sparkSession.conf.get(PARTIAL_RESULTS_CONF, "true").lower() != "true":
        raise RuntimeError(f"{PARTIAL_RESULTS_CONF} must be true: wrong types would go unseen")
    value = F.col("value")
    parsed = F.col(_PARSED)
    # Step 1: one parse for the values, and the keys.
    step1 = lines.where(F.length(F.trim(value)) > 0).select(
        value,
        F.col(SOURCE_FILE),
        F.from_json(value, _STRING_SCHEMA, _PARSE_OPTIONS).alias(_PARSED),
        F.coalesce(F.json_object_keys(value), _no_strings()).alias(_KEYS),
    )
    # Step 2: the type probes, only for records with a value that could be a non-string's text.
    could_be_other = _any([parsed[name].rlike(NON_STRING_TEXT) for name in SOURCE_FIELDS])
    step2 = step1.select(
        "*",
        *(
            F.when(could_be_other, F.from_json(value, _probe_schema(kind), _PROBE_OPTIONS)).alias(
                f"{_PROBE}{index}"
            )
            for index, kind in enumerate(_PROBE_TYPES)
        ),
    )
    probes = [F.col(f"{_PROBE}{index}") for index in range(len(_PROBE_TYPES))]
    wrong_type = F.array_compact(
        F.array(
            *(
                F.when(_any([probe[name].isNotNull() for probe in probes]), F.lit(name))
                for name in SOURCE_FIELDS
            )
        )
    )
    malformed = parsed.isNull() | parsed[_CORRUPT].isNotNull()
    records = step2.select(
        *(parsed[name].alias(name) for name in SOURCE_FIELDS),
        F.when(malformed, _no_strings()).otherwise(wrong_type).alias(WRONG_TYPE_FIELDS),
        malformed.alias(MALFORMED),
        F.array_except(F.col(_KEYS), F.array(*map(F.lit, SOURCE_FIELDS))).alias(UNEXPECTED_FIELDS),
        value.alias(RAW_RECORD),
        F.col(SOURCE_FILE),
    )
    return resolve_aliases(records)


def fields_from_glue_records(records: DataFrame) -> DataFrame:
    """Turn the records Glue's JSON reader produced into the raw fields frame.

    Args:
        records: ``DynamicFrame.resolveChoice(choice="make_cols").toDF()``, plus a
            ``source_file`` column. A field may arrive as a string column, as a column of
            another type (every record of the run held, say, a number), or split by type
            (``event_id_string`` and ``event_id_long``); only string values are kept, any
            other non-null value marks the field as a wrong type for that record.

    Lines Glue could not parse never reach the DataFrame (they are the frame's error records,
    which ``job.py`` quarantines), so ``malformed`` is false here; and ``raw_record`` is the
    record as Glue parsed it, written back as JSON, not the line byte for byte.
    """
    types = {f.name: f.dataType for f in records.schema.fields if f.name != SOURCE_FILE}
    consumed: set[str] = set()
    texts: list[Column] = []
    wrong: list[Column] = []
    for name in SOURCE_FIELDS:
        variants = [name] if name in types else []
        variants += [
            column
            for column in types
            if column.startswith(f"{name}_")
            and column.removeprefix(f"{name}_") in GLUE_CHOICE_SUFFIXES
        ]
        consumed.update(variants)
        strings = [F.col(c) for c in variants if isinstance(types[c], StringType)]
        others = [F.col(c) for c in variants if not isinstance(types[c], StringType)]
        text = F.coalesce(*strings) if strings else F.lit(None).cast(StringType())
        texts.append(text.alias(name))
        wrong.append(F.when(_any([c.isNotNull() for c in others]), F.lit(name)))
    unexpected = sorted(set(types) - consumed)
    raw = F.to_json(F.struct(*map(F.col, types))) if types else F.lit("{}")
    source = F.col(SOURCE_FILE) if SOURCE_FILE in records.columns else F.lit(None)
    return resolve_aliases(
        records.select(
            *texts,
            F.array_compact(F.array(*wrong)).alias(WRONG_TYPE_FIELDS),
            F.lit(False).alias(MALFORMED),
            F.array(*map(F.lit, unexpected)).cast(ArrayType(StringType())).alias(UNEXPECTED_FIELDS),
            raw.alias(RAW_RECORD),
            source.cast(StringType()).alias(SOURCE_FILE),
        )
    )


def resolve_aliases(records: DataFrame) -> DataFrame:
    """Map renamed fields back to their current names (``COLUMN_ALIASES``), in column order.

    The current name wins when a record has both; the alias columns are dropped.

    Example:
        ``{"page_url": "/home"}`` and ``{"page": "/home"}`` both give ``page = "/home"``.
    """
    resolved = records
    for alias, name in COLUMN_ALIASES.items():
        resolved = resolved.withColumn(name, F.coalesce(F.col(name), F.col(alias)))
    return resolved.select(*RAW_FIELDS_COLUMNS)


def _no_strings() -> Column:
    """An empty ``array<string>`` (built per call: a Column needs an active SparkContext)."""
    return F.array().cast(ArrayType(StringType()))


def _probe_schema(kind: DataType) -> StructType:
    """Every source field declared as ``kind``."""
    return StructType([StructField(name, kind) for name in SOURCE_FIELDS])


def _any(conditions: Sequence[Column]) -> Column:
    """True when any condition is true; false for none (null counts as false)."""
    result = F.lit(False)
    for condition in conditions:
        result = result | F.coalesce(condition, F.lit(False))
    return result
