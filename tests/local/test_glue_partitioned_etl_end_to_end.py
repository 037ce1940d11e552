"""glue-partitioned-etl end to end locally: raw files → the job's code as its role → catalog."""

import json

import pytest
from assemblies import synthesized
from botocore.exceptions import ClientError
from complete_runs import complete_run, complete_trace

from refarch.local import deploy, emulator
from refarch.local.errors import DeployError
from refarch.scenarios import glue_partitioned_etl as scenario

PATTERN = "glue-partitioned-etl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run(PATTERN), complete_trace(PATTERN)


def test_demo_passes_under_the_jobs_role_with_iam_enforced(demo):
    result, trace = demo
    assert result.ok, trace
    assert result.denials == []
    assert result.lost == []
    assert len(result.checks) == 15
    assert "OK: glue-partitioned-etl: 15/15 checks" in trace


def test_demo_trace_says_who_ran_what_was_read_written_and_registered(demo):
    _, trace = demo
    assert "as arn:aws:iam::123456789012:role/GluePartitionedEtl-JobRole" in trace
    assert "the job's code: 3 files, 29 rows read: 24 curated into 3 partitions" in trace
    assert "the job's code: 1 files, 6 rows read: 5 curated into 1 partitions" in trace
    assert ": 2024/05/01, 2024/05/02, 2024/05/03" in trace
    assert "→ ['2024', '05', '02'] at s3://" in trace


@pytest.fixture(scope="module")
def first_run(glue_partitioned_etl):
    """The first batch landed and the job run once; what the emulator holds afterwards."""
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl)
        raw = stack.physical_id(scenario.RAW)
        for key, body in scenario.FIRST_BATCH.items():
            aws.client("s3").put_object(Bucket=raw, Key=key, Body=body)
        runner = stack.glue_job(scenario.JOB)
        run = runner.run()
        blob = runner.sealed_bookmark
        logs = aws.client("logs")
        driver_logs = {
            kind: logs.get_log_events(
                logGroupName=runner.log_group(kind), logStreamName=runner.log_stream(run.run_id)
            )["events"]
            for kind in ("error", "output")
        }
        log_groups = {kind: runner.log_group(kind) for kind in ("error", "output")}
        groups = {
            g["logGroupName"]: g
            for g in logs.describe_log_groups(logGroupNamePrefix="/aws-glue/")["logGroups"]
        }
        metrics = aws.client("cloudwatch").list_metrics(Namespace="Glue")["Metrics"]
        database, table = stack.output("DatabaseName"), stack.output("CuratedTableName")
        partitions = aws.client("glue").get_partitions(DatabaseName=database, TableName=table)
        location = aws.client("glue").get_table(DatabaseName=database, Name=table)["Table"][
            "StorageDescriptor"
        ]["Location"]
        # Only the job's role (and the deployer) may use the key the bookmark is sealed with.
        key_arn = runner.bookmark_key()
        decrypted = aws.client("kms").decrypt(CiphertextBlob=blob, KeyId=key_arn)["Plaintext"]
        again = runner.run()
    return {
        "run": run,
        "again": again,
        "blob": blob,
        "bookmark": json.loads(decrypted),
        "log": [e["message"] for e in driver_logs["output"]],
        "system_log": [e["message"] for e in driver_logs["error"]],
        "log_groups": log_groups,
        "groups": groups,
        "metrics": metrics,
        "partitions": partitions["Partitions"],
        "location": location,
        "job": runner.job_name,
    }


def test_a_run_registers_each_day_it_wrote_under_the_tables_location(first_run):
    days = sorted(tuple(p["Values"]) for p in first_run["partitions"])
    assert days == [("2024", "05", "01"), ("2024", "05", "02"), ("2024", "05", "03")]
    for partition in first_run["partitions"]:
        year, month, day = partition["Values"]
        assert partition["StorageDescriptor"]["Location"] == (
            f"{first_run['location'].rstrip('/')}/year={year}/month={month}/day={day}/"
        )


def test_the_bookmark_is_kept_encrypted_with_the_security_configurations_key(first_run):
    assert b"evt-" not in first_run["blob"] and b"processed" not in first_run["blob"]
    processed = first_run["bookmark"]["processed"]
    assert sorted(
        name.rsplit("/", 2)[-2] + "/" + name.rsplit("/", 1)[-1] for name in processed
    ) == [
        "batch-0001/events-a.json",
        "batch-0001/events-bad.json",
        "batch-0001/events-partner.json",
    ]


def test_a_run_with_nothing_new_reads_nothing_and_registers_nothing(first_run):
    again = first_run["again"]
    assert again.ok
    assert (again.report.files_read, again.report.rows_read) == (0, 0)
    assert again.staged == [] and again.uploaded == [] and again.registered == []


