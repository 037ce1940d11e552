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
from typing import TYPE_CHECKING, Any, TextIO

import boto3
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID, enable_iam_authentication

from refarch.local.access_record import AccessRecorder
from refarch.local.errors import NotInEmulatorError
from refarch.local.identities import bootstrap_deployer
from refarch.local.inference_clock import InferenceClock
from refarch.local.moto_patches import Denial, close_xray_sdk_socket, moto_gap_fixes
from refarch.local.moto_s3_queue_notifications import s3_queue_notifications_left_to_runner
from refarch.local.offline import network_blocked, offline_environment
from refarch.local.queue_clock import QueueClock
from refarch.local.trace import Trace

if TYPE_CHECKING:
    from refarch.local.lambda_runtime.service import LambdaService
    from refarch.local.sources.event_source_mappings import EventSourceMappings
    from refarch.local.sources.events import EventBus
    from refarch.local.sources.firehose import FirehoseService
    from refarch.local.sources.sagemaker import SageMakerService
    from refarch.local.sources.step_functions import StepFunctionsService
    from refarch.local.stack import LocalStack

#: The region every local run uses (the fake credentials are valid everywhere).
DEFAULT_REGION = "us-east-1"


@dataclass
class Emulator:
    """The state of one local AWS: who deploys, what was deployed, what was denied."""

    region: str
    deployer: boto3.Session
    """Signs deploy and producer requests: an IAM user with AdministratorAccess."""

    trace: Trace
    workdir: Path
    """Scratch space for function code unpacked by the Lambda runtime."""

    account_id: str = DEFAULT_ACCOUNT_ID
    partition: str = "aws"
    denials: list[Denial] = field(default_factory=list)
    """Every request IAM denied, in order (principal, action, resource)."""

    access: AccessRecorder = field(default_factory=AccessRecorder)
    """Every request IAM allowed a role, with the statements that allowed it."""

    stacks: dict[str, LocalStack] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)
    """Stack output exports, for ``Fn::ImportValue``."""

    s3_sequencers: dict[str, int] = field(default_factory=dict)
    """The last S3 event sequencer issued per bucket (they only grow)."""

    lambda_service: LambdaService = field(init=False)
    firehose: FirehoseService = field(init=False)
    """The delivery streams deployed, each with its shard checkpoints."""

    events: EventBus = field(init=False)
    """The default event bus: service events matched against the rules, delivered."""

    sagemaker: SageMakerService = field(init=False)
    """SageMaker's registry events, endpoint deployments and invocations."""

    event_source_mappings: EventSourceMappings = field(init=False)
    """Lambda's pollers, one per event source mapping (``drain()`` moves the messages)."""

    queue_clock: QueueClock = field(default_factory=QueueClock)
    """SQS's clock: visibility timeouts and batching windows pass without sleeping."""

    inference_clock: InferenceClock = field(default_factory=InferenceClock)
    """What a client timing InvokeEndpoint reads: models' latency passes without sleeping."""

    stepfunctions: StepFunctionsService = field(init=False)
    """Executions of the state machines, on a virtual clock, under their roles."""

    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        from refarch.local.lambda_runtime.service import LambdaService
        from refarch.local.sources.event_source_mappings import EventSourceMappings
        from refarch.local.sources.events import EventBus
        from refarch.local.sources.firehose import FirehoseService
        from refarch.local.sources.sagemaker import SageMakerService
        from refarch.local.sources.step_functions import StepFunctionsService

        self.stepfunctions = StepFunctionsService(self)
        self.lambda_service = LambdaService(self)
        self.firehose = FirehoseService(self)
        self.events = EventBus(self)
        self.sagemaker = SageMakerService(self)
        self.event_source_mappings = EventSourceMappings(self)

    def client(self, service: str) -> Any:
        """Return the deployer's client for ``service`` (created once)."""
        if service not in self._clients:
            self._clients[service] = self.deployer.client(service)
        return self._clients[service]


_active: list[Emulator] = []


def current_emulator() -> Emulator:
    """Return the emulator of the enclosing ``emulator()`` block.

    Raises:
        NotInEmulatorError: Called outside ``emulator()``.
    """
    if not _active:
        raise NotInEmulatorError("run this inside `with refarch.local.emulator():`")
    return _active[-1]


@contextmanager
def emulator(*, out: TextIO | None = None, region: str = DEFAULT_REGION) -> Iterator[Emulator]:
    """Start a local AWS for one run: moto in-process, offline, IAM enforced.

    The deployer identity is created first; every request after it is authenticated and
    authorized by moto (see ``identities``).

    Parameters
    ----------
    out:
        Where the trace is written (None: no trace).
    region:
        The region of every resource and client.

    Example
    -------
    >>> with emulator() as aws:  # doctest: +SKIP
    ...     stack = deploy("s3-event-processing")
    """
    with ExitStack() as stack:
        stack.enter_context(offline_environment(region))
        stack.enter_context(mock_aws())
        denials: list[Denial] = []
        access = AccessRecorder()
        stack.enter_context(moto_gap_fixes(denials, access))
        stack.enter_context(s3_queue_notifications_left_to_runner())
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
        stack.enter_context(emu.inference_clock.installed())
        _active.append(emu)
        try:
            yield emu
        finally:
            _active.pop()
            emu.lambda_service.shutdown()
            close_xray_sdk_socket()
