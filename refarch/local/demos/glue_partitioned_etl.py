"""The local scenario of ``glue-partitioned-etl``: raw JSON files in, daily Parquet partitions out.

What it does, in the order a reader meets it in the trace:

1. A producer lands the first batch under ``raw/batch-0001/``: 18 events over three days, a
   partner file that names ``page`` ``page_url`` (the renamed-column case) and repeats
   one event, a file with four bad rows, and files that are not data (a manifest, an Athena
   ``.metadata`` file, a Spark ``_temporary`` part) which the crawler and the job both skip.
2. The workflow's crawler runs as its role (``sources.glue_crawler``): it catalogs the JSON
   files as one table ``raw_raw`` with ``batch-0001`` as its first partition; then the job
   runs, as the workflow's conditional trigger starts it after a successful crawl.
3. The job runs (its own code, on local Spark, as its role): valid rows become Snappy Parquet
   under ``curated/year=/month=/day=``, bad rows go to ``quarantine/`` with their reason, the
   copy is dropped, and the three days are registered in the curated table.
4. A second batch lands (five events of a fourth day, and one event re-sent from the first
   batch); the crawler reads only that new folder and adds its partition; the job runs again
   and reads only the new file (the bookmark), drops the re-sent event (already curated) and
   registers one new day.
5. The catalog answers ``GetPartitions`` with a one-day expression with that day only: what
   Athena asks it, through the partition index, to plan a query on one day.
6. Glue reports a failed run: the failure rule matches and the event reaches the alarm topic.

Then it checks the buckets and the catalog against the inputs: every row read is curated,
quarantined with a reason or a removed duplicate; each day's rows are in its own folder, once.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq

from refarch.local.landed import objects, report_landed
from refarch.local.scenario import Check
from refarch.local.sources.glue_crawler import Crawl, GlueCrawler
from refarch.local.sources.glue_job import GlueJobRunner, JobRun
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace

RAW = "RawBucket"
CURATED = "CuratedBucket"
JOB = "Job"
CRAWLER = "RawCrawler"
#: The crawler's one table: the include path's folder (``raw``) after the table prefix.
RAW_TABLE = "raw_raw"
JOB_FAILED_RULE = "FailureAlarmsJobFailed"
ALARM_TOPIC = "AlarmsTopic"
EVENT_TYPES = ("page_view", "click", "add_to_cart", "purchase")
DAY_ONE = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def event(number: int, day: int, *, page_field: str = "page") -> dict[str, Any]:
    """A valid raw event, as the stream-to-lake pattern lands them, ``day`` days after May 1."""
    moment = DAY_ONE + timedelta(days=day, minutes=7 * number)
    return {
        "event_id": f"evt-{day}-{number:03d}",
        "event_type": EVENT_TYPES[number % len(EVENT_TYPES)],
        "event_time": _iso(moment),
        "user_key": f"{number % 13:032x}",
        "session_id": f"session-{number % 5}",
        page_field: f"/products/{number}",
        "ingested_at": _iso(moment + timedelta(seconds=3)),
    }


def _lines(records: list[Any]) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


#: Batch 1: 18 events over May 1-3 in one file; the partner's 6 events of May 3 with
#: ``page_url``, plus a copy of the first event; 4 bad rows; and 3 files that are not data.
FIRST_EVENTS = [event(n, n % 3) for n in range(18)]
PARTNER_EVENTS = [event(100 + n, 2, page_field="page_url") for n in range(6)]
BAD_ROWS = [
    '{"event_id": "evt-bad-json", "event_type": "click"',
    json.dumps({**event(200, 0), "event_type": "tap"}),
    json.dumps({**event(201, 0), "event_time": "yesterday"}),
    json.dumps({key: v for key, v in event(202, 1).items() if key != "user_key"}),
]
FIRST_BATCH = {
    "raw/batch-0001/events-a.json": _lines(FIRST_EVENTS),
    "raw/batch-0001/events-partner.json": _lines([*PARTNER_EVENTS, FIRST_EVENTS[0]]),
    "raw/batch-0001/events-bad.json": _lines(BAD_ROWS),
    "raw/batch-0001/unload.manifest": b'{"entries": [{"url": "s3://elsewhere/part-0"}]}\n',
    "raw/batch-0001/query.metadata": b"\x00\x01 binary Athena result metadata",
    "raw/batch-0001/_temporary/0/part-00000.json": _lines([event(300, 0)]),
}
#: Batch 2: five events of May 4, and the first batch's second event re-sent.
SECOND_EVENTS = [event(n, 3) for n in range(5)]
SECOND_BATCH = {"raw/batch-0002/events-a.json": _lines([*SECOND_EVENTS, FIRST_EVENTS[1]])}
EXPECTED_REASONS = {
    "malformed_json": 1,
    "unknown_event_type": 1,
    "unparseable_event_time": 1,
    "missing_user_key": 1,
}


def _day(record: dict[str, Any]) -> tuple[str, str, str]:
    moment = datetime.fromisoformat(record["event_time"].replace("Z", "+00:00"))
    return f"{moment:%Y}", f"{moment:%m}", f"{moment:%d}"


def _summary(run: JobRun) -> str:
    return run.report.summary() if run.report else run.error


def _job_after(crawl: Crawl, job: GlueJobRunner) -> JobRun:
    """Run the job as the workflow's conditional trigger does: only after a crawl SUCCEEDED."""
    if crawl.ok:
        return job.run()
    job.trace.line("the crawl failed: the workflow's trigger (crawl SUCCEEDED) does not fire", 2)
    return JobRun(
        run_id="(not started)",
        job_name=job.job_name,
        state="NOT_STARTED",
        error=f"not started: the crawl {crawl.state}",
    )


