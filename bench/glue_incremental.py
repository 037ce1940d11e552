"""Glue job on local Spark: the bookmark's incremental cost and the partitions' pruning.

(a) Incremental cost. Run 1 reads the old raw files; new files land (a new day, and late events
of an old day); run 2 runs over old + new with the bookmark. Figure: rows run 2 read; floor: the
rows of the new files. Target: ratio exactly 1.0 (the bookmark keeps run 2 to the new data).

(b) Partition pruning. A query for one day on the curated table. Figure: files its scan opened
(Spark's ``numFiles``); floor: files in that day's folder. Target: ratio exactly 1.0. Reported
too: files opened / all files in the table, about the fraction of days the query asks for.

    python -m bench.glue_incremental [--days 8] [--files-per-day 3] [--rows-per-file 2000]
"""

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from refarch import REPO_ROOT

JOB_DIR = REPO_ROOT / "glue" / "raw_to_curated"
TARGET_RATIO = 1.0
START = datetime(2024, 5, 1, tzinfo=UTC)
EVENT_TYPES = ("page_view", "page_view", "click", "add_to_cart", "purchase")


def iso(moment: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, as the stream writes times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def user_key(user: int) -> str:
    """A pseudonymous key like the stream's: 32 hex digits of a SHA-256."""
    return hashlib.sha256(f"user-{user:06d}".encode()).hexdigest()[:32]


def write_raw_file(path: Path, day: int, first: int, rows: int) -> int:
    """A JSON Lines file of ``rows`` events dated ``day`` days after the start; returns rows."""
    lines = []
    for n in range(first, first + rows):
        moment = START + timedelta(days=day, seconds=(n * 7) % 86_400, milliseconds=n % 1000)
        lines.append(
            json.dumps(
                {
                    "event_id": f"evt-{day:03d}-{n:08d}",
                    "event_type": EVENT_TYPES[n % len(EVENT_TYPES)],
                    "event_time": iso(moment),
                    "user_key": user_key(n % 1999),
                    "session_id": f"sess-{n // 40:06d}",
                    "page": f"/products/sku-{n % 5000:05d}",
                    "ingested_at": iso(moment + timedelta(seconds=3)),
                },
                separators=(",", ":"),
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the job twice over generated files, then query one day; print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--files-per-day", type=int, default=3)
    parser.add_argument("--rows-per-file", type=int, default=2000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(JOB_DIR))
    from curated_dataset import read_curated
    from local_run import run_local
    from local_spark import local_session
    from pyspark.sql import functions as F
    from scan_metrics import scan_stats

    spark = local_session("refarch-bench-glue")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        raw, curated = root / "raw", root / "curated"
        folders = (curated, root / "quarantine", root / "bookmark.json")
        for day in range(args.days):
            for f in range(args.files_per_day):
                name = raw / f"ingest_date={day:03d}" / f"part-{f:04d}.json"
                write_raw_file(name, day, f * args.rows_per_file, args.rows_per_file)
        started = time.perf_counter()
        run1 = run_local(raw, *folders, spark)
        run1_s = time.perf_counter() - started

        # New data: a new day, and late events of the first day in a file of their own.
        new_rows = 0
        for f in range(args.files_per_day):
            name = raw / f"ingest_date={args.days:03d}" / f"part-{f:04d}.json"
            new_rows += write_raw_file(name, args.days, f * args.rows_per_file, args.rows_per_file)
        late = raw / f"ingest_date={args.days:03d}" / "late-day-000.json"
        new_rows += write_raw_file(late, 0, args.files_per_day * args.rows_per_file, 500)
        started = time.perf_counter()
        run2 = run_local(raw, *folders, spark)
        run2_s = time.perf_counter() - started
        incremental = run2.rows_read / new_rows

        day = "year=2024/month=05/day=03"
        day_files = len(list((curated / day).glob("*.parquet")))
        all_files = len(list(curated.rglob("*.parquet")))
        days_in_table = len(list(curated.glob("year=*/month=*/day=*")))
        query = read_curated(spark, str(curated)).where(
            (F.col("year") == "2024") & (F.col("month") == "05") & (F.col("day") == "03")
        )
        started = time.perf_counter()
        stats = scan_stats(query)
        query_s = time.perf_counter() - started
        pruning = stats.files_read / day_files
    spark.stop()

    print(
        f"run 1: {run1.rows_read} rows from {run1.files_read} files in {run1_s:.1f} s "
        f"({run1.rows_curated} curated, {len(run1.partitions_written)} partitions)"
    )
    print(
        f"run 2: {run2.rows_read} rows from {run2.files_read} files in {run2_s:.1f} s; "
        f"the new files hold {new_rows} rows (floor)"
    )
    print(f"incremental ratio rows read by run 2 / new rows: {incremental:.2f} (target 1.0)")
    print(
        f"one-day query ({day}): opened {stats.files_read} files in {query_s:.2f} s; "
        f"the day's folder holds {day_files} (floor), the table {all_files}"
    )
    print(
        f"pruning ratio files opened / day's files: {pruning:.2f} (target 1.0); "
        f"/ all files: {stats.files_read / all_files:.2f} "
        f"(1 day of {days_in_table}: {1 / days_in_table:.2f})"
    )
    return 0 if incremental == TARGET_RATIO and pruning == TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
