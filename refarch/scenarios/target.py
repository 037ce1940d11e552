"""What a scenario drives: a deployed pattern, reached only through AWS APIs.

A scenario (``refarch/scenarios/<module>.py``) is one function, ``run(target) -> list[Check]``,
and the same code runs against two targets:

- ``refarch.local.target.LocalTarget`` (``refarch demo``): the stack deployed on the local
  emulator. The runner plays AWS's side (S3 delivers a PutObject's notification, Lambda retries
  an event and dead-letters it) synchronously, so a wait finds its condition true at once, and
  when it does not, the emulator's clocks advance instead of sleeping.
- ``refarch.live.target.LiveTarget`` (``refarch verify --live``): the stack deployed with
  ``cdk deploy`` in an account. AWS plays its side; a wait polls at its documented interval.

The rules a scenario keeps, so that both targets run it:

1. Drive the pattern only through AWS APIs (``target.client("s3").put_object(...)``, ``Invoke``,
   ``SendMessage``), with the deployer's (or the verifying user's) credentials.
2. Observe only what AWS exposes: objects, queue messages, log events, metrics, configuration
   (``refarch.scenarios.observe``).
3. Wait with ``target.wait_until`` (bounded; the interval and timeout say which AWS behaviour
   they wait for, with its documentation), never ``time.sleep``.
4. Tag whatever it creates at runtime with ``target.tags``: teardown finds it by the run id.
5. A step or check that exists only in the emulator (S3 delivering the same event twice, the
   event a function received) runs under ``target.local_only(reason)``: the local stack there,
   ``None`` live, where the reason is printed and the check counted as skipped.
6. The image model versions run comes from ``target.serving_image(repository, tag)``, one call
   for both targets: live, SageMaker's prebuilt scikit-learn image copied into the stack's
   repository (SageMaker runs it); locally a small stand-in pushed (the emulator runs no
   containers, only the artifact's handlers). Each says so in the trace.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from refarch.scenarios.model_artifacts import PushedImage
from refarch.trace import Trace

#: The tag every resource a verification run creates carries (stack resources through
#: ``cdk deploy --tags``, runtime resources through ``target.tags``); teardown deletes by it.
RUN_TAG = "refarch:run-id"

T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """One expectation of a scenario, and whether it held."""

    name: str
    ok: bool
    detail: str = ""


class Resource(Protocol):
    """A deployed resource as a scenario sees it (local or live)."""

    @property
    def logical_id(self) -> str: ...  # noqa: D102

    @property
    def resource_type(self) -> str: ...  # noqa: D102

    @property
    def physical_id(self) -> str: ...  # noqa: D102


@dataclass(frozen=True)
class DeployedResource:
    """One resource of a deployed stack (``DescribeStackResources``)."""

    logical_id: str
    resource_type: str
    physical_id: str
    """What ``Ref`` returns: a bucket name, a queue URL, a function name…"""


R = TypeVar("R", bound=Resource)


def find_resource(resources: Mapping[str, R], name: str, owner: str) -> R:
    """Return a resource by logical id, by a unique logical-id prefix, or by physical id.

    CDK appends an 8-character hash to logical ids: ``find_resource(r, "InputBucket", …)`` finds
    ``InputBucket35D89CB1``; otherwise a prefix must match exactly one resource.

    Raises:
        KeyError: No resource, or more than one, matches (``owner`` names the stack).
    """
    if name in resources:
        return resources[name]
    hashed = re.compile(re.escape(name) + "[0-9A-F]{8}")
    matches: list[R] = []
    for finder in (
        lambda i, r: r.physical_id == name,
        lambda i, r: hashed.fullmatch(i) is not None,
        lambda i, r: i.startswith(name),
    ):
        matches = [r for i, r in resources.items() if finder(i, r)]
        if matches:
            break
    if len(matches) != 1:
        found = ", ".join(r.logical_id for r in matches) or "none"
        raise KeyError(f"{owner}: {name!r} matches {found}")
    return matches[0]


class WaitTimedOut(Exception):
    """A condition a scenario waited for did not hold within its timeout."""


@dataclass
class Target(ABC):
    """A deployed pattern a scenario drives: clients, resources, bounded waits, the trace."""

    pattern_id: str
    stack_name: str
    trace: Trace
    run_id: str
    resources: Mapping[str, Resource]
    skipped: list[str] = field(default_factory=list)
    """The reasons of the local-only steps and checks this target skipped (live only)."""

    #: True when AWS itself plays its side (a real account, or an endpoint standing in for it).
    live: bool = False

    @abstractmethod
    def client(self, service: str, *, config: Any = None) -> Any:
        """Return a boto3 client for ``service`` in the target's account and region.

        ``config`` (a ``botocore.config.Config``) gives a client of its own, e.g. with
        ``account_id_endpoint_mode="disabled"`` to address a service's regional endpoint.
        """

    @abstractmethod
    def _now(self) -> float:
        """Seconds on the clock waits are measured with."""

    @abstractmethod
    def _pass_time(self, seconds: float) -> None:
        """Let ``seconds`` pass between two polls (live: sleep; local: advance the clocks)."""

    def resource(self, name: str) -> Resource:
        """Return a resource by logical id, unique prefix or physical id (``find_resource``)."""
        return find_resource(self.resources, name, self.stack_name)

    def physical_id(self, name: str) -> str:
        """Return what ``Ref`` gives for a resource (see ``resource`` for the lookup)."""
        return self.resource(name).physical_id

    def of_type(self, resource_type: str) -> list[Resource]:
        """Return the stack's resources of one type (``AWS::S3::Bucket``…)."""
        return [r for r in self.resources.values() if r.resource_type == resource_type]

    @property
    def tags(self) -> dict[str, str]:
        """The tags for anything the scenario creates at runtime (teardown deletes by them)."""
        return {RUN_TAG: self.run_id}

    def client_as(self, role_arn: str, service: str, *, session_name: str) -> Any:
        """Return a client for ``service`` under ``role_arn``, assumed with ``sts:AssumeRole``.

        For a step an application takes under a role of the stack (a producer role that trusts
        the account): the caller assumes it, as the application would, and calls as it.
        """
        credentials = self.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=session_name
        )["Credentials"]
        return self._client_with(credentials, service)

    def _client_with(self, credentials: Mapping[str, Any], service: str) -> Any:
        """Return a client for ``service`` signing with ``AssumeRole``'s ``credentials``."""
        raise NotImplementedError(f"{type(self).__name__} cannot call as an assumed role")

    def serving_image(self, repository: str, tag: str) -> PushedImage:
        """Put the image model versions run into ``repository`` as ``tag`` (rule 6)."""
        raise NotImplementedError(f"{type(self).__name__} provides no serving image")

    def local_only(self, reason: str) -> Any | None:
        """Return the local stack for a step only the emulator can take; None (and say so) live.

        ``reason`` says why the step cannot be taken through AWS's APIs; live, it is printed
        and counted in ``skipped``.
        """
        self.skipped.append(reason)
        self.trace.line(f"- skipped live (local only): {reason}")
        return None

    def let_settle(self, description: str, seconds: float) -> None:
        """Let a documented propagation delay pass before the next step (no polling possible).

        For a change AWS applies eventually with nothing to observe it by (a bucket's
        notification configuration "usually takes about five minutes" to take effect). Locally
        the emulator's clocks advance; live the target sleeps.
        """
        self.trace.line(f"(letting {seconds:.0f} s pass: {description})")
        self._pass_time(seconds)

    def wait_until(
        self,
        description: str,
        predicate: Callable[[], T],
        *,
        timeout: float,
        interval: float,
    ) -> T:
        """Poll ``predicate`` every ``interval`` seconds until it returns a truthy value.

        The first poll is immediate; there are at most ``timeout / interval`` more.

        Returns:
            The predicate's first truthy value.

        Raises:
            WaitTimedOut: It was still falsy after ``timeout`` seconds.
        """
        start = self._now()
        for _ in range(math.ceil(timeout / interval) + 1):
            value = predicate()
            if value:
                waited = self._now() - start
                if waited >= interval:
                    self.trace.line(f"(waited {waited:.0f} s: {description})", 2)
                return value
            if self._now() - start >= timeout:
                break
            self._pass_time(interval)
        raise WaitTimedOut(
            f"{description}: still not true after {timeout:.0f} s (polled every {interval:.0f} s)"
        )


#: A scenario: drives the target's pattern through AWS APIs, writes the trace, returns checks.
TargetScenario = Callable[[Target], list[Check]]
