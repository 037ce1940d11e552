"""The scenario of ``glue-partitioned-etl``: raw JSON files in, daily Parquet partitions out.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``): it writes with ``PutObject``, starts the workflow with ``StartWorkflowRun`` and reads
what Glue reports (``GetWorkflowRun``, ``GetCrawler``, ``GetJobRuns`` and the run's output log),
the Data Catalog (``GetTables``, ``GetPartitions``) and the buckets. In the order a reader meets
it in the trace:

1. A producer lands the first batch under ``raw/batch-0001/``: 18 events over three days, a
   partner file that names ``page`` ``page_url`` (the renamed-column case) and repeats
   one event, a file with four bad rows, and files that are not data (a manifest, an Athena
   ``.metadata`` file, a Spark ``_temporary`` part) which the crawler and the job both skip.
2. The workflow is started: its crawler catalogs the JSON files as one table ``raw_raw`` with
   ``batch-0001`` as its first partition; the conditional trigger then starts the job, which
   writes valid rows as Snappy Parquet under ``curated/year=/month=/day=``, bad rows to
   ``quarantine/`` with their reason, drops the copy and registers the three days.
3. A second batch lands (five events of a fourth day, and one event re-sent from the first
   batch); a second workflow run crawls only that new folder and adds its partition; the job
   reads only the new file (the bookmark), drops the re-sent event and registers one new day.
4. The catalog answers ``GetPartitions`` with a one-day expression with that day only: what
   Athena asks it, through the partition index, to plan a query on one day.
5. The failure rule's pattern matches a failed run's event (``TestEventPattern``); locally,
   Glue's failed-run event is put on the bus and reaches the alarm topic.

Then it checks the buckets and the catalog against the inputs: every row read is curated,
quarantined with a reason or a removed duplicate; each day's rows are in its own folder, once.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq

from refarch.scenarios.observe import read_objects, report_stack_landed
from refarch.scenarios.target import Check, Target
from refarch.trace import brief

RAW = "RawBucket"
CURATED = "CuratedBucket"
JOB = "Job"
CRAWLER = "RawCrawler"
WORKFLOW = "Workflow"
JOB_FAILED_RULE = "FailureAlarmsJobFailed"
ALARM_TOPIC = "AlarmsTopic"
#: The crawler's one table: the include path's folder (``raw``) after the table prefix.
RAW_TABLE = "raw_raw"
#: A workflow run is ``RUNNING`` until its crawl and job have finished, then ``COMPLETED``
#: (https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html). A crawler takes a
#: minute or more to start and finish, and a Glue 5.0 job starts in seconds and runs a few
#: minutes on this input; the job's own timeout is 2 hours
#: (https://docs.aws.amazon.com/glue/latest/dg/add-job.html). Poll every 30 s for up to
#: 30 minutes.
WORKFLOW_POLL_SECONDS = 30
WORKFLOW_TIMEOUT_SECONDS = 1800
#: Glue 5.0 logs in real time, the script's stdout to the ``output`` group, stream
#: ``<run id>-driver`` (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html);
#: CloudWatch Logs may still be ingesting the last lines when the run completes. Poll every 10 s
#: for up to 2 minutes.
LOG_POLL_SECONDS = 10
LOG_TIMEOUT_SECONDS = 120
FINISHED = ("COMPLETED", "STOPPED", "ERROR")
DAY_ONE = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
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


def _folder(event_time: datetime) -> str:
    """The partition folder of a curated row's event time (Parquet timestamps are UTC)."""
    moment = event_time if event_time.tzinfo else event_time.replace(tzinfo=UTC)
    return "year={:%Y}/month={:%m}/day={:%d}".format(*[moment.astimezone(UTC)] * 3)


def describe_result(result: Any) -> str:
    """Show a result briefly (the stack has no Lambda function of its own to describe)."""
    return brief(result)


