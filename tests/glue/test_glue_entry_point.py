"""job.py: importable without awsglue; with a stand-in awsglue, wired as Glue needs it.

The stand-in records what the script asks of Glue (the bookmarked read, the commit) and serves
it with local Spark; the Data Catalog is moto's. The script's own code runs end to end.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType, SimpleNamespace

import boto3
import pytest
from moto import mock_aws
from raw_events import event, write_lines

pytestmark = pytest.mark.spark


def test_job_module_imports_without_awsglue():
    import job

    assert "awsglue" not in sys.modules
    assert job.JOB_ARGUMENTS


def test_the_stack_passes_every_argument_the_job_reads():
    import job
    from assemblies import synthesized

    template = synthesized("glue-partitioned-etl").template
    (definition,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Job")
    passed = {name.removeprefix("--") for name in definition["Properties"]["DefaultArguments"]}
    # getResolvedOptions fails the run on a missing argument: every one must be in the template.
    assert set(job.JOB_ARGUMENTS) <= passed


class FakeFrame:
    """A DynamicFrame over a DataFrame."""

    def __init__(self, df, calls):
        self._df, self._calls = df, calls

    def resolveChoice(self, choice):
        self._calls.append(("resolveChoice", choice))
        return self

    def toDF(self):
        return self._df

    def errorsAsDynamicFrame(self):
        return FakeFrame(self._df.sparkSession.createDataFrame([], "error string"), self._calls)


def fake_awsglue(spark, calls) -> dict[str, ModuleType]:
    """Modules standing in for awsglue.context, .dynamicframe, .job and .utils."""

    def from_options(
        connection_type, connection_options, format, transformation_ctx, format_options=None
    ):
        format_options = format_options or {}
        calls.append(("read", connection_type, format, transformation_ctx, connection_options))
        calls.append(("format_options", format_options))
        from job_bookmark import list_input_files
        from pyspark.sql import functions as F

        # Glue lists the paths recursively and leaves out the excluded files.
        exclusions = json.loads(connection_options.get("exclusions", "[]"))
        files = [
            f.path for p in connection_options["paths"] for f in list_input_files(p, exclusions)
        ]
        df = spark.read.json(files)
        # `attachFilename` names each record's source file in a column of its own.
        if "attachFilename" in format_options:
            df = df.withColumn(format_options["attachFilename"], F.input_file_name())
        # What toDF() gives: rows that are no file scan of Spark's, so input_file_name() is "".
        return FakeFrame(spark.createDataFrame(df.rdd, df.schema), calls)

    class GlueContext:
        def __init__(self, spark_context):
            self.spark_session = spark
            self.create_dynamic_frame = SimpleNamespace(from_options=from_options)

    class Job:
        def __init__(self, glue_context):
            pass

        def init(self, name, args):
            calls.append(("init", name))

        def commit(self):
            calls.append(("commit",))

    def get_resolved_options(argv, names):
        pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
        return {name: pairs[f"--{name}"] for name in names}

    modules = {name: ModuleType(name) for name in ("awsglue", "awsglue.context", "awsglue.job")}
    modules["awsglue.context"].GlueContext = GlueContext
    modules["awsglue.job"].Job = Job
    modules["awsglue.utils"] = ModuleType("awsglue.utils")
    modules["awsglue.utils"].getResolvedOptions = get_resolved_options
    return modules


@pytest.fixture
def catalog():
    """moto's Data Catalog with the curated table (partitioned by year/month/day)."""
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": "lake"})
        glue.create_table(
            DatabaseName="lake",
            TableInput={
                "Name": "events",
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in ("year", "month", "day")],
                "StorageDescriptor": {"Location": "s3://lake/curated/"},
            },
        )
        yield glue


def test_main_reads_with_the_bookmark_writes_partitions_registers_them_then_commits(
    spark, tmp_path, monkeypatch, capsys, catalog
):
    import job
    from curated_dataset import read_curated, read_quarantine

    calls: list[tuple] = []
    for name, module in fake_awsglue(spark, calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    write_lines(tmp_path / "raw" / "a.json", [event(n) for n in range(5)] + [event(7, day=1)])
    write_lines(tmp_path / "raw" / "b.json", [event(9, event_type="tap")])
    paths = {
        "raw_path": str(tmp_path / "raw"),
        "curated_path": str(tmp_path / "curated"),
        "quarantine_path": str(tmp_path / "quarantine"),
    }
    write_lines(tmp_path / "raw" / "batch.metadata", [{"not": "data"}])
    argv = ["job.py", "--JOB_NAME", "raw-to-curated", "--database", "lake", "--table", "events"]
    argv += [item for name, value in paths.items() for item in (f"--{name}", value)]
    argv += ["--exclusions", json.dumps(["**.metadata"])]

    job.main(argv)

    assert [call[0] for call in calls] == [
        "init",
        "read",
        "format_options",
        "resolveChoice",
        "commit",
    ]
    assert calls[2] == ("format_options", {"attachFilename": "source_file"})
    read = calls[1]
    assert read[1:4] == ("s3", "json", job.READ_CONTEXT)
    assert read[4] == {
        "paths": [paths["raw_path"]],
        "recurse": True,
        "exclusions": json.dumps(["**.metadata"]),
    }
    curated = read_curated(spark, paths["curated_path"])
    assert curated.count() == 6
    days = {tuple(r) for r in curated.select("year", "month", "day").distinct().collect()}
    (rejected,) = read_quarantine(spark, paths["quarantine_path"]).collect()
    # The rejected row says which file it came from: the reader's attached column.
    assert rejected["source_file"].endswith("/raw/b.json")
    registered = catalog.get_partitions(DatabaseName="lake", TableName="events")["Partitions"]
    assert {tuple(p["Values"]) for p in registered} == days
    assert len(days) == 2
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_report"]
    assert (report["files_read"], report["rows_curated"]) == (2, 6)
    assert report["rows_quarantined"] == {"unknown_event_type": 1}
