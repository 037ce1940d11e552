"""Dedupe by event_id: the earliest copy wins, across files; earlier runs' events stay single."""

from __future__ import annotations

import pytest
from curation import split_curated_quarantined
from event_dedupe import drop_already_curated
from raw_events import event, lines_frame
from raw_records import fields_from_json_lines

pytestmark = pytest.mark.spark


def curated_rows(spark, *files):
    """Curated rows of several files read together: {event_id: row}."""
    frames = [lines_frame(spark, records, source_file=name) for name, records in files]
    lines = frames[0]
    for frame in frames[1:]:
        lines = lines.unionByName(frame)
    curated, _ = split_curated_quarantined(fields_from_json_lines(lines))
    return {row["event_id"]: row for row in curated.collect()}


def test_earliest_ingested_copy_is_kept_across_files(spark):
    first = event(1, ingested_at="2024-05-01T10:05:00.000Z", page="/late-copy")
    retry = event(1, ingested_at="2024-05-01T10:00:30.000Z", page="/early-copy")
    rows = curated_rows(
        spark, ("file:///raw/a.json", [first, event(2)]), ("file:///raw/b.json", [retry])
    )
    assert sorted(rows) == [event(1)["event_id"], event(2)["event_id"]]
    assert rows[event(1)["event_id"]]["page"] == "/early-copy"


def test_identical_copies_collapse_to_one_whatever_file_holds_them(spark):
    copies = [event(3)] * 3
    rows = curated_rows(spark, ("file:///raw/b.json", copies), ("file:///raw/a.json", [event(3)]))
    assert list(rows) == [event(3)["event_id"]]


def test_ties_on_ingested_at_are_broken_by_source_file(spark):
    a = event(4, page="/from-a")
    b = event(4, page="/from-b")
    for _ in range(2):  # the same answer on every run, whatever the order of the input
        rows = curated_rows(spark, ("file:///raw/b.json", [b]), ("file:///raw/a.json", [a]))
        assert rows[event(4)["event_id"]]["page"] == "/from-a"


def test_an_invalid_copy_does_not_hide_a_valid_one(spark):
    broken = event(5, event_type="tap")
    lines = lines_frame(spark, [broken, event(5)])
    curated, quarantined = split_curated_quarantined(fields_from_json_lines(lines))
    assert [r["event_id"] for r in curated.collect()] == [event(5)["event_id"]]
    assert [r["reject_reason"] for r in quarantined.collect()] == ["unknown_event_type"]


def test_events_already_curated_are_left_out(spark):
    events = spark.createDataFrame([(f"e-{n}",) for n in range(5)], "event_id string")
    curated_before = spark.createDataFrame([("e-1",), ("e-3",), ("e-9",)], "event_id string")
    left = drop_already_curated(events, curated_before).collect()
    assert sorted(r["event_id"] for r in left) == ["e-0", "e-2", "e-4"]