def _glue_event(detail_state: str, job_name: str, account: str, region: str) -> dict[str, Any]:
    """A ``Glue Job State Change`` event, in its documented shape.

    https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
    """
    failed = detail_state == "FAILED"
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "Glue Job State Change",
        "source": "aws.glue",
        "account": account,
        "time": "2024-05-04T09:00:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "jobName": job_name,
            "severity": "ERROR" if failed else "INFO",
            "state": detail_state,
            "jobRunId": "jr_failed_example" if failed else "jr_succeeded_example",
            "message": "Command failed with exit code 1" if failed else "Job run succeeded",
        },
    }


class _Workflow:
    """Starts the stack's workflow and reads what each run did, through Glue's API."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.glue = target.client("glue")
        self.logs = target.client("logs")
        self.name = target.physical_id(WORKFLOW)
        self.job = target.physical_id(JOB)
        self.crawler = target.physical_id(CRAWLER)

    def run(self) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
        """Start a run, wait for it; return the crawl's status, the job run and its report."""
        run_id = self.glue.start_workflow_run(Name=self.name)["RunId"]
        self.target.trace.line(f"→ StartWorkflowRun {self.name} ({run_id})")

        def finished() -> dict[str, Any] | None:
            run = self.glue.get_workflow_run(Name=self.name, RunId=run_id)["Run"]
            return run if run["Status"] in FINISHED else None

        run = self.target.wait_until(
            "the workflow run finished (crawl, then job)",
            finished,
            timeout=WORKFLOW_TIMEOUT_SECONDS,
            interval=WORKFLOW_POLL_SECONDS,
        )
        crawl = self.glue.get_crawler(Name=self.crawler)["Crawler"].get("LastCrawl", {})
        job_run = next(
            (
                r
                for r in self.glue.get_job_runs(JobName=self.job)["JobRuns"]
                if r.get("Arguments", {}).get("--WORKFLOW_RUN_ID") == run_id
            ),
            None,
        )
        self.target.trace.line(
            f"← run {run['Status']}; crawl {crawl.get('Status')}; job run "
            + (f"{job_run['Id']} {job_run['JobRunState']}" if job_run else "not started"),
            2,
        )
        report = None
        if job_run is not None and job_run["JobRunState"] == "SUCCEEDED":
            report = self.target.wait_until(
                "the run report in the job run's output log",
                lambda: self._report(job_run),
                timeout=LOG_TIMEOUT_SECONDS,
                interval=LOG_POLL_SECONDS,
            )
        return str(crawl.get("Status")), job_run, report

    def _report(self, job_run: dict[str, Any]) -> dict[str, Any] | None:
        """The run report the job prints to stdout, from the run's output log (Glue 5.0).

        The group is the run's ``LogGroupName`` with ``/output``, or the stack's own output
        group (with a security configuration, the stack creates the group Glue writes to).
        """
        groups = [job_run.get("LogGroupName", "/aws-glue/jobs").rstrip("/") + "/output"]
        groups += [
            g.physical_id
            for g in self.target.of_type("AWS::Logs::LogGroup")
            if g.physical_id.endswith("/output") and g.physical_id not in groups
        ]
        for group in groups:
            report = self._report_in(group, job_run["Id"])
            if report is not None:
                return report
        return None

    def _report_in(self, group: str, run_id: str) -> dict[str, Any] | None:
        try:
            streams = self.logs.describe_log_streams(
                logGroupName=group, logStreamNamePrefix=run_id
            )["logStreams"]
            for stream in streams:
                events = self.logs.get_log_events(
                    logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
                )["events"]
                for event in events:
                    message = event.get("message", "")
                    if '"run_report"' in message:
                        return json.loads(message)["run_report"]
        except self.logs.exceptions.ResourceNotFoundException:
            return None
        return None


def _accounted(report: dict[str, Any] | None) -> int:
    if report is None:
        return -1
    return report["rows_curated"] + report["quarantined_total"] + report["duplicates_removed"]


