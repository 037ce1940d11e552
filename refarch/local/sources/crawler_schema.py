"""The schema a Glue crawler infers from JSON files, how schemas merge, and when folders group.

- **Inference** (the built-in JSON classifier, AWS docs "Built-in classifiers",
  https://docs.aws.amazon.com/glue/latest/dg/add-classifier.html#classifier-built-in): each JSON
  object is a row; its fields become columns with Hive type names: ``string``, ``boolean``,
  ``int`` / ``bigint`` (integers within / beyond 32 bits), ``double``, ``struct<…>`` for objects
  and ``array<…>`` for lists. A line that is not a JSON object is not a row (the classifier
  skips what it cannot parse; the count is reported).
- **Merging** the schemas of files into one table: the union of their fields, in the order they
  are first seen; a field whose types differ takes the wider numeric type, else ``string``.
- **Grouping**: with ``TableGroupingPolicy: CombineCompatibleSchemas`` every compatible file (one
  format, here JSON) lands in one table (AWS docs, "Setting crawler configuration options",
  https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html). Without it, the
  crawler makes one table of the folders only when their schemas are similar: a partition
  threshold above 0.7 and at most five different schemas ("clusters") — stated in the AWS
  Knowledge Center article "How does the AWS Glue crawler detect the schema?"
  (https://repost.aws/knowledge-center/glue-crawler-detect-schema), not in the service guide,
  which says only that folders become partitions "when the majority of schemas at a folder level
  are similar" (https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html).
  ``similar_enough`` reads the threshold as the share of folders in the largest cluster of
  identical schemas, an interpretation: Glue does not publish its similarity measure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: A schema: field name -> Hive type name, in the order fields were first seen.
Schema = dict[str, str]

INT_MAX = 2**31 - 1
#: Numeric types, narrowest first: a field seen with two of them takes the wider.
NUMERIC = ("int", "bigint", "double")
#: The Knowledge Center article's numbers (see the module docstring).
PARTITION_THRESHOLD = 0.7
MAX_CLUSTERS = 5


def hive_type(value: object) -> str | None:
    """The Hive type name of a JSON value (None for ``null``: no evidence of a type)."""
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "boolean"
    if isinstance(value, int):
        return "int" if -INT_MAX - 1 <= value <= INT_MAX else "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return struct_type(object_schema(value))
    if isinstance(value, list):
        element: str | None = None
        for item in value:
            element = merge_types(element, hive_type(item))
        return f"array<{element or 'string'}>"
    return None


def struct_type(schema: Mapping[str, str]) -> str:
    """``struct<a:string,b:int>`` for a schema."""
    return "struct<" + ",".join(f"{name}:{kind}" for name, kind in schema.items()) + ">"


def _split_top(body: str) -> list[str]:
    """Split ``a:string,b:struct<c:int,d:int>`` at its top-level commas."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(body):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(body[start:index])
            start = index + 1
    parts.append(body[start:])
    return [p for p in parts if p]


def _struct_fields(kind: str) -> Schema:
    """The fields of a ``struct<…>`` type, as a schema."""
    fields: Schema = {}
    for part in _split_top(kind[len("struct<") : -1]):
        name, _, member = part.partition(":")
        fields[name] = member
    return fields


def merge_types(left: str | None, right: str | None) -> str | None:
    """The type of a field seen with both types (numeric widening, struct union, else string)."""
    if left is None or left == right:
        return right if left is None else left
    if right is None:
        return left
    if left in NUMERIC and right in NUMERIC:
        return max(left, right, key=NUMERIC.index)
    if left.startswith("struct<") and right.startswith("struct<"):
        return struct_type(merge_schemas([_struct_fields(left), _struct_fields(right)]))
    if left.startswith("array<") and right.startswith("array<"):
        return f"array<{merge_types(left[6:-1], right[6:-1])}>"
    return "string"


def object_schema(record: Mapping[str, object]) -> Schema:
    """The schema of one JSON object (fields whose value is ``null`` carry no type yet)."""
    schema: Schema = {}
    for name, value in record.items():
        kind = hive_type(value)
        schema[name] = kind if kind is not None else ""
    return schema


def merge_schemas(schemas: Iterable[Mapping[str, str]]) -> Schema:
    """The union of schemas, fields in first-seen order, conflicting types merged."""
    merged: Schema = {}
    for schema in schemas:
        for name, kind in schema.items():
            merged[name] = merge_types(merged.get(name) or None, kind or None) or ""
    return merged


def finished(schema: Mapping[str, str]) -> Schema:
    """A schema with every field typed: a field only ever ``null`` is a ``string``."""
    return {name: kind or "string" for name, kind in schema.items()}


@dataclass
class FileSchema:
    """What the JSON classifier found in one file."""

    schema: Schema = field(default_factory=dict)
    rows: int = 0
    skipped_lines: int = 0
    """Non-empty lines that are not a JSON object (malformed, or another JSON value)."""

    @property
    def classified(self) -> bool:
        """True if the file is JSON: at least one line is a JSON object."""
        return self.rows > 0


def infer_json(body: bytes) -> FileSchema:
    """Infer a JSON Lines file's schema: every object line is a row; the rest is skipped."""
    result = FileSchema()
    for line in body.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            result.skipped_lines += 1
            continue
        if not isinstance(record, dict):
            result.skipped_lines += 1
            continue
        result.rows += 1
        result.schema = merge_schemas([result.schema, object_schema(record)])
    return result


def schema_changes(table: Mapping[str, str], found: Mapping[str, str]) -> list[str]:
    """How ``found`` differs from the table's columns: added columns and changed types."""
    changes = [f"new column {name} {kind}" for name, kind in found.items() if name not in table]
    changes += [
        f"column {name} {table[name]} -> {kind}"
        for name, kind in found.items()
        if name in table and not _covers(table[name], kind)
    ]
    return changes


def _covers(column: str, found: str) -> bool:
    """True if a column of type ``column`` holds ``found`` values as they are (a wider number)."""
    if column in NUMERIC and found in NUMERIC:
        return NUMERIC.index(column) >= NUMERIC.index(found)
    return column == found


def similar_enough(folder_schemas: Iterable[Mapping[str, str]]) -> bool:
    """Return True if the default grouping makes one table of these folders (70% / 5 rule).

    Example:
        >>> a, b = {"x": "int"}, {"y": "string"}
        >>> similar_enough([a] * 8 + [b] * 2), similar_enough([a] * 6 + [b] * 4)
        (True, False)
    """
    clusters = Counter(tuple(sorted(schema.items())) for schema in folder_schemas)
    total = sum(clusters.values())
    if total == 0:
        return True
    largest = clusters.most_common(1)[0][1]
    return largest / total > PARTITION_THRESHOLD and len(clusters) <= MAX_CLUSTERS
