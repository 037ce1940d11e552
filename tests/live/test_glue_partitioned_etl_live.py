"""glue-partitioned-etl through ``refarch verify --live``'s code path, against the stand-in.

The scenario starts the workflow with ``StartWorkflowRun`` over HTTP; while the run sleeps, the
stand-in runs each started workflow run (the crawler, then the job, each as its role), as Glue
does all along in AWS, and the scenario reads the outcome back through ``GetWorkflowRun``,
``GetCrawler``, ``GetJobRuns`` and the job run's output log.
"""

from __future__ import annotations

import pytest
from assemblies import synthesized
from complete_runs import complete_run
from emulated_account import emulated_account, verify_on_stand_in

from refarch.live.cleanup import DELETERS, _kind
from refarch.scenarios.glue_partitioned_etl import WORKFLOW_POLL_SECONDS

PATTERN = "glue-partitioned-etl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_run():
    return verify_on_stand_in(PATTERN, synthesized(PATTERN))


def test_the_scenario_passes_through_the_live_path(live_run):
    result, trace, _, calls, _ = live_run
    assert result.ok, trace
    assert calls == ["deploy", "destroy"]
    assert result.error is None and result.leftovers == []
    assert "OK: glue-partitioned-etl: 13/13 checks (2 local-only skipped)" in trace
    assert result.skipped == [
        "which files a crawl listed, excluded and read is not observable",
        "only AWS services put aws.glue events on the bus; the rule's pattern is tested instead",
    ]


def test_each_workflow_run_completes_once_time_has_passed(live_run):
    # A started run is RUNNING at the first poll; one interval later its crawl and job are done.
    *_, clock = live_run
    assert clock.sleeps == [WORKFLOW_POLL_SECONDS] * 2


def test_the_workflow_is_started_and_read_over_http(live_run):
    _, trace, requests, _, _ = live_run
    assert trace.count("→ StartWorkflowRun GluePartitionedEtl-Workflow") == 2
    assert trace.count("← run COMPLETED; crawl SUCCEEDED; job run jr_") == 2
    assert "FAILED matches True, SUCCEEDED False" in trace
    assert any('"POST / HTTP' in line for line in requests)


def test_the_demo_runs_the_same_scenario_with_two_checks_more():
    local = complete_run(PATTERN)  # the demo's run, shared (complete_runs)
    assert local.ok
    assert len(local.checks) == 15


def test_cleanup_knows_glue_resources():
    # moto's tagging API does not list Glue resources (AWS's does): the deleters directly.
    with emulated_account() as stand_in:
        glue = stand_in.client("glue")
        role = "arn:aws:iam::123456789012:role/glue"
        glue.create_database(DatabaseInput={"Name": "lake"})
        glue.create_table(DatabaseName="lake", TableInput={"Name": "raw_raw"})
        glue.create_crawler(
            Name="crawl", Role=role, Targets={"S3Targets": [{"Path": "s3://raw/raw/"}]}
        )
        glue.create_job(Name="etl", Role=role, Command={"Name": "glueetl"})
        glue.create_workflow(Name="flow")
        glue.create_trigger(
            Name="start", Type="ON_DEMAND", Actions=[{"CrawlerName": "crawl"}], WorkflowName="flow"
        )
        prefix = "arn:aws:glue:us-east-1:123456789012"
        for arn in (
            f"{prefix}:trigger/start",
            f"{prefix}:workflow/flow",
            f"{prefix}:job/etl",
            f"{prefix}:crawler/crawl",
            f"{prefix}:database/lake",
        ):
            DELETERS[_kind(arn)](stand_in.account, arn)
        assert glue.get_triggers()["Triggers"] == []
        assert glue.list_workflows()["Workflows"] == []
        assert glue.get_jobs()["Jobs"] == []
        assert glue.get_crawlers()["Crawlers"] == []
        assert glue.get_databases()["DatabaseList"] == []