def _folder(event_time: datetime) -> str:
    """The partition folder of a curated row's event time (Parquet timestamps are UTC)."""
    moment = event_time if event_time.tzinfo else event_time.replace(tzinfo=UTC)
    return "year={:%Y}/month={:%m}/day={:%d}".format(*[moment.astimezone(UTC)] * 3)


def _curated_rows(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    """The curated Parquet files' rows, by object key."""
    stored = objects(stack, CURATED, "curated/")
    return {
        key: pq.read_table(io.BytesIO(item.content)).to_pylist() for key, item in stored.items()
    }


def _crawl_checks(stack: LocalStack, first: Crawl, second: Crawl) -> list[Check]:
    """What the two crawls cataloged: one table of the raw files, one partition per batch."""
    glue = stack.emulator.client("glue")
    database = stack.output("DatabaseName")
    try:
        table = glue.get_table(DatabaseName=database, Name=RAW_TABLE)["Table"]
    except glue.exceptions.EntityNotFoundException:
        table = {"StorageDescriptor": {"Columns": []}, "PartitionKeys": []}
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    wanted = {*FIRST_EVENTS[0], "page_url"}
    not_data = sorted(k for k in FIRST_BATCH if not k.endswith(".json") or "_temporary" in k)
    return [
        Check(
            f"crawl 1 (as the crawler's role): {first.summary() if first.ok else first.error}",
            first.ok
            and first.tables_created == [RAW_TABLE]
            and first.partitions_created == [(RAW_TABLE, ("batch-0001",))]
            and sorted(first.excluded) == not_data,
            first.error,
        ),
        Check(
            f"{RAW_TABLE}: {len(columns)} string columns (page and the partner's page_url: "
            "compatible schemas combined), partitioned by partition_0",
            set(columns) == wanted
            and set(columns.values()) == {"string"}
            and [k["Name"] for k in table["PartitionKeys"]] == ["partition_0"],
            ", ".join(columns),
        ),
        Check(
            "crawl 2 reads only the new folder (CRAWL_NEW_FOLDERS_ONLY) and adds its partition",
            second.ok
            and second.read == list(SECOND_BATCH)
            and second.partitions_created == [(RAW_TABLE, ("batch-0002",))]
            and not second.tables_created,
            second.error or second.summary(),
        ),
    ]


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``GluePartitionedEtl`` stack; return its checks."""
    aws = stack.emulator
    s3, glue = aws.client("s3"), aws.client("glue")
    raw_bucket = stack.physical_id(RAW)
    database, table = stack.output("DatabaseName"), stack.output("CuratedTableName")
    job = stack.glue_job(JOB)
    crawler = GlueCrawler(stack, CRAWLER)
    checks: list[Check] = []

    trace.section("Run: the first batch lands under raw/batch-0001/ (6 files, 3 of them not data)")
    for key, body in FIRST_BATCH.items():
        s3.put_object(Bucket=raw_bucket, Key=key, Body=body)
        trace.line(f"put s3://{raw_bucket}/{key} ({len(body)} B)")
    trace.section("Run: the workflow crawls raw/ (as the crawler's role), then runs the job")
    first_crawl = crawler.crawl()
    first = _job_after(first_crawl, job)

    trace.section("Run: the second batch lands (a new day, and one event re-sent); crawl, job")
    for key, body in SECOND_BATCH.items():
        s3.put_object(Bucket=raw_bucket, Key=key, Body=body)
        trace.line(f"put s3://{raw_bucket}/{key} ({len(body)} B)")
    second_crawl = crawler.crawl()
    second = _job_after(second_crawl, job)

    trace.section("Run: a query planner asks the catalog for one day (GetPartitions)")
    expression = "year = '2024' AND month = '05' AND day = '02'"
    one_day = glue.get_partitions(DatabaseName=database, TableName=table, Expression=expression)
    trace.line(f"expression: {expression}")
    for partition in one_day["Partitions"]:
        trace.line(f"→ {partition['Values']} at {partition['StorageDescriptor']['Location']}", 2)
    indexes = glue.get_partition_indexes(DatabaseName=database, TableName=table)
    index = indexes["PartitionIndexDescriptorList"]

    trace.section("Run: Glue reports a failed run of the job; the failure rule alarms")
    failure = aws.events.put(
        source="aws.glue",
        detail_type="Glue Job State Change",
        detail={
            "jobName": job.job_name,
            "severity": "ERROR",
            "state": "FAILED",
            "jobRunId": "jr_failed_example",
            "message": "Command failed with exit code 1",
        },
    )

    report_landed(stack, trace)
    checks.append(
        Check(
            f"run 1: {_summary(first)}",
            first.ok
            and first.report.files_read == 3
            and first.report.rows_read == len(FIRST_EVENTS) + len(PARTNER_EVENTS) + 1 + 4
            and first.report.rows_curated == len(FIRST_EVENTS) + len(PARTNER_EVENTS)
            and dict(first.report.rows_quarantined) == EXPECTED_REASONS
            and first.report.duplicates_removed == 1,
            first.error,
        )
    )
    checks.append(
        Check(
            "the crawler's exclusions kept the manifest, the .metadata file and the _temporary "
            "part out of the job's input (3 data files read of 6)",
            first.ok and first.report.files_read == 3,
        )
    )
    checks.extend(_crawl_checks(stack, first_crawl, second_crawl))
    checks.append(
        Check(
            f"run 2 reads only the new file (bookmark): {_summary(second)}",
            second.ok
            and second.report.files_read == 1
            and second.report.rows_curated == len(SECOND_EVENTS)
            and second.report.duplicates_already_curated == 1,
            second.error,
        )
    )
    rows = _curated_rows(stack)
    by_folder_ok = all(
        key.startswith(f"curated/{_folder(r['event_time'])}/")
        for key, records in rows.items()
        for r in records
    )
    curated = [r for records in rows.values() for r in records]
    expected_ids = {e["event_id"] for e in [*FIRST_EVENTS, *PARTNER_EVENTS, *SECOND_EVENTS]}
    ids = [r["event_id"] for r in curated]
    checks.append(
        Check(
            f"{len(ids)} curated rows in {len(rows)} Snappy Parquet files, each event once, "
            "each under its own day",
            sorted(ids) == sorted(expected_ids) and by_folder_ok,
            ", ".join(sorted({k.rsplit("/", 1)[0].removeprefix("curated/") for k in rows})),
        )
    )
    partner_pages = {
        r["event_id"]: r["page"] for r in curated if r["event_id"].startswith("evt-2-1")
    }
    checks.append(
        Check(
            "the partner's page_url column is read as page (renamed-column alias)",
            partner_pages == {e["event_id"]: e["page_url"] for e in PARTNER_EVENTS},
        )
    )
    quarantined = objects(stack, CURATED, "quarantine/")
    reasons: dict[str, int] = {}
    for key, item in quarantined.items():
        reason = key.split("reject_reason=", 1)[1].split("/", 1)[0]
        reasons[reason] = reasons.get(reason, 0) + len(item.lines)
    checks.append(
        Check(
            f"{sum(reasons.values())} bad rows under quarantine/, one folder per reason",
            reasons == EXPECTED_REASONS,
            ", ".join(f"{r}: {n}" for r, n in sorted(reasons.items())),
        )
    )
    partitions = glue.get_partitions(DatabaseName=database, TableName=table)["Partitions"]
    days = sorted(tuple(p["Values"]) for p in partitions)
    wanted_days = sorted({_day(e) for e in [*FIRST_EVENTS, *PARTNER_EVENTS, *SECOND_EVENTS]})
    checks.append(
        Check(
            f"{len(days)} partitions registered by the job (3 by run 1, 1 by run 2), no crawler "
            "over curated/",
            days == wanted_days and len(first.registered) == 3 and len(second.registered) == 1,
            ", ".join("/".join(d) for d in days),
        )
    )
    checks.append(
        Check(
            "GetPartitions with a one-day expression returns that day only; the by_day index "
            "is ACTIVE",
            [p["Values"] for p in one_day["Partitions"]] == [["2024", "05", "02"]]
            and [(i["IndexName"], i["IndexStatus"]) for i in index] == [("by_day", "ACTIVE")],
        )
    )
    topic = stack.physical_id(ALARM_TOPIC)
    checks.append(
        Check(
            "a failed run's event reaches the alarm topic through the failure rule; the "
            "successful runs' events match no rule",
            any(d.target == topic and d.delivered for d in failure.deliveries)
            and all(
                not put.deliveries
                for put in aws.events.events
                if put.event["detail"].get("state") == "SUCCEEDED"
            ),
        )
    )
    read = first.report.rows_read + second.report.rows_read if first.ok and second.ok else -1
    accounted = (
        first.report.rows_accounted_for + second.report.rows_accounted_for
        if first.ok and second.ok
        else -2
    )
    checks.append(
        Check(
            f"nothing lost: {read} rows read = curated + quarantined + duplicates removed",
            read == accounted and read == len(ids) + sum(reasons.values()) + 2,
        )
    )
    return checks
