"""``verify_live()``: deploy a pattern in an account, run its scenario there, tear it all down.

The order, and the refusals before anything is created:

1. The pattern must have a scenario converted to ``refarch.scenarios`` (else: not yet converted).
2. The region must be known, the account bootstrapped (``bootstrap``), and the pattern's stack
   absent: a run deploys and deletes its own stack, never one it found.
3. It prints what will be created, the cost and the time (``plans``), and asks, unless ``yes``.
4. ``deploy`` → scenario → in a ``finally``: what the run created inside the stack's resources
   (``cleanup.BEFORE_DESTROY``: an endpoint, model versions), then ``destroy``, then every
   resource still carrying the run's tag is deleted (``cleanup``), unless ``keep``. What could
   not be deleted is reported and makes the run fail.

The trace and the closing ``OK``/``FAILED`` line read like ``refarch demo``'s.
"""

from __future__ import annotations

import secrets
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from refarch.catalog import Pattern, get
from refarch.live.account import Account
from refarch.live.bootstrap import bootstrap_problem
from refarch.live.cdk import (
    NO_CONTEXT,
    Context,
    StackDeployer,
    context_args,
    stack_exists,
    stack_resources,
)
from refarch.live.cleanup import BEFORE_DESTROY, delete_tagged
from refarch.live.plans import PLANS
from refarch.live.target import LiveTarget
from refarch.scenarios import CONVERTED
from refarch.scenarios.target import RUN_TAG, Check
from refarch.trace import Trace

#: How to report a live run (live mode has been tested against the emulator only, until people
#: run it in their accounts).
REPORT_HOW = (
    "Please report the result, pass or fail, as an issue in the project's tracker with this "
    "trace attached (e.g. `refarch verify ID --live 2>&1 | tee verify.log`)."
)


@dataclass
class LiveResult:
    """What a live run showed, and what it left."""

    pattern_id: str
    run_id: str
    checks: list[Check] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Local-only steps the scenario skipped live, with their reasons."""

    refused: str | None = None
    """Why nothing was deployed (not converted, not bootstrapped, declined...)."""

    error: str | None = None
    """Why the deploy or the scenario stopped."""

    deployed: bool = False
    torn_down: list[str] = field(default_factory=list)
    """What teardown did: the stack destroyed, each tagged resource deleted."""

    leftovers: list[str] = field(default_factory=list)
    """What teardown could not delete (``<what>: <why>``)."""

    kept: bool = False

    @property
    def ok(self) -> bool:
        """True if it ran, every check passed and nothing was left behind unasked."""
        return (
            self.refused is None
            and self.error is None
            and bool(self.checks)
            and all(check.ok for check in self.checks)
            and not self.leftovers
        )


def new_run_id(pattern_id: str) -> str:
    """A run id: the pattern, the UTC time and 4 random hex digits (a valid tag value)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{pattern_id}-{stamp}-{secrets.token_hex(2)}"


