"""Partition columns: the event's UTC date, zero-padded, whatever the session's time zone."""

from __future__ import annotations

import pytest
from event_partitions import partition_path, partition_predicate, with_partition_columns
from pyspark.sql import functions as F

pytestmark = pytest.mark.spark

# event_time -> (year, month, day) of its UTC date
DAY_BOUNDARIES = {
    "2024-01-31T23:59:59.999Z": ("2024", "01", "31"),
    "2024-02-01T00:00:00.000Z": ("2024", "02", "01"),
    "2024-02-01T00:30:00.000+01:00": ("2024", "01", "31"),
    "2024-12-31T23:30:00.000-02:00": ("2025", "01", "01"),
    "2024-03-01T00:30:00.000+01:00": ("2024", "02", "29"),
    "2000-01-01T00:00:00.000Z": ("2000", "01", "01"),
    "2024-05-09T12:00:00.000Z": ("2024", "05", "09"),
}
SESSION_ZONES = ("UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati")


@pytest.fixture(scope="module")
def partitions_by_zone(spark):
    """The partition of every time, computed under each session time zone in turn."""
    times = spark.createDataFrame([(t,) for t in DAY_BOUNDARIES], "t string").select(
        "t", F.col("t").cast("timestamp").alias("event_time")
    )
    original = spark.conf.get("spark.sql.session.timeZone")
    results = {}
    try:
        for zone in SESSION_ZONES:
            spark.conf.set("spark.sql.session.timeZone", zone)
            rows = with_partition_columns(times).collect()
            results[zone] = {r["t"]: (r["year"], r["month"], r["day"]) for r in rows}
    finally:
        spark.conf.set("spark.sql.session.timeZone", original)
    return results


@pytest.mark.parametrize("zone", SESSION_ZONES)
def test_partition_is_the_utc_date_zero_padded_in_any_session_time_zone(partitions_by_zone, zone):
    assert partitions_by_zone[zone] == DAY_BOUNDARIES


def test_partition_path_is_hive_style():
    assert partition_path(("2024", "05", "01")) == "year=2024/month=05/day=01"


def test_partition_predicate_selects_exactly_the_given_partitions(spark):
    days = spark.createDataFrame(
        [("2024", "05", f"{d:02d}") for d in range(1, 6)] + [("2023", "05", "02")],
        "year string, month string, day string",
    )
    chosen = [("2024", "05", "02"), ("2024", "05", "04")]
    selected = days.where(partition_predicate(chosen)).collect()
    assert sorted((r["year"], r["month"], r["day"]) for r in selected) == chosen
    assert days.where(partition_predicate([])).count() == 0
