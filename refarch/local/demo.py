"""``run_demo()``: deploy a pattern locally, drive its scenario, check what landed, report.

``refarch demo <id>`` calls it and exits non-zero unless ``result.ok``: every check passed, no
event was lost, IAM denied nothing and Lambda could write every log, trace and DLQ message.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from refarch.iam_unused import Access, RoleReport, render
from refarch.local.access_record import role_reports
from refarch.local.assembly import CloudAssembly
from refarch.local.demos import SCENARIOS
from refarch.local.deployer import TemplateHook, deploy
from refarch.local.emulator import emulator
from refarch.local.errors import DeployError, RunHalted
from refarch.local.lambda_runtime.invocation import LostEvent, PlatformFailure
from refarch.local.moto_patches import Denial
from refarch.local.scenario import Check
from refarch.local.sources.firehose import DrainReport
from refarch.local.trace import Trace
from refarch.scenarios.target import WaitTimedOut


@dataclass
class DemoResult:
    """What a local run of a pattern showed."""

    pattern_id: str
    checks: list[Check] = field(default_factory=list)
    lost: list[LostEvent] = field(default_factory=list)
    """Events that reached neither a handler result nor a DLQ / destination."""

    denials: list[Denial] = field(default_factory=list)
    """Every request IAM denied (a complete stack has none)."""

    platform_failures: list[PlatformFailure] = field(default_factory=list)
    """Logs, traces or DLQ messages Lambda could not write with the function's role."""

    invocations: int = 0
    drains: list[DrainReport] = field(default_factory=list)
    """What each Firehose drain read and where every record went (in = delivered + dropped +
    failed)."""

    allowed: list[Access] = field(default_factory=list)
    """Every distinct request IAM allowed a role the run assumed, in the order first made, with
    the statements that allowed it (``access_record``)."""

    access: list[RoleReport] = field(default_factory=list)
    """Per role the run assumes: granted actions never exercised, resources broader than used
    (reported, not judged: ``ok`` does not depend on it)."""

    error: str | None = None
    """Why the run could not happen (deploy failed, no scenario for the pattern)."""

    @property
    def ok(self) -> bool:
        """Return True if the run lost nothing, was denied nothing and passed every check."""
        return (
            self.error is None
            and bool(self.checks)
            and all(check.ok for check in self.checks)
            and not self.lost
            and not self.denials
            and not self.platform_failures
        )

    @property
    def access_denied(self) -> bool:
        """Return True if IAM denied any request of the run (deploy included)."""
        return bool(self.denials) or "AccessDenied" in (self.error or "")


def run_demo(
    pattern_id: str,
    *,
    out: TextIO | None = sys.stdout,
    context: Mapping[str, Any] | None = None,
    template_hook: TemplateHook | None = None,
    assembly: CloudAssembly | None = None,
    halt_on_denial: bool = False,
) -> DemoResult:
    """Deploy ``pattern_id`` in a fresh emulator, run its scenario and report on ``out``.

    Parameters
    ----------
    pattern_id:
        A catalog id with a scenario in ``refarch.local.demos``.
    out:
        Where the trace goes (None: nowhere).
    context, template_hook, assembly:
        As for ``deploy``.
    halt_on_denial:
        Stop at the first IAM denial (the result holds it, and ``error`` says so): enough to
        show that a permission is needed, without running the rest of the scenario.

    Example
    -------
    >>> result = run_demo("s3-event-processing", out=None)  # doctest: +SKIP
    >>> result.ok  # doctest: +SKIP
    True
    """
    scenarios = SCENARIOS
    result = DemoResult(pattern_id=pattern_id)
    if pattern_id not in scenarios:
        known = ", ".join(sorted(scenarios))
        result.error = f"no local scenario for {pattern_id} (refarch/local/demos has: {known})"
        trace = Trace(out)
        trace.line(f"✗ {result.error}")
        _report(result, trace)
        return result
    with emulator(out=out, halt_on_denial=halt_on_denial) as aws:
        trace = aws.trace
        try:
            stack = deploy(
                pattern_id, context=context, template_hook=template_hook, assembly=assembly
            )
        except DeployError as exc:
            result.error = f"deploy failed: {exc}"
        except RunHalted as halt:
            result.error = f"halted at the first IAM denial (deploy): {halt.denial}"
        else:
            try:
                result.checks = scenarios[pattern_id](stack, trace)
            except RunHalted as halt:
                result.error = f"halted at the first IAM denial: {halt.denial}"
            except WaitTimedOut as timeout:  # what it waited for never happened: say what
                result.error = f"the scenario stopped: {timeout}"
            else:
                result.access = role_reports(
                    stack.template,
                    {i: r.physical_id for i, r in stack.resources.items()},
                    aws.access,
                    account_id=aws.account_id,
                    partition=aws.partition,
                )
        service = aws.lambda_service
        result.lost = [*service.lost, *aws.firehose.lost]
        result.denials = list(aws.denials)
        result.allowed = list(aws.access.accesses)
        result.invocations = len(service.invocations)
        result.drains = aws.firehose.reports
        result.platform_failures = [
            failure
            for invocation in service.invocations
            for failure in invocation.platform_failures
        ]
        _report(result, trace)
    return result


def _report(result: DemoResult, trace: Trace) -> None:
    trace.section("Checks")
    for check in result.checks:
        mark = "✓" if check.ok else "✗"
        trace.line(f"{mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
    for lost in result.lost:
        trace.line(f"✗ lost event from {lost.source}: {lost.reason}")
    for denial in result.denials:
        trace.line(f"✗ AccessDenied: {denial}")
    for failure in result.platform_failures:
        trace.line(f"✗ Lambda could not {failure.what}: {failure.error}")
    if result.error:
        trace.line(f"✗ {result.error}")
    if result.access:
        trace.section("IAM access used (per role the run assumes)")
        for line in render(result.access):
            trace.line(line)
    verdict = "OK" if result.ok else "FAILED"
    trace.section(
        f"{verdict}: {result.pattern_id}: {sum(c.ok for c in result.checks)}/{len(result.checks)} "
        f"checks, {result.invocations} invocations, {len(result.lost)} lost events, "
        f"{len(result.denials)} IAM denials"
    )
