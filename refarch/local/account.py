"""The local AWS account every emulated service works in: identity, clients, trace, clock.

The runner's dependencies run one way (``tests/local/test_local_imports.py`` fails on a cycle):

1. ``LocalAccount`` (here): the account, region, deployer session and its clients, the trace.
2. Account-wide services (``lambda_runtime.service``, ``sources.events``, ``sources.firehose``,
   ``sources.sagemaker``, ``sources.event_source_mappings``): each receives the
   ``LocalAccount`` it runs in and, by keyword, the services it calls. It never imports
   ``refarch.local.emulator``.
3. ``Emulator`` (``emulator``): the account plus its services, built callees first.
4. Per-stack drivers (``sources.s3``, ``sources.kinesis``, ``sources.glue_job``, …): built from
   a deployed stack (``StackResources``); they reach the services through ``stack.emulator``.

A new account-wide service::

    class ModelMonitor:
        def __init__(self, account: LocalAccount, *, events: EventBus) -> None: ...

    # refarch/local/emulator.py, Emulator._start_services, after its collaborators:
    self.model_monitor = ModelMonitor(self, events=self.events)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

from refarch.local.queue_clock import QueueClock
from refarch.local.trace import Trace


@dataclass
class LocalAccount:
    """One local account and region: who deploys, the clients, the trace, SQS's clock."""

    region: str
    deployer: boto3.Session
    """Signs deploy and producer requests: an IAM user with AdministratorAccess."""

    trace: Trace
    workdir: Path
    """Scratch space for function code unpacked by the Lambda runtime."""

    account_id: str = DEFAULT_ACCOUNT_ID
    partition: str = "aws"
    s3_sequencers: dict[str, int] = field(default_factory=dict)
    """The last S3 event sequencer issued per bucket (they only grow)."""

    queue_clock: QueueClock = field(default_factory=QueueClock)
    """SQS's clock: visibility timeouts and batching windows pass without sleeping."""

    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """Return the deployer's client for ``service`` (created once)."""
        if service not in self._clients:
            self._clients[service] = self.deployer.client(service)
        return self._clients[service]
