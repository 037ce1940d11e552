"""The job end to end on local Spark: partitions on disk, nothing lost, incremental runs, pruning.

One scenario, run once for the module: run 1 reads two raw files (three days of events, bad
rows of every kind, duplicates within and across files); a third file then lands and run 2
reads it alone; run 3 finds nothing new.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from curated_dataset import read_curated, read_quarantine
from local_run import run_local
from pyspark.sql import functions as F
from quality_rules import (
    EVENT_TIME_OUT_OF_RANGE,
    MALFORMED_JSON,
    MISSING_EVENT_ID,
    MISSING_USER_KEY,
    UNKNOWN_EVENT_TYPE,
    UNPARSEABLE_EVENT_TIME,
    UNPARSEABLE_INGESTED_AT,
    WRONG_TYPE,
)
from raw_events import encode, event, write_lines
from run_report import RunReport
from scan_metrics import scan_stats

pytestmark = pytest.mark.spark

BAD_ROWS = {
    MALFORMED_JSON: ['{"event_id":"broken"', "not json at all"],
    WRONG_TYPE: [event(900, event_id=900)],
    MISSING_EVENT_ID: [event(901, event_id=None)],
    UNKNOWN_EVENT_TYPE: [event(902, event_type="scroll")],
    UNPARSEABLE_EVENT_TIME: [event(903, event_time="2024-05-01 10:00")],
    UNPARSEABLE_INGESTED_AT: [event(904, ingested_at=None)],
    EVENT_TIME_OUT_OF_RANGE: [event(905, event_time="1970-01-01T00:00:00.000Z")],
    MISSING_USER_KEY: [event(906, user_key=" ")],
}
# Producer retries: the same event again, ingested later (kept: the earliest copy).
RETRIES = [event(n, ingested_at="2024-05-01T23:00:00.000Z") for n in (1, 2, 3)]


@dataclass
class Scenario:
    """The folders of one local job and what each run reported."""

    root: Path
    raw: Path
    curated: Path
    quarantine: Path
    bookmark: Path
    first_lines: list[str]
    second_lines: list[str]
    run1: RunReport
    run2: RunReport
    run3: RunReport

    def parquet_files(self, under: Path | None = None) -> list[Path]:
        return sorted((under or self.curated).rglob("*.parquet"))


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("job")
    raw, curated, quarantine = root / "raw", root / "curated", root / "quarantine"
    bookmark = root / "state" / "bookmark.json"
    bad = [record for records in BAD_ROWS.values() for record in records]
    # File 1: day 0 and day 1, the bad rows, and retries of three of its own events.
    file1 = [event(n) for n in range(40)] + [event(n, day=1) for n in range(20)] + bad + RETRIES
    # File 2: day 2, plus two retries of file-1 events that were ingested *earlier* (kept).
    early_copies = [
        event(n, ingested_at="2024-05-01T10:00:00.000Z", page="/early") for n in (10, 11)
    ]
    file2 = [event(n, day=2) for n in range(15)] + early_copies + [""]  # a trailing blank line
    write_lines(raw / "ingest_date=2024-05-01" / "part-0001.json", file1)
    write_lines(raw / "ingest_date=2024-05-01" / "part-0002.json", file2)
    (raw / "_SUCCESS").write_text("")
    run1 = run_local(raw, curated, quarantine, bookmark, spark)
    # File 3, new: day 2 and day 3, renamed column, retries of curated events, one bad row.
    renamed = [event(n, day=3, page=None, page_url=f"/new/{n}") for n in range(10)]
    late_retries = [event(n, ingested_at="2024-05-02T08:00:00.000Z") for n in (20, 21)]
    file3 = [event(n, day=2) for n in range(15, 25)] + renamed + late_retries
    file3 += [event(907, event_type="Purchase")]
    write_lines(raw / "ingest_date=2024-05-02" / "part-0003.json", file3)
    run2 = run_local(raw, curated, quarantine, bookmark, spark)
    run3 = run_local(raw, curated, quarantine, bookmark, spark)
    return Scenario(
        root=root,
        raw=raw,
        curated=curated,
        quarantine=quarantine,
        bookmark=bookmark,
        first_lines=[encode(r) for r in file1 + file2 if r != ""],
        second_lines=[encode(r) for r in file3],
        run1=run1,
        run2=run2,
        run3=run3,
    )


def test_output_is_hive_partitioned_snappy_parquet(scenario):
    days = sorted(
        p.relative_to(scenario.curated).as_posix() for p in scenario.curated.glob("*/*/*")
    )
    assert days == [f"year=2024/month=05/day=0{d}" for d in (1, 2, 3, 4)]
    assert scenario.run1.partitions_written == tuple(
        f"year=2024/month=05/day=0{d}" for d in (1, 2, 3)
    )
    # Run 2's retries of day-1 events were curated already: day 1 gets no new file.
    assert scenario.run2.partitions_written == (
        "year=2024/month=05/day=03",
        "year=2024/month=05/day=04",
    )
    for path in scenario.parquet_files():
        assert path.name.endswith(".snappy.parquet")
        metadata = pq.ParquetFile(path).metadata
        assert metadata.row_group(0).column(0).compression == "SNAPPY"
        # The partition values live in the path only, not repeated in the files.
        assert "year" not in pq.ParquetFile(path).schema_arrow.names


def test_every_row_read_is_curated_quarantined_or_a_removed_copy(spark, scenario):
    lines_in = len(scenario.first_lines) + len(scenario.second_lines)
    curated_rows = read_curated(spark, str(scenario.curated)).count()
    quarantined_rows = read_quarantine(spark, str(scenario.quarantine)).count()
    copies = len(RETRIES) + 2 + 2  # within file 1, file 2 vs file 1, file 3 vs earlier runs
    assert curated_rows + quarantined_rows + copies == lines_in
    for report in (scenario.run1, scenario.run2):
        assert report.rows_accounted_for == report.rows_read
    assert scenario.run1.rows_curated + scenario.run2.rows_curated == curated_rows
    assert scenario.run1.duplicates_removed + scenario.run2.duplicates_removed == copies


def test_bad_rows_are_quarantined_verbatim_with_their_reason(spark, scenario):
    expected = Counter({reason: len(records) for reason, records in BAD_ROWS.items()})
    assert Counter(scenario.run1.rows_quarantined) == expected
    assert scenario.run2.rows_quarantined == {UNKNOWN_EVENT_TYPE: 1}
    folders = sorted(p.name for p in scenario.quarantine.iterdir() if p.is_dir())
    assert folders == sorted(f"reject_reason={reason}" for reason in BAD_ROWS)
    quarantined = read_quarantine(spark, str(scenario.quarantine)).collect()
    by_line = {row["raw_record"]: row for row in quarantined}
    for reason, records in BAD_ROWS.items():
        for record in records:
            row = by_line[encode(record)]
            assert row["reject_reason"] == reason
            assert row["reject_detail"]
            assert row["source_file"].endswith("ingest_date=2024-05-01/part-0001.json")


def test_second_run_reads_only_the_new_file(scenario):
    assert scenario.run1.files_read == 2
    assert scenario.run1.rows_read == len(scenario.first_lines)
    assert scenario.run2.files_read == 1
    assert scenario.run2.rows_read == len(scenario.second_lines)


def test_a_run_with_no_new_files_reads_and_writes_nothing(scenario):
    assert scenario.run3 == RunReport()


def test_the_earliest_copy_of_an_event_is_kept_across_files(spark, scenario):
    curated = read_curated(spark, str(scenario.curated))
    ids = [event(n)["event_id"] for n in (1, 10, 11)]
    rows = {r["event_id"]: r for r in curated.where(F.col("event_id").isin(ids)).collect()}
    assert rows[ids[0]]["ingested_at"].isoformat() == "2024-05-01T10:00:03"  # not the 23:00 retry
    assert rows[ids[1]]["page"] == rows[ids[2]]["page"] == "/early"


def test_events_curated_by_an_earlier_run_are_not_written_again(spark, scenario):
    assert scenario.run2.duplicates_already_curated == 2
    curated = read_curated(spark, str(scenario.curated))
    assert curated.count() == curated.select("event_id").distinct().count()


def test_renamed_column_lands_in_the_same_curated_column(spark, scenario):
    day4 = read_curated(spark, str(scenario.curated)).where(F.col("day") == "04").collect()
    assert sorted(r["page"] for r in day4) == sorted(f"/new/{n}" for n in range(10))
    assert scenario.run2.unexpected_fields == ()


def test_a_one_day_query_reads_only_that_days_files(spark, scenario):
    curated = read_curated(spark, str(scenario.curated))
    one_day = curated.where(
        (F.col("year") == "2024") & (F.col("month") == "05") & (F.col("day") == "03")
    )
    stats = scan_stats(one_day)
    day_files = scenario.parquet_files(scenario.curated / "year=2024" / "month=05" / "day=03")
    assert len(day_files) == 2  # one per run that wrote to that day
    assert stats.files_read == len(day_files)
    assert stats.partitions_read == 1
    assert any("day" in f and "03" in f for f in stats.partition_filters)
    # A filter on a data column prunes nothing: every file is opened.
    by_type = scan_stats(curated.where(F.col("event_type") == "click"))
    assert by_type.files_read == len(scenario.parquet_files())
    assert by_type.partition_filters == ()


def test_a_rerun_without_the_bookmark_writes_nothing_twice(spark, scenario, tmp_path):
    # Like a Glue run that failed after writing but before job.commit(): all input is read
    # again; the events are in the curated table already, so none is written again.
    curated = tmp_path / "curated"
    shutil.copytree(scenario.curated, curated)
    before = read_curated(spark, str(curated)).count()
    report = run_local(scenario.raw, curated, tmp_path / "quarantine", tmp_path / "bm.json", spark)
    assert report.rows_read == len(scenario.first_lines) + len(scenario.second_lines)
    assert report.rows_curated == 0
    assert report.duplicates_already_curated == before
    assert read_curated(spark, str(curated)).count() == before
