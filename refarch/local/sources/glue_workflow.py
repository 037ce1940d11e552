"""Glue workflow runs started with ``StartWorkflowRun``: the crawler, then the job, as time passes.

moto records a ``StartWorkflowRun`` and leaves the run ``RUNNING``. When time passes in the
emulator (``refarch.local.target.let_time_pass``), each started run of a deployed stack's
workflow is run as Glue runs it (https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html):

1. the start trigger's actions (here the crawler, ``sources.glue_crawler``, as its role);
2. each conditional trigger of the workflow whose predicate holds for what ran in this run
   (``crawler SUCCEEDED`` → the job, ``sources.glue_job``, as its role), until none fires;
3. the run becomes ``COMPLETED`` (Glue completes a workflow run whose actions failed too; the
   failures are in the run's statistics and its actions' own states).

What ran is recorded where Glue's API reports it: the crawl as the crawler's ``LastCrawl``
(``GetCrawler``), the job run in ``GetJobRuns`` with the ``--WORKFLOW_NAME`` and
``--WORKFLOW_RUN_ID`` arguments Glue passes a job a workflow starts
(https://docs.aws.amazon.com/glue/latest/dg/workflow-run-properties-code.html) and its log
group (``LogGroupName``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from moto.glue.models import FakeCrawl, FakeJobRun, glue_backends

if TYPE_CHECKING:
    from refarch.local.sources.glue_crawler import Crawl, GlueCrawler
    from refarch.local.sources.glue_job import GlueJobRunner, JobRun

WORKFLOW = "AWS::Glue::Workflow"


class GlueStack(Protocol):
    """A deployed stack with one runner per crawler and per job (``LocalStack``)."""

    emulator: Any
    resources: Any

    def glue_crawler(self, crawler: str) -> GlueCrawler: ...  # noqa: D102

    def glue_job(self, job: str) -> GlueJobRunner: ...  # noqa: D102


class _FinishedCrawl(FakeCrawl):
    """A crawl the runner ran, as ``GetCrawler``'s ``LastCrawl`` reports it."""

    def __init__(self, crawl: Crawl, log_group: str) -> None:
        super().__init__(crawl.crawler_name)
        self.crawl_id = self.message_prefix = crawl.crawl_id
        self.log_group = log_group
        self._final = crawl.state
        self.end_time = datetime.now(UTC)

    @property  # type: ignore[override]
    def status(self) -> str:
        return self._final

    @status.setter
    def status(self, value: str) -> None:
        self._final = value


class _FinishedJobRun(FakeJobRun):
    """A job run the runner ran, as ``GetJobRuns`` reports it."""

    def __init__(self, run: JobRun, arguments: dict[str, str], log_group: str) -> None:
        super().__init__(job_name=run.job_name, arguments=arguments)
        self.job_run_id = run.run_id
        self._final = run.state
        self._error = run.error
        self._log_group = log_group

    @property  # type: ignore[override]
    def status(self) -> str:
        return self._final

    @status.setter
    def status(self, value: str) -> None:
        self._final = value

    def as_dict(self) -> dict[str, Any]:
        shown = {**super().as_dict(), "LogGroupName": self._log_group}
        if self._error:
            shown["ErrorMessage"] = self._error
        return shown


def run_started_workflows(stacks: Iterable[GlueStack]) -> None:
    """Run every ``RUNNING`` run of each deployed stack's Glue workflows to completion."""
    for stack in list(stacks):
        for resource in stack.resources.values():
            if resource.resource_type == WORKFLOW:
                _run_workflow(stack, resource.physical_id)


def _run_workflow(stack: GlueStack, name: str) -> None:
    emulator = stack.emulator
    backend = glue_backends[emulator.account_id][emulator.region]
    workflow = backend.workflows.get(name)
    if workflow is None:
        return
    triggers = [t.as_dict() for t in backend.triggers.values()]
    triggers = [t for t in triggers if t.get("WorkflowName") == name]
    for run in list(workflow.runs.values()):
        if run.status != "RUNNING":
            continue
        emulator.trace.line(f"Glue runs the workflow {name} ({run.run_id})")
        states: dict[tuple[str, str], str] = {}
        fired: set[str] = set()
        for trigger in triggers:
            if trigger["Type"] in ("SCHEDULED", "ON_DEMAND", "EVENT"):
                fired.add(trigger["Name"])
                _act(stack, trigger, name, run.run_id, states)
        while True:
            ready = [
                t
                for t in triggers
                if t["Type"] == "CONDITIONAL"
                and t["Name"] not in fired
                and predicate_holds(t.get("Predicate", {}), states)
            ]
            if not ready:
                break
            for trigger in ready:
                fired.add(trigger["Name"])
                _act(stack, trigger, name, run.run_id, states)
        run.status = "COMPLETED"
        run.completed_on = datetime.now(UTC)


def predicate_holds(predicate: dict[str, Any], states: dict[tuple[str, str], str]) -> bool:
    """Whether a trigger's predicate holds for the states of this run's actions."""
    results = [
        states.get(("crawler", c["CrawlerName"])) == c["CrawlState"]
        if "CrawlerName" in c
        else states.get(("job", c.get("JobName", ""))) == c.get("State")
        for c in predicate.get("Conditions", [])
    ]
    if not results:
        return False
    return any(results) if predicate.get("Logical") == "ANY" else all(results)


def _act(
    stack: GlueStack,
    trigger: dict[str, Any],
    workflow: str,
    run_id: str,
    states: dict[tuple[str, str], str],
) -> None:
    """Take a trigger's actions: crawl, or run the job, and record the outcome in moto."""
    emulator = stack.emulator
    backend = glue_backends[emulator.account_id][emulator.region]
    for action in trigger.get("Actions", []):
        if "CrawlerName" in action:
            crawler = stack.glue_crawler(action["CrawlerName"])
            crawl = crawler.crawl()
            states[("crawler", crawler.name)] = crawl.state
            backend.crawlers[crawler.name].crawls.append(_FinishedCrawl(crawl, crawler.log_group()))
        elif "JobName" in action:
            job = stack.glue_job(action["JobName"])
            job_run = job.run()
            states[("job", job.job_name)] = job_run.state
            arguments = {
                **job.arguments,
                **action.get("Arguments", {}),
                "--WORKFLOW_NAME": workflow,
                "--WORKFLOW_RUN_ID": run_id,
            }
            backend.jobs[job.job_name].job_runs.append(
                _FinishedJobRun(job_run, arguments, job.log_group("output").rsplit("/", 1)[0])
            )
