"""The local AWS: moto in-process, offline, with IAM enforced, plus the runner's own services.

Everything else in ``refarch.local`` runs inside ``emulator()``::

    with emulator() as aws:
        stack = deploy("s3-event-processing")
        stack.s3_source("InputBucket").put_object("incoming/a.csv", b"...")
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from moto import mock_aws
from moto.core import enable_iam_authentication

from refarch.local.access_record import AccessRecorder
from refarch.local.account import LocalAccount
from refarch.local.botocore_models import shared_data_loader
from refarch.local.errors import NotInEmulatorError
from refarch.local.identities import bootstrap_deployer
from refarch.local.inference_clock import InferenceClock
from refarch.local.lambda_runtime.service import LambdaService
from refarch.local.moto_kms_keys import symmetric_keys_share_one_key_pair
from refarch.local.moto_patches import (
    Denial,
    close_xray_sdk_socket,
    lambda_invoke_routed_to,
    moto_gap_fixes,
)
from refarch.local.moto_runtime_and_states import endpoint_invocations_routed_to
from refarch.local.moto_s3_queue_notifications import s3_queue_notifications_left_to_runner
from refarch.local.moto_sqs_fifo import sqs_fifo_as_in_aws
from refarch.local.moto_states_executions import executions_answered_by
from refarch.local.offline import network_blocked, offline_environment
from refarch.local.sources.event_source_mappings import EventSourceMappings
from refarch.local.sources.events import EventBus
from refarch.local.sources.firehose import FirehoseService
from refarch.local.sources.model_monitor import ModelMonitorService
from refarch.local.sources.sagemaker import SageMakerService
from refarch.local.sources.step_functions import StepFunctionsService
from refarch.local.trace import Trace

#: The region every local run uses (the fake credentials are valid everywhere).
DEFAULT_REGION = "us-east-1"


@dataclass
class Emulator(LocalAccount):
    """One local AWS: the account (``LocalAccount``), its services, and what was deployed.

    Each service receives this account and the services it calls, and nothing else; a new
    service is built in ``_start_services`` after its collaborators (see ``account``).
    """

    denials: list[Denial] = field(default_factory=list)
    """Every request IAM denied, in order (principal, action, resource)."""

    access: AccessRecorder = field(default_factory=AccessRecorder)
    """Every request IAM allowed a role, with the statements that allowed it."""

    stacks: dict[str, object] = field(default_factory=dict)
    """The ``LocalStack`` deployed under each stack name (the deployer's; typed ``object``
    because a stack depends on the emulator, not the other way round)."""

    exports: dict[str, Any] = field(default_factory=dict)
    """Stack output exports, for ``Fn::ImportValue``."""

    lambda_service: LambdaService = field(init=False)
    firehose: FirehoseService = field(init=False)
    """The delivery streams deployed, each with its shard checkpoints."""

    events: EventBus = field(init=False)
    """The default event bus: service events matched against the rules, delivered."""

    sagemaker: SageMakerService = field(init=False)
    """SageMaker's registry events, endpoint deployments and invocations."""

    model_monitor: ModelMonitorService = field(init=False)
    """Model Monitor's schedules, baselining jobs and monitoring executions."""

    event_source_mappings: EventSourceMappings = field(init=False)
    """Lambda's pollers, one per event source mapping (``drain()`` moves the messages)."""

    inference_clock: InferenceClock = field(default_factory=InferenceClock)
    """What a client timing InvokeEndpoint reads: models' latency passes without sleeping."""

    stepfunctions: StepFunctionsService = field(init=False)
    """Executions of the state machines, on a virtual clock, under their roles."""

    def __post_init__(self) -> None:
        self._start_services()

    def _start_services(self) -> None:
        """Build each service with the account and its collaborators, callees first."""
        self.lambda_service = LambdaService(self)
        self.stepfunctions = StepFunctionsService(self)
        self.firehose = FirehoseService(self, lambda_service=self.lambda_service)
        self.events = EventBus(
            self, lambda_service=self.lambda_service, step_functions=self.stepfunctions
        )
        self.sagemaker = SageMakerService(self, events=self.events)
        self.stepfunctions.when_time_passes(self.sagemaker.complete_deployments)
        self.model_monitor = ModelMonitorService(self, events=self.events)
        self.event_source_mappings = EventSourceMappings(self, lambda_service=self.lambda_service)


_active: list[Emulator] = []


def current_emulator() -> Emulator:
    """Return the emulator of the enclosing ``emulator()`` block.

    For the public entry points only (``deploy``): a service is handed its emulator when it is
    built and never looks it up here.

    Raises:
        NotInEmulatorError: Called outside ``emulator()``.
    """
    if not _active:
        raise NotInEmulatorError("run this inside `with refarch.local.emulator():`")
    return _active[-1]


@contextmanager
def emulator(
    *, out: TextIO | None = None, region: str = DEFAULT_REGION, halt_on_denial: bool = False
) -> Iterator[Emulator]:
    """Start a local AWS for one run: moto in-process, offline, IAM enforced.

    The deployer identity is created first; every request after it is authenticated and
    authorized by moto (see ``identities``).

    Parameters
    ----------
    out:
        Where the trace is written (None: no trace).
    region:
        The region of every resource and client.
    halt_on_denial:
        Raise ``RunHalted`` at the first IAM denial, past every handler, instead of answering
        AccessDenied: for a run that only has to show that something is denied.

    Example
    -------
    >>> with emulator() as aws:  # doctest: +SKIP
    ...     stack = deploy("s3-event-processing")
    """
    with ExitStack() as stack:
        stack.enter_context(offline_environment(region))
        stack.enter_context(shared_data_loader())
        stack.enter_context(mock_aws())
        denials: list[Denial] = []
        access = AccessRecorder()
        stack.enter_context(moto_gap_fixes(denials, access, halt_on_denial=halt_on_denial))
        stack.enter_context(s3_queue_notifications_left_to_runner())
        stack.enter_context(sqs_fifo_as_in_aws())
        stack.enter_context(symmetric_keys_share_one_key_pair())
        stack.enter_context(network_blocked())
        deployer = bootstrap_deployer(region)
        stack.enter_context(enable_iam_authentication())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="refarch-local-")))
        emu = Emulator(
            region=region,
            deployer=deployer,
            trace=Trace(out),
            workdir=workdir,
            denials=denials,
            access=access,
        )
        stack.enter_context(emu.queue_clock.installed())
        stack.enter_context(lambda_invoke_routed_to(emu.lambda_service))
        stack.enter_context(emu.inference_clock.installed())
        stack.enter_context(endpoint_invocations_routed_to(emu, emu.sagemaker))
        stack.enter_context(executions_answered_by(emu.stepfunctions))
        _active.append(emu)
        try:
            yield emu
        finally:
            _active.pop()
            emu.lambda_service.shutdown()
            close_xray_sdk_socket()