def test_the_run_report_is_in_the_jobs_output_log(first_run):
    (message,) = first_run["log"]
    report = json.loads(message)["run_report"]
    assert (report["files_read"], report["rows_curated"], report["quarantined_total"]) == (3, 24, 4)


def test_glue_5_writes_the_drivers_system_log_to_the_error_group(first_run):
    # Glue 5.0: system and GlueLogger lines to `error`, the script's stdout to `output`, both in
    # the groups named after the security configuration and the role, which the stack created
    # with its key; no continuous-logging (logs-v2) group is written or created.
    (message,) = first_run["system_log"]
    assert message.endswith(": SUCCEEDED")
    error, output = first_run["log_groups"]["error"], first_run["log_groups"]["output"]
    assert error.startswith("/aws-glue/jobs/") and "-role/" in error
    assert error.endswith("/error")
    assert first_run["groups"][error]["kmsKeyId"] == first_run["groups"][output]["kmsKeyId"]
    assert not [name for name in first_run["groups"] if "logs-v2" in name]


def test_job_metrics_are_published_per_run_and_for_all_runs(first_run):
    failed_tasks = [
        {d["Name"]: d["Value"] for d in m["Dimensions"]}
        for m in first_run["metrics"]
        if m["MetricName"] == "glue.driver.aggregate.numFailedTasks"
    ]
    run_ids = {d["JobRunId"] for d in failed_tasks}
    # The alarm reads the ALL series: it must be the one Glue's metrics land in.
    assert {"ALL", first_run["run"].run_id} <= run_ids
    assert all(d["JobName"] == first_run["job"] and d["Type"] == "count" for d in failed_tasks)


def test_a_failed_run_is_reported_and_its_event_reaches_the_alarm_topic(glue_partitioned_etl):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl)
        database = stack.output("DatabaseName")
        table = stack.output("CuratedTableName")
        raw = stack.physical_id(scenario.RAW)
        aws.client("s3").put_object(
            Bucket=raw,
            Key="raw/batch-0001/events-a.json",
            Body=scenario.FIRST_BATCH["raw/batch-0001/events-a.json"],
        )
        # The curated table is gone (dropped by hand): the partitions cannot be registered.
        aws.client("glue").delete_table(DatabaseName=database, Name=table)
        runner = stack.glue_job(scenario.JOB)
        run = runner.run()
        topic = stack.physical_id(scenario.ALARM_TOPIC)
        (failure,) = [p for p in aws.events.events if p.event["detail"]["state"] == "FAILED"]
        bookmark_committed = runner.sealed_bookmark is not None
    assert not run.ok
    assert "EntityNotFoundException" in run.error
    assert failure.event["detail"]["jobRunId"] == run.run_id
    assert [(d.target, d.delivered) for d in failure.deliveries] == [(topic, True)]
    # Glue commits the bookmark only after a successful run: the next run reads the file again.
    assert not bookmark_committed


def test_the_job_role_cannot_read_outside_the_raw_prefix(glue_partitioned_etl):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl)
        raw = stack.physical_id(scenario.RAW)
        aws.client("s3").put_object(Bucket=raw, Key="elsewhere/secret.json", Body=b"{}")
        runner = stack.glue_job(scenario.JOB)
        s3 = runner.role_session("probe").client("s3")
        with pytest.raises(ClientError, match="AccessDenied"):
            s3.get_object(Bucket=raw, Key="elsewhere/secret.json")


def _job_properties(template):
    (job,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Job")
    return job["Properties"]


def test_a_flex_job_scales_like_a_standard_one_in_the_local_glue():
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=synthesized(PATTERN, flex="true"))
        job = aws.client("glue").get_job(JobName=stack.physical_id(scenario.JOB))["Job"]
    assert job["ExecutionClass"] == "FLEX"
    assert job["DefaultArguments"]["--enable-auto-scaling"] == "true"


def test_glue_refuses_to_create_a_flex_job_on_workers_flex_does_not_offer():
    def on_g4x(template):
        _job_properties(template)["WorkerType"] = "G.4X"

    with emulator(), pytest.raises(DeployError, match=r"G\.1X or G\.2X workers"):
        deploy(PATTERN, assembly=synthesized(PATTERN, flex="true"), template_hook=on_g4x)


def test_a_run_asking_glue_2_to_auto_scale_fails(glue_partitioned_etl):
    def on_glue_2(template):
        _job_properties(template)["GlueVersion"] = "2.0"

    with emulator():
        stack = deploy(PATTERN, assembly=glue_partitioned_etl, template_hook=on_glue_2)
        run = stack.glue_job(scenario.JOB).run()
    assert not run.ok
    assert "auto scaling needs Glue 3.0 or later" in run.error
