"""The local target of a scenario: a stack on the emulator, driven through AWS's APIs only.

``refarch demo`` runs a converted pattern's scenario (``refarch.scenarios``) here, through
``as_demo``, which gives it the ``(LocalStack, Trace)`` signature ``run_demo`` calls. Everything
the scenario does goes through the deployer's clients, so the IAM checks, the access record and
every event the runner delivers are the same as for a scenario written against the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

from refarch.local.emulator import Emulator
from refarch.local.identities import session_from
from refarch.local.scenario import Scenario
from refarch.local.sources.s3_on_write import notifications_on_write
from refarch.local.sources.sagemaker_on_write import registry_events_on_write
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace
from refarch.scenarios.model_artifacts import PushedImage, push_image
from refarch.scenarios.target import Check, Target, TargetScenario

#: The run id of a local run (nothing outlives it: the emulator is thrown away).
LOCAL_RUN_ID = "local"


class LocalTarget(Target):
    """A stack deployed on the emulator, as a scenario sees it.

    Waits never sleep: the runner delivers events synchronously, so a condition is usually true
    at the first poll; when it is not, each interval advances the emulator's clocks (SQS's
    visibility timeouts and delays), lets every event source mapping's poller drain what its
    queue or stream holds (Lambda polls continuously in AWS), lets each Firehose delivery
    stream deliver once its buffering interval has passed, and polls again, up to the timeout.
    """

    def __init__(self, stack: LocalStack, trace: Trace, *, run_id: str = LOCAL_RUN_ID) -> None:
        super().__init__(
            pattern_id=stack.pattern_id,
            stack_name=stack.stack_name,
            trace=trace,
            run_id=run_id,
            resources=stack.resources,
        )
        self.stack = stack
        self._virtual_seconds = 0.0

    def client(self, service: str, *, config: Any = None) -> Any:
        """Return the deployer's client for ``service`` (AdministratorAccess, IAM enforced)."""
        if config is not None:
            return self.stack.emulator.deployer.client(service, config=config)
        return self.stack.emulator.client(service)

    def _client_with(self, credentials: Mapping[str, Any], service: str) -> Any:
        return session_from(dict(credentials), self.stack.emulator.region).client(service)

    def serving_image(self, repository: str, tag: str) -> PushedImage:
        """Push a small stand-in image: the emulator pulls images but runs no containers."""
        image = push_image(
            self.client("ecr"), repository, tag, region=self.stack.emulator.region, label=tag
        )
        self.trace.line(
            f"pushed a stand-in image {image.uri} ({image.digest[:19]}…; locally only: the "
            "emulator runs the artifact's handlers, no container; live, SageMaker's "
            "scikit-learn image is copied here)"
        )
        return image

    def local_only(self, reason: str) -> LocalStack:
        """Return the local stack: locally, a step only the emulator can take is taken."""
        return self.stack

    def _now(self) -> float:
        return self._virtual_seconds

    def _pass_time(self, seconds: float) -> None:
        self._virtual_seconds += seconds
        let_time_pass(self.stack.emulator, seconds)


def let_time_pass(emulator: Emulator, seconds: float) -> None:
    """Let ``seconds`` pass in the emulator.

    SQS's clock advances, Lambda's pollers read what their queues and streams hold by now
    (in AWS they poll continuously), and each Firehose delivery stream whose buffering
    interval has elapsed delivers (``FirehoseService.pass_time``), each Glue workflow run
    started with ``StartWorkflowRun`` runs its crawler and job (``sources.glue_workflow``), and
    SageMaker brings every endpoint that is creating or updating to the end of its deployment
    (its fleet up, its traffic shifted: ``SageMakerService.complete_deployments``), runs the
    baselining jobs created meanwhile and each hourly monitoring schedule's executions
    (``ModelMonitorService.pass_time``).
    """
    emulator.queue_clock.advance(seconds)
    for poller in list(emulator.event_source_mappings.pollers.values()):
        poller.drain()
    emulator.firehose.pass_time(seconds)
    emulator.sagemaker.complete_deployments()
    emulator.model_monitor.pass_time(seconds)
    if any(
        r.resource_type == "AWS::Glue::Workflow"
        for stack in emulator.stacks.values()
        for r in stack.resources.values()  # type: ignore[attr-defined]
    ):
        from refarch.local.sources.glue_workflow import run_started_workflows

        run_started_workflows(emulator.stacks.values())  # type: ignore[arg-type]


def as_demo(
    scenario: TargetScenario, *, describe_result: Callable[[Any], str] | None = None
) -> Scenario:
    """Adapt a target scenario to ``run_demo``'s ``(stack, trace)`` signature.

    While it runs, objects written to the stack's buckets are notified as S3 notifies them
    (``notifications_on_write``), and versions registered or reviewed in the registry emit
    SageMaker's state change (``registry_events_on_write``). ``describe_result`` shortens the
    handler's return value in the trace (the Lambda service prints it).
    """

    def demo(stack: LocalStack, trace: Trace) -> list[Check]:
        with ExitStack() as active:
            active.enter_context(notifications_on_write(stack))
            active.enter_context(registry_events_on_write(stack.emulator.sagemaker))
            if describe_result is not None:
                stack.emulator.lambda_service.describe_result = describe_result
            return scenario(LocalTarget(stack, trace))

    demo.__doc__ = scenario.__doc__
    return demo