def _summary(job_run: dict[str, Any] | None, report: dict[str, Any] | None) -> str:
    if job_run is None:
        return "the job did not run"
    if report is None:
        return f"{job_run['JobRunState']}: {job_run.get('ErrorMessage', 'no run report')}"
    return (
        f"{report['files_read']} files, {report['rows_read']} rows read: "
        f"{report['rows_curated']} curated, {report['quarantined_total']} quarantined, "
        f"{report['duplicates_removed']} duplicates removed"
    )


def _partitions(glue: Any, database: str, table: str) -> list[list[str]]:
    try:
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName=database, TableName=table
        )
        return sorted(p["Values"] for page in pages for p in page["Partitions"])
    except glue.exceptions.EntityNotFoundException:
        return []


def _raw_tables(glue: Any, database: str, curated_table: str) -> list[str]:
    pages = glue.get_paginator("get_tables").paginate(DatabaseName=database)
    return sorted(
        t["Name"] for page in pages for t in page["TableList"] if t["Name"] != curated_table
    )


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``GluePartitionedEtl`` stack; return its checks."""
    trace = target.trace
    s3, glue = target.client("s3"), target.client("glue")
    raw_bucket, curated_bucket = target.physical_id(RAW), target.physical_id(CURATED)
    database = target.of_type("AWS::Glue::Database")[0].physical_id
    table = target.of_type("AWS::Glue::Table")[0].physical_id
    workflow = _Workflow(target)
    checks: list[Check] = []

    trace.section("Run: the first batch lands under raw/batch-0001/ (6 files, 3 of them not data)")
    for key, body in FIRST_BATCH.items():
        s3.put_object(Bucket=raw_bucket, Key=key, Body=body)
        trace.line(f"put s3://{raw_bucket}/{key} ({len(body)} B)")
    trace.section("Run: the workflow crawls raw/ (as the crawler's role), then runs the job")
    first_crawl, first_run, first = workflow.run()
    tables_after_first = _raw_tables(glue, database, table)
    raw_after_first = _partitions(glue, database, RAW_TABLE)
    curated_after_first = _partitions(glue, database, table)

    trace.section("Run: the second batch lands (a new day, and one event re-sent); crawl, job")
    for key, body in SECOND_BATCH.items():
        s3.put_object(Bucket=raw_bucket, Key=key, Body=body)
        trace.line(f"put s3://{raw_bucket}/{key} ({len(body)} B)")
    second_crawl, second_run, second = workflow.run()
    raw_after_second = _partitions(glue, database, RAW_TABLE)

    trace.section("Run: a query planner asks the catalog for one day (GetPartitions)")
    expression = "year = '2024' AND month = '05' AND day = '02'"
    found = glue.get_partitions(DatabaseName=database, TableName=table, Expression=expression)
    trace.line(f"expression: {expression}")
    for partition in found["Partitions"]:
        trace.line(f"→ {partition['Values']} at {partition['StorageDescriptor']['Location']}", 2)
    one_day = [p["Values"] for p in found["Partitions"]]
    index = glue.get_partition_indexes(DatabaseName=database, TableName=table)[
        "PartitionIndexDescriptorList"
    ]

    trace.section("Run: a failed run's event against the failure rule (TestEventPattern)")
    events = target.client("events")
    rule = target.physical_id(JOB_FAILED_RULE)
    pattern = events.describe_rule(Name=rule)["EventPattern"]
    account = target.client("sts").get_caller_identity()["Account"]
    region = events.meta.region_name
    matches = {
        state: events.test_event_pattern(
            EventPattern=pattern,
            Event=json.dumps(_glue_event(state, workflow.job, account, region)),
        )["Result"]
        for state in ("FAILED", "SUCCEEDED")
    }
    trace.line(f"rule {rule}: FAILED matches {matches['FAILED']}, SUCCEEDED {matches['SUCCEEDED']}")

    report_stack_landed(trace, s3, target.client("sqs"), target)
    first_ok = first_run is not None and first_run["JobRunState"] == "SUCCEEDED" and first
    second_ok = second_run is not None and second_run["JobRunState"] == "SUCCEEDED" and second
    checks.append(
        Check(
            f"run 1: {_summary(first_run, first)}",
            bool(first_ok)
            and first["files_read"] == 3
            and first["rows_read"] == len(FIRST_EVENTS) + len(PARTNER_EVENTS) + 1 + 4
            and first["rows_curated"] == len(FIRST_EVENTS) + len(PARTNER_EVENTS)
            and first["rows_quarantined"] == EXPECTED_REASONS
            and first["duplicates_removed"] == 1,
            (first_run or {}).get("ErrorMessage", ""),
        )
    )
    checks.append(
        Check(
            "the crawler's exclusions kept the manifest, the .metadata file and the _temporary "
            "part out of the job's input (3 data files read of 6)",
            bool(first_ok) and first["files_read"] == 3,
        )
    )
    checks.extend(
        _crawl_checks(
            target,
            (first_crawl, tables_after_first, raw_after_first),
            (second_crawl, raw_after_second),
        )
    )
    checks.append(
        Check(
            f"run 2 reads only the new file (bookmark): {_summary(second_run, second)}",
            bool(second_ok)
            and second["files_read"] == 1
            and second["rows_curated"] == len(SECOND_EVENTS)
            and second["duplicates_already_curated"] == 1,
            (second_run or {}).get("ErrorMessage", ""),
        )
    )
    checks.extend(_curated_checks(s3, curated_bucket))
    quarantined = read_objects(s3, curated_bucket, "quarantine/")
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
    days = [tuple(p) for p in _partitions(glue, database, table)]
    wanted_days = sorted({_day(e) for e in [*FIRST_EVENTS, *PARTNER_EVENTS, *SECOND_EVENTS]})
    checks.append(
        Check(
            f"{len(days)} partitions registered by the job (3 by run 1, 1 by run 2), no crawler "
            "over curated/",
            days == wanted_days and len(curated_after_first) == 3,
            ", ".join("/".join(d) for d in days),
        )
    )
    checks.append(
        Check(
            "GetPartitions with a one-day expression returns that day only; the by_day index "
            "is ACTIVE",
            one_day == [["2024", "05", "02"]]
            and [(i["IndexName"], i["IndexStatus"]) for i in index] == [("by_day", "ACTIVE")],
        )
    )
    checks.append(
        Check(
            "the failure rule's pattern matches a failed run's event, not a succeeded one "
            "(TestEventPattern)",
            matches == {"FAILED": True, "SUCCEEDED": False},
        )
    )
    checks.extend(_alarm_checks(target, workflow.job))
    curated_ids, quarantined_rows = _curated_count(s3, curated_bucket), sum(reasons.values())
    read = first["rows_read"] + second["rows_read"] if first_ok and second_ok else -1
    accounted = _accounted(first) + _accounted(second) if first_ok and second_ok else -2
    checks.append(
        Check(
            f"nothing lost: {read} rows read = curated + quarantined + duplicates removed",
            read == accounted and read == curated_ids + quarantined_rows + 2,
        )
    )
    return checks


def _crawl_checks(
    target: Target,
    first: tuple[str, list[str], list[list[str]]],
    second: tuple[str, list[list[str]]],
) -> list[Check]:
    """What the two crawls cataloged: one table of the raw files, one partition per batch."""
    glue = target.client("glue")
    database = target.of_type("AWS::Glue::Database")[0].physical_id
    first_status, tables, raw_first = first
    second_status, raw_second = second
    try:
        raw = glue.get_table(DatabaseName=database, Name=RAW_TABLE)["Table"]
    except glue.exceptions.EntityNotFoundException:
        raw = {"StorageDescriptor": {"Columns": []}, "PartitionKeys": []}
    columns = {c["Name"]: c["Type"] for c in raw["StorageDescriptor"]["Columns"]}
    wanted = {*FIRST_EVENTS[0], "page_url"}
    checks = [
        Check(
            f"crawl 1 (as the crawler's role): {first_status}; tables {tables}, "
            f"partitions {raw_first}",
            first_status == "SUCCEEDED" and tables == [RAW_TABLE] and raw_first == [["batch-0001"]],
        ),
        Check(
            f"{RAW_TABLE}: {len(columns)} string columns (page and the partner's page_url: "
            "compatible schemas combined), partitioned by partition_0",
            set(columns) == wanted
            and set(columns.values()) == {"string"}
            and [k["Name"] for k in raw["PartitionKeys"]] == ["partition_0"],
            ", ".join(columns),
        ),
        Check(
            "crawl 2 adds the new folder's partition, and no table",
            second_status == "SUCCEEDED"
            and raw_second == [["batch-0001"], ["batch-0002"]]
            and _raw_tables(glue, database, target.of_type("AWS::Glue::Table")[0].physical_id)
            == [RAW_TABLE],
        ),
    ]
    stack = target.local_only("which files a crawl listed, excluded and read is not observable")
    if stack is not None:
        crawls = stack.glue_crawler(CRAWLER).crawls
        not_data = sorted(k for k in FIRST_BATCH if not k.endswith(".json") or "_temporary" in k)
        checks.append(
            Check(
                "crawl 1 excluded exactly the manifest, the .metadata file and the _temporary "
                "part; crawl 2 read only the new folder (CRAWL_NEW_FOLDERS_ONLY)",
                len(crawls) == 2
                and sorted(crawls[0].excluded) == not_data
                and crawls[0].tables_created == [RAW_TABLE]
                and crawls[1].read == list(SECOND_BATCH)
                and not crawls[1].tables_created,
            )
        )
    return checks


def _curated_rows(s3: Any, bucket: str) -> dict[str, list[dict[str, Any]]]:
    """The curated Parquet files' rows, by object key."""
    stored = read_objects(s3, bucket, "curated/")
    return {
        key: pq.read_table(io.BytesIO(item.content)).to_pylist() for key, item in stored.items()
    }


