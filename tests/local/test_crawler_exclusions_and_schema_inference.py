"""The crawler's rules on their own: exclude globs, partition folders, JSON schemas, grouping."""

import json

import pytest

from refarch.constructs.s3_crawler import DEFAULT_EXCLUSIONS
from refarch.local.sources.crawler_paths import is_excluded, partition_folder
from refarch.local.sources.crawler_schema import (
    finished,
    infer_json,
    merge_schemas,
    schema_changes,
    similar_enough,
)


@pytest.mark.parametrize(
    ("key", "excluded"),
    [
        ("batch-0001/events-a.json", False),
        ("batch-0001/unload.manifest", True),
        ("batch-0001/query.metadata", True),
        ("batch-0001/_temporary/0/part-00000.json", True),
        ("_temporary/0/part-00000.json", True),
        ("batch-0001/_SUCCESS", True),
        ("batch-0001/part-0.json.crc", True),
        ("batch-0001_$folder$", True),
        ("batch-0001/not_temporary.json", False),
    ],
)
def test_the_stacks_exclusions_skip_markers_and_metadata_at_any_depth(key, excluded):
    assert is_excluded(key, DEFAULT_EXCLUSIONS) is excluded


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        # '*' stays within one name; '**' crosses folders (AWS docs: include and exclude patterns).
        ("*.csv", "a.csv", True),
        ("*.csv", "x/a.csv", False),
        ("**.csv", "x/y/a.csv", True),
        ("x/**", "x/y/a.json", True),
        ("?.json", "a.json", True),
        ("?.json", "ab.json", False),
        ("[a-c].json", "b.json", True),
        ("[!a-c].json", "b.json", False),
        ("{2015,2016}/**", "2016/01/a.json", True),
        ("{2015,2016}/**", "2017/01/a.json", False),
        ("\\*.json", "*.json", True),
        ("\\*.json", "a.json", False),
        (".*", ".hidden", True),
    ],
)
def test_glue_glob_semantics(pattern, key, matches):
    assert is_excluded(key, [pattern]) is matches


def test_hive_style_folders_name_their_keys_and_other_levels_are_numbered():
    folder = partition_folder("year=2024/batch-7/")
    assert folder.keys == ("year", "partition_1")
    assert folder.values == ("2024", "batch-7")
    assert partition_folder("").keys == ()


def test_json_lines_give_hive_types_and_malformed_lines_are_skipped():
    lines = [
        json.dumps({"id": "a", "n": 1, "big": 2**40, "x": 1.5, "ok": True, "tags": ["t"]}),
        json.dumps({"id": "b", "nested": {"k": 1}, "gone": None}),
        '{"id": "broken"',
        "[1, 2]",
    ]
    found = infer_json("\n".join(lines).encode())
    assert found.rows == 2
    assert found.skipped_lines == 2
    assert finished(found.schema) == {
        "id": "string",
        "n": "int",
        "big": "bigint",
        "x": "double",
        "ok": "boolean",
        "tags": "array<string>",
        "nested": "struct<k:int>",
        "gone": "string",
    }


def test_merging_widens_numbers_unions_structs_and_falls_back_to_string():
    merged = merge_schemas(
        [
            {"n": "int", "s": "struct<a:int>", "v": "int"},
            {"n": "double", "s": "struct<b:string>", "v": "boolean", "new": "string"},
        ]
    )
    assert merged == {
        "n": "double",
        "s": "struct<a:int,b:string>",
        "v": "string",
        "new": "string",
    }


def test_schema_changes_name_added_columns_and_widened_types():
    table = {"id": "string", "n": "int"}
    assert schema_changes(table, {"id": "string", "n": "int"}) == []
    assert schema_changes(table, {"id": "string", "n": "double", "referrer": "string"}) == [
        "new column referrer string",
        "column n int -> double",
    ]
    assert schema_changes({"n": "double"}, {"n": "int"}) == []
    assert schema_changes(table, {"id": "struct<a:int>"}) == ["column id string -> struct<a:int>"]


def test_the_similarity_rule_needs_over_70_percent_alike_and_at_most_five_schemas():
    # The Knowledge Center article's rule: 8 of 10 folders alike (80%) make one table; 6 of 10
    # (60%) do not; nor do six different schemas, however alike the largest group.
    a, b = {"x": "int"}, {"y": "string"}
    assert similar_enough([a] * 8 + [b] * 2)
    assert not similar_enough([a] * 6 + [b] * 4)
    others = [{f"f{i}": "int"} for i in range(5)]
    assert not similar_enough([a] * 95 + others)
