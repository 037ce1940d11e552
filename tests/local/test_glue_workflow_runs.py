"""Glue workflow runs started with ``StartWorkflowRun``: the triggers' order, as time passes."""

import pytest

from refarch.local import deploy, emulator
from refarch.local.sources.glue_workflow import predicate_holds
from refarch.local.target import let_time_pass
from refarch.scenarios import glue_partitioned_etl as scenario

PATTERN = "glue-partitioned-etl"


def _crawled(state):
    return {("crawler", "raw"): state}


@pytest.mark.parametrize(
    ("predicate", "states", "fires"),
    [
        ({"Conditions": [{"CrawlerName": "raw", "CrawlState": "SUCCEEDED"}]}, "SUCCEEDED", True),
        ({"Conditions": [{"CrawlerName": "raw", "CrawlState": "SUCCEEDED"}]}, "FAILED", False),
        ({"Conditions": [{"CrawlerName": "raw", "CrawlState": "SUCCEEDED"}]}, None, False),
        (
            {
                "Logical": "ANY",
                "Conditions": [
                    {"CrawlerName": "raw", "CrawlState": "SUCCEEDED"},
                    {"JobName": "etl", "State": "SUCCEEDED"},
                ],
            },
            "SUCCEEDED",
            True,
        ),
        (
            {
                "Logical": "AND",
                "Conditions": [
                    {"CrawlerName": "raw", "CrawlState": "SUCCEEDED"},
                    {"JobName": "etl", "State": "SUCCEEDED"},
                ],
            },
            "SUCCEEDED",
            False,
        ),
        ({"Conditions": []}, "SUCCEEDED", False),
    ],
)
def test_a_conditional_trigger_fires_only_when_its_predicate_holds(predicate, states, fires):
    assert predicate_holds(predicate, _crawled(states) if states else {}) is fires


def test_a_failed_crawl_completes_the_run_without_starting_the_job(glue_partitioned_etl):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl)
        iam, glue = aws.client("iam"), aws.client("glue")
        role = glue.get_crawler(Name=stack.physical_id(scenario.CRAWLER))["Crawler"]["Role"]
        role_name = role.rsplit("/", 1)[-1]
        for policy in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role_name, PolicyName=policy)
        workflow = stack.physical_id(scenario.WORKFLOW)
        run_id = glue.start_workflow_run(Name=workflow)["RunId"]
        assert glue.get_workflow_run(Name=workflow, RunId=run_id)["Run"]["Status"] == "RUNNING"
        let_time_pass(aws, scenario.WORKFLOW_POLL_SECONDS)
        run = glue.get_workflow_run(Name=workflow, RunId=run_id)["Run"]
        crawler = glue.get_crawler(Name=stack.physical_id(scenario.CRAWLER))["Crawler"]
        jobs = glue.get_job_runs(JobName=stack.physical_id(scenario.JOB))["JobRuns"]
    assert run["Status"] == "COMPLETED"
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert crawler["State"] == "READY"
    assert jobs == []