def _curated_count(s3: Any, bucket: str) -> int:
    return sum(len(rows) for rows in _curated_rows(s3, bucket).values())


def _curated_checks(s3: Any, bucket: str) -> list[Check]:
    """Each event curated once, under its own day; the partner's column renamed."""
    rows = _curated_rows(s3, bucket)
    by_folder_ok = all(
        key.startswith(f"curated/{_folder(r['event_time'])}/")
        for key, records in rows.items()
        for r in records
    )
    curated = [r for records in rows.values() for r in records]
    expected_ids = {e["event_id"] for e in [*FIRST_EVENTS, *PARTNER_EVENTS, *SECOND_EVENTS]}
    ids = [r["event_id"] for r in curated]
    partner_pages = {
        r["event_id"]: r["page"] for r in curated if r["event_id"].startswith("evt-2-1")
    }
    return [
        Check(
            f"{len(ids)} curated rows in {len(rows)} Snappy Parquet files, each event once, "
            "each under its own day",
            sorted(ids) == sorted(expected_ids) and by_folder_ok,
            ", ".join(sorted({k.rsplit("/", 1)[0].removeprefix("curated/") for k in rows})),
        ),
        Check(
            "the partner's page_url column is read as page (renamed-column alias)",
            partner_pages == {e["event_id"]: e["page_url"] for e in PARTNER_EVENTS},
        ),
    ]


def _alarm_checks(target: Target, job_name: str) -> list[Check]:
    """Locally: Glue's failed-run event, put on the bus, reaches the alarm topic."""
    stack = target.local_only(
        "only AWS services put aws.glue events on the bus; the rule's pattern is tested instead"
    )
    if stack is None:
        return []
    aws = stack.emulator
    target.trace.section("Run: Glue reports a failed run of the job; the failure rule alarms")
    failure = aws.events.put(
        source="aws.glue",
        detail_type="Glue Job State Change",
        detail=_glue_event("FAILED", job_name, aws.account_id, aws.region)["detail"],
    )
    topic = target.physical_id(ALARM_TOPIC)
    return [
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
    ]
