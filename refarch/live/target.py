"""The live target of a scenario: the stack ``cdk deploy`` created, with the caller's credentials.

Waits poll at the scenario's interval with the injected ``sleep`` (a test passes one that only
records).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from refarch.live.account import Account
from refarch.scenarios.target import Resource, Target
from refarch.trace import Trace


class LiveTarget(Target):
    """A deployed stack in an account (or an endpoint standing in for one)."""

    def __init__(
        self,
        *,
        pattern_id: str,
        stack_name: str,
        trace: Trace,
        run_id: str,
        resources: Mapping[str, Resource],
        account: Account,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            pattern_id=pattern_id,
            stack_name=stack_name,
            trace=trace,
            run_id=run_id,
            resources=resources,
            live=True,
        )
        self.account = account
        self._sleep = sleep
        self._clock = clock

    def client(self, service: str, *, config: Any = None) -> Any:
        """Return the caller's client for ``service`` in the run's region."""
        if config is not None:
            extra = {"endpoint_url": self.account.endpoint_url} if self.account.endpoint_url else {}
            return self.account.session.client(service, config=config, **extra)
        return self.account.client(service)

    def _client_with(self, credentials: Mapping[str, Any], service: str) -> Any:
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.account.region,
        )
        extra = {"endpoint_url": self.account.endpoint_url} if self.account.endpoint_url else {}
        return session.client(service, **extra)

    def _now(self) -> float:
        return self._clock()

    def _pass_time(self, seconds: float) -> None:
        self._sleep(seconds)