def ask(prompt: str) -> bool:
    """Ask on the terminal; only ``y``/``yes`` agrees."""
    try:
        return input(prompt).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def verify_live(
    pattern_id: str,
    *,
    account: Account,
    deployer: StackDeployer,
    yes: bool = False,
    keep: bool = False,
    confirm: Callable[[str], bool] = ask,
    out: TextIO | None = sys.stdout,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    run_id: str | None = None,
    context: Context = NO_CONTEXT,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LiveResult:
    """Deploy ``pattern_id`` in ``account``, run its scenario, tear down; report on ``out``.

    ``sleep`` and ``clock`` drive the scenario's waits (tests inject ones that never sleep);
    ``confirm`` asks before deploying unless ``yes``; ``context`` selects a variant
    (``{"fifo": "true"}``), deployed and destroyed with it.
    """
    trace = Trace(out)
    result = LiveResult(pattern_id=pattern_id, run_id=run_id or new_run_id(pattern_id))
    pattern = get(pattern_id)
    scenario = CONVERTED.get(pattern_id)
    if scenario is None:
        converted = ", ".join(sorted(CONVERTED))
        return _refuse(
            result,
            trace,
            f"{pattern_id}'s scenario is not yet converted to run live (it still reaches into the "
            f"local emulator); converted so far: {converted}. `refarch demo {pattern_id}` runs "
            "it locally.",
        )
    try:
        context_args(pattern, context)
    except ValueError as error:
        return _refuse(result, trace, str(error))
    if not account.region:
        return _refuse(result, trace, "no region: pass --region or set AWS_REGION")
    account_id = account.account_id()
    problem = bootstrap_problem(account, account_id)
    if problem:
        return _refuse(result, trace, problem)
    if stack_exists(account, pattern.stack_name):
        return _refuse(
            result,
            trace,
            f"stack {pattern.stack_name} already exists in {account_id}/{account.region}: a "
            "verification deploys and deletes a stack of its own, so it will not touch this "
            "one. Run it in another region or account.",
        )
    plan = PLANS[pattern_id]
    chosen = plan.run_context(now())
    defaults = {key: value for key, value in chosen.items() if key not in context}
    context = {**defaults, **context}
    trace.section(f"Verify {pattern_id} live in {account_id}/{account.region}")
    trace.line(f"run id {result.run_id} (tag {RUN_TAG} on everything it creates)")
    for key, value in defaults.items():
        trace.line(f"-c {key}={value}: {plan.run_context_why}")
    cdk_args = " ".join(context_args(pattern, context))
    trace.line(f"creates (cdk deploy {pattern.stack_name} {cdk_args}):")
    for item in plan.creates:
        trace.line(f"- {item}", 2)
    trace.line(f"cost: {plan.cost}")
    trace.line(f"prices: {', '.join(plan.pricing)}", 2)
    trace.line(f"time: {plan.duration}")
    trace.line(f"teardown: {plan.teardown}" + (" (skipped: --keep)" if keep else ""))
    question = f"Deploy {pattern.stack_name} to {account_id}/{account.region}? [y/N] "
    if not yes and not confirm(question):
        return _refuse(result, trace, "not confirmed: nothing was deployed")
    target: LiveTarget | None = None
    try:
        trace.section("Deploy")
        resources = deployer.deploy(pattern, result.run_id, account, context)
        result.deployed = True
        trace.line(f"deployed {pattern.stack_name}: {len(resources)} resources")
        target = LiveTarget(
            pattern_id=pattern_id,
            stack_name=pattern.stack_name,
            trace=trace,
            run_id=result.run_id,
            resources=resources,
            account=account,
            sleep=sleep,
            clock=clock,
        )
        result.checks = scenario(target)
    except Exception as error:  # the run failed; teardown below still runs, then it is reported
        result.error = f"{type(error).__name__}: {error}"
        trace.line(f"✗ {result.error}")
        trace.line(traceback.format_exc().strip().splitlines()[-2].strip(), 2)
    finally:
        if target is not None:
            result.skipped = list(target.skipped)
        _teardown(result, trace, account, deployer, pattern, keep, context)
    _report(result, trace, f"{account_id}/{account.region}")
    return result


def _teardown(
    result: LiveResult,
    trace: Trace,
    account: Account,
    deployer: StackDeployer,
    pattern: Pattern,
    keep: bool,
    context: Context,
) -> None:
    stack_name = pattern.stack_name
    trace.section("Teardown")
    if keep:
        result.kept = True
        trace.line(f"kept (--keep): {stack_name} and everything tagged {RUN_TAG}={result.run_id}")
        trace.line(
            f"delete later with: npx cdk destroy {stack_name} "
            f"{' '.join(context_args(pattern, context))} --force",
            2,
        )
        return
    _delete_runtime_resources(result, trace, account)
    try:
        deployer.destroy(pattern, result.run_id, account, context)
        result.torn_down.append(f"stack {stack_name} destroyed")
        trace.line(f"destroyed {stack_name}")
    except Exception as error:  # still delete what carries the tag, then report both
        result.leftovers.append(f"stack {stack_name}: {error}")
        trace.line(f"✗ could not destroy {stack_name}: {error}")
        _report_remaining(result, trace, stack_name, account)
    try:
        cleanup = delete_tagged(account, result.run_id)
    except Exception as error:
        result.leftovers.append(f"resources tagged {RUN_TAG}={result.run_id}: {error}")
        trace.line(f"✗ could not list the resources tagged with the run id: {error}")
        return
    for arn in cleanup.deleted:
        result.torn_down.append(f"deleted {arn}")
        trace.line(f"deleted {arn} (tagged {result.run_id})")
    for failure in cleanup.failed:
        result.leftovers.append(failure)
        trace.line(f"✗ not deleted: {failure}")
    if not cleanup.deleted and not cleanup.failed:
        trace.line(f"nothing else carries {RUN_TAG}={result.run_id}")


def _delete_runtime_resources(result: LiveResult, trace: Trace, account: Account) -> None:
    """Before ``cdk destroy``: what the run created inside the stack's resources (``cleanup``)."""
    try:
        cleanup = delete_tagged(account, result.run_id, only=BEFORE_DESTROY)
    except Exception as error:  # destroy still runs; the full cleanup after it reports again
        trace.line(f"(could not list the runtime resources before destroy: {error})")
        return
    for arn in cleanup.deleted:
        result.torn_down.append(f"deleted {arn}")
        trace.line(f"deleted {arn} (tagged {result.run_id}, before destroy)")
    for failure in cleanup.failed:
        trace.line(f"(not deleted before destroy: {failure})")


def _report_remaining(result: LiveResult, trace: Trace, stack_name: str, account: Account) -> None:
    """After a failed destroy, name what the stack still holds (IAM roles carry no tag search)."""
    try:
        remaining = stack_resources(account.client("cloudformation"), stack_name)
    except Exception as error:  # the stack may be gone after all, or unreadable: say which
        trace.line(f"(could not list what {stack_name} still holds: {error})", 2)
        return
    for resource in remaining.values():
        what = f"{resource.resource_type} {resource.physical_id} (in {stack_name})"
        result.leftovers.append(what)
        trace.line(f"✗ still there: {what}", 2)


def _refuse(result: LiveResult, trace: Trace, why: str) -> LiveResult:
    result.refused = why
    trace.line(f"✗ refused: {why}")
    return result


def _report(result: LiveResult, trace: Trace, where: str) -> None:
    trace.section("Checks")
    for check in result.checks:
        mark = "✓" if check.ok else "✗"
        trace.line(f"{mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
    for reason in result.skipped:
        trace.line(f"- skipped live (local only): {reason}")
    if result.error:
        trace.line(f"✗ {result.error}")
    for leftover in result.leftovers:
        trace.line(f"✗ left behind: {leftover}")
    verdict = "OK" if result.ok else "FAILED"
    skipped = f" ({len(result.skipped)} local-only skipped)" if result.skipped else ""
    trace.section(
        f"{verdict}: {result.pattern_id}: {sum(c.ok for c in result.checks)}/"
        f"{len(result.checks)} checks{skipped}, live in {where}, run {result.run_id}, "
        f"{len(result.leftovers)} left behind"
    )
    trace.line(REPORT_HOW)
