"""job.py: importable without awsglue; with a stand-in awsglue, wired as Glue needs it.

The stand-in records what the script asks of Glue (the bookmarked read, the catalog-updating
sink, the commit) and serves it with local Spark, so the script's own code runs end to end.
"""

from __future__ import annotations

import json
import sys
from types import ModuleType, SimpleNamespace

import pytest
from raw_events import event, write_lines

pytestmark = pytest.mark.spark


def test_job_module_imports_without_awsglue():
    import job

    assert "awsglue" not in sys.modules
    assert job.JOB_ARGUMENTS == ("raw_path", "curated_path", "quarantine_path", "database", "table")


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


class FakeSink:
    """Glue's S3 sink: records its settings, writes partitioned Parquet like glueparquet."""

    def __init__(self, calls, options):
        self._calls, self.options = calls, options
        calls.append(("getSink", options))

    def setFormat(self, fmt, **options):
        self._calls.append(("setFormat", fmt, options))

    def setCatalogInfo(self, catalogDatabase, catalogTableName):
        self._calls.append(("setCatalogInfo", catalogDatabase, catalogTableName))

    def writeFrame(self, frame):
        self._calls.append(("writeFrame",))
        frame.toDF().write.mode("append").partitionBy(*self.options["partitionKeys"]).parquet(
            self.options["path"]
        )


def fake_awsglue(spark, calls) -> dict[str, ModuleType]:
    """Modules standing in for awsglue.context, .dynamicframe, .job and .utils."""

    def from_options(connection_type, connection_options, format, transformation_ctx):
        calls.append(("read", connection_type, format, transformation_ctx, connection_options))
        df = spark.read.option("recursiveFileLookup", "true").json(connection_options["paths"])
        return FakeFrame(df, calls)

    class GlueContext:
        def __init__(self, spark_context):
            self.spark_session = spark
            self.create_dynamic_frame = SimpleNamespace(from_options=from_options)

        def getSink(self, **options):
            return FakeSink(calls, options)

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

    class DynamicFrame:
        @staticmethod
        def fromDF(df, glue_context, name):
            return FakeFrame(df, calls)

    modules = {name: ModuleType(name) for name in ("awsglue", "awsglue.context", "awsglue.job")}
    modules["awsglue.context"].GlueContext = GlueContext
    modules["awsglue.job"].Job = Job
    modules["awsglue.dynamicframe"] = ModuleType("awsglue.dynamicframe")
    modules["awsglue.dynamicframe"].DynamicFrame = DynamicFrame
    modules["awsglue.utils"] = ModuleType("awsglue.utils")
    modules["awsglue.utils"].getResolvedOptions = get_resolved_options
    return modules


def test_main_reads_with_the_bookmark_writes_through_the_catalog_sink_then_commits(
    spark, tmp_path, monkeypatch, capsys
):
    import job
    from curated_dataset import read_curated, read_quarantine

    calls: list[tuple] = []
    for name, module in fake_awsglue(spark, calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    write_lines(
        tmp_path / "raw" / "a.json", [event(n) for n in range(5)] + [event(9, event_type="tap")]
    )
    paths = {
        "raw_path": str(tmp_path / "raw"),
        "curated_path": str(tmp_path / "curated"),
        "quarantine_path": str(tmp_path / "quarantine"),
    }
    argv = ["job.py", "--JOB_NAME", "raw-to-curated", "--database", "lake", "--table", "events"]
    argv += [item for name, value in paths.items() for item in (f"--{name}", value)]

    job.main(argv)

    steps = [call[0] for call in calls]
    assert steps == [
        "init",
        "read",
        "resolveChoice",
        "getSink",
        "setFormat",
        "setCatalogInfo",
        "writeFrame",
        "commit",
    ]
    read = calls[steps.index("read")]
    assert read[1:4] == ("s3", "json", job.READ_CONTEXT)
    assert read[4] == {"paths": [paths["raw_path"]], "recurse": True}
    sink_options = calls[steps.index("getSink")][1]
    assert sink_options["enableUpdateCatalog"] is True
    assert sink_options["updateBehavior"] == "UPDATE_IN_DATABASE"
    assert sink_options["partitionKeys"] == ["year", "month", "day"]
    assert calls[steps.index("setFormat")][1] == "glueparquet"
    assert calls[steps.index("setCatalogInfo")][1:] == ("lake", "events")
    assert read_curated(spark, paths["curated_path"]).count() == 5
    assert read_quarantine(spark, paths["quarantine_path"]).count() == 1
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_report"]
    assert (report["files_read"], report["rows_curated"]) == (1, 5)
    assert report["rows_quarantined"] == {"unknown_event_type": 1}
