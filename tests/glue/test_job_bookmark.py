"""The local job bookmark: new or changed files only, committed atomically. Pure Python."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from job_bookmark import FileBookmark, InputFile, glob_regex, list_input_files


def touch(path, text="{}\n", mtime_ns=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def test_listing_is_recursive_sorted_and_skips_hidden_and_marker_files(tmp_path):
    touch(tmp_path / "ingest_date=2024-05-02" / "b.json")
    touch(tmp_path / "ingest_date=2024-05-01" / "a.json")
    touch(tmp_path / "_SUCCESS")
    touch(tmp_path / ".a.json.crc")
    touch(tmp_path / "_temporary" / "0" / "part.json")
    listed = [os.path.relpath(f.path, tmp_path) for f in list_input_files(tmp_path)]
    assert listed == ["ingest_date=2024-05-01/a.json", "ingest_date=2024-05-02/b.json"]


def test_only_files_not_yet_processed_are_returned(tmp_path):
    old = touch(tmp_path / "a.json")
    bookmark = FileBookmark().with_processed(list_input_files(tmp_path))
    new = touch(tmp_path / "b.json")
    assert [f.path for f in bookmark.unprocessed(list_input_files(tmp_path))] == [str(new)]
    assert str(old) not in {f.path for f in bookmark.unprocessed(list_input_files(tmp_path))}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"text": '{}\n{"more": 1}\n'}, id="appended"),
        pytest.param({"mtime_ns": 2_000_000_000_000_000_000}, id="touched"),
    ],
)
def test_a_changed_file_is_processed_again(tmp_path, change):
    # Glue's S3 bookmark compares last-modified times: a modified object is read again.
    path = touch(tmp_path / "a.json", mtime_ns=1_000_000_000_000_000_000)
    bookmark = FileBookmark().with_processed(list_input_files(tmp_path))
    touch(path, **{"text": "{}\n", **change})
    assert [f.path for f in bookmark.unprocessed(list_input_files(tmp_path))] == [str(path)]


def test_bookmark_survives_a_save_and_load(tmp_path):
    files = [InputFile("/raw/a.json", 1, 10), InputFile("/raw/b.json", 2, 20)]
    target = tmp_path / "state" / "bookmark.json"
    FileBookmark().with_processed(files).save(target)
    loaded = FileBookmark.load(target)
    assert len(loaded) == 2
    assert loaded.unprocessed(files) == []
    assert loaded.unprocessed([InputFile("/raw/a.json", 1, 11)]) == [
        InputFile("/raw/a.json", 1, 11)
    ]
    assert [p.name for p in target.parent.iterdir()] == ["bookmark.json"]  # no staging file left


def test_a_missing_bookmark_is_an_empty_one(tmp_path):
    assert len(FileBookmark.load(tmp_path / "absent.json")) == 0


def test_with_processed_leaves_the_original_unchanged():
    empty = FileBookmark()
    empty.with_processed([InputFile("/raw/a.json", 1, 10)])
    assert len(empty) == 0


def test_an_unknown_bookmark_format_is_refused(tmp_path):
    target = tmp_path / "bookmark.json"
    target.write_text(json.dumps({"version": 99, "processed": {}}))
    with pytest.raises(ValueError, match="unknown bookmark format"):
        FileBookmark.load(target)


@pytest.mark.parametrize(
    ("pattern", "path", "excluded"),
    [
        ("**.metadata", "run.metadata", True),
        ("**.metadata", "2024/05/01/run.metadata", True),
        ("**.manifest", "batch-1/unload.manifest", True),
        ("**.manifest", "batch-1/events.json", False),
        ("_temporary/**", "_temporary/0/part-0.json", True),
        ("**/_temporary/**", "batch-1/_temporary/0/part-0.json", True),
        ("*.json", "batch-1/events.json", False),  # one `*` stays within a folder name
        ("*.json", "events.json", True),
        ("batch-?/*.json", "batch-1/events.json", True),
        ("batch-?/*.json", "batch-10/events.json", False),
    ],
)
def test_exclusion_globs_follow_glues_syntax(pattern, path, excluded):
    assert bool(glob_regex(pattern).fullmatch(path)) is excluded


def test_listing_leaves_out_files_matching_the_exclusions(tmp_path):
    for name in ("batch-1/events.json", "batch-1/unload.manifest", "run.metadata", "b.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")

    listed = list_input_files(tmp_path, ["**.manifest", "**.metadata"])

    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in listed] == [
        "b.json",
        "batch-1/events.json",
    ]
