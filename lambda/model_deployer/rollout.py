"""How an endpoint update shifts traffic: the blue/green ``DeploymentConfig`` of UpdateEndpoint.

"When you update your endpoint, Amazon SageMaker AI automatically uses a blue/green deployment":
a green fleet is provisioned, traffic shifts to it, and "if any of the pre-specified alarms trip
during any baking period, then all endpoint traffic rolls back to the blue fleet"
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html). The
three traffic-shifting modes, as this project sums them up:

- ``all-at-once``: all of the traffic moves to the green fleet in one step (the shortest
  update, but a regression reaches all of the traffic);
- ``canary``: a small share first, then the rest; "any issues with the updated model only
  impact the canary" (SageMaker guide, "Use canary traffic shifting");
- ``linear``: equal steps, a bake after each (the least exposure per step; the update lasts,
  and costs two fleets, for as many bakes as there are steps).

The field names, step limits and time limits come from the SageMaker API reference
(``BlueGreenUpdatePolicy``, ``TrafficRoutingConfig``) and the deployment-guardrails guide.
Nothing here calls AWS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

CANARY = "canary"
LINEAR = "linear"
ALL_AT_ONCE = "all-at-once"
ROLLOUT_MODES = (CANARY, LINEAR, ALL_AT_ONCE)
"""The values of ``ROLLOUT``."""

_TRAFFIC_TYPES = {CANARY: "CANARY", LINEAR: "LINEAR", ALL_AT_ONCE: "ALL_AT_ONCE"}

MAX_CANARY_PERCENT = 50
"""Deployment guardrails guide: "the canary size should be less than or equal to 50% of the new
fleet's capacity"."""

LINEAR_PERCENT_RANGE = (10, 50)
"""Deployment guardrails guide: "Each linear step should only be between 10-50% of the green
fleet's capacity"."""

MAX_WAIT_SECONDS = 3600
"""API limit of ``WaitIntervalInSeconds`` and ``TerminationWaitInSeconds`` (0-3600)."""

MAX_ALARMS = 10
"""API limit of ``AutoRollbackConfiguration.Alarms`` (1-10)."""

EXECUTION_TIMEOUT_RANGE = (600, 28800)
"""API limits of ``MaximumExecutionTimeoutInSeconds``."""

PROVISIONING_ALLOWANCE_SECONDS = 1800
"""Time allowed, on top of the baking periods, to provision the green fleet and shift traffic:
the API reference asks for a timeout "larger than the total waiting time specified in
TerminationWaitInSeconds and WaitIntervalInSeconds"."""


@dataclass(frozen=True)
class Rollout:
    """How updates shift traffic.

    Read from ``ROLLOUT``, ``TRAFFIC_STEP_PERCENT``, ``WAIT_INTERVAL_SECONDS`` and
    ``ROLLBACK_ALARM_NAMES``.

    Attributes:
        mode: ``canary``, ``linear`` or ``all-at-once``.
        step_percent: Canary size, or linear step, as a percentage of the green fleet's
            capacity (``CAPACITY_PERCENT``); unused by ``all-at-once``.
        wait_seconds: Baking period after each traffic shift, and before the blue fleet is
            terminated (``WaitIntervalInSeconds``, ``TerminationWaitInSeconds``).
        alarm_names: CloudWatch alarms that roll the update back when they trip.
    """

    mode: str = CANARY
    step_percent: int = 10
    wait_seconds: int = 600
    alarm_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in ROLLOUT_MODES:
            raise ValueError(f"ROLLOUT must be one of {', '.join(ROLLOUT_MODES)}: {self.mode!r}")
        if self.mode == CANARY and not 1 <= self.step_percent <= MAX_CANARY_PERCENT:
            raise ValueError(
                f"TRAFFIC_STEP_PERCENT for a canary must be 1-{MAX_CANARY_PERCENT} (% of the "
                f"new fleet): {self.step_percent}"
            )
        low, high = LINEAR_PERCENT_RANGE
        if self.mode == LINEAR and not low <= self.step_percent <= high:
            raise ValueError(
                f"TRAFFIC_STEP_PERCENT for linear steps must be {low}-{high}: {self.step_percent}"
            )
        if not 0 <= self.wait_seconds <= MAX_WAIT_SECONDS:
            raise ValueError(
                f"WAIT_INTERVAL_SECONDS must be 0-{MAX_WAIT_SECONDS}: {self.wait_seconds}"
            )
        if len(self.alarm_names) > MAX_ALARMS:
            raise ValueError(
                f"ROLLBACK_ALARM_NAMES: at most {MAX_ALARMS} alarms, got {len(self.alarm_names)}"
            )
        needed = baking_seconds(self.mode, self.step_percent, self.wait_seconds)
        if needed + PROVISIONING_ALLOWANCE_SECONDS > EXECUTION_TIMEOUT_RANGE[1]:
            raise ValueError(
                f"a {self.mode} rollout with steps of {self.step_percent}% and "
                f"{self.wait_seconds}s baking periods needs {needed}s, more than the "
                f"{EXECUTION_TIMEOUT_RANGE[1]}s a deployment may last: shorten "
                "WAIT_INTERVAL_SECONDS or take larger steps"
            )


def baking_seconds(mode: str, step_percent: int, wait_seconds: int) -> int:
    """Return the total baking time of a rollout: one period per step, plus the final one.

    All at once is one step (the whole shift, then its baking period), as a canary is one
    step before the rest shifts; ``TerminationWaitInSeconds`` adds the final period. The
    deployment's timeout must exceed the sum (BlueGreenUpdatePolicy API reference).

    Example:
        >>> baking_seconds("linear", 25, 600)  # 4 steps, then the wait before termination
        3000
        >>> baking_seconds("all-at-once", 10, 600)
        1200
    """
    steps = math.ceil(100 / step_percent) if mode == LINEAR else 1
    return (steps + 1) * wait_seconds


def step_refusal(mode: str, step_percent: int, instances: int) -> str:
    """Why SageMaker would refuse this canary or linear step on ``instances``; '' if it fits.

    A step turns on whole instances, at least one, and ``TrafficRoutingConfig`` bounds it by the
    variant's total instance count: a canary "must be less than or equal to 50%", a linear step
    "must be 10-50%" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/
    API_TrafficRoutingConfig.html). So one instance takes neither, two take a canary of one.

    Example:
        >>> step_refusal("canary", 10, 2)
        ''
        >>> step_refusal("canary", 10, 1)
        'a canary of 10% turns on 1 of 1 instances, more than the 50% SageMaker allows'
    """
    if mode not in (CANARY, LINEAR):
        return ""
    turned_on = max(1, math.ceil(instances * step_percent / 100))
    low, high = (0, MAX_CANARY_PERCENT) if mode == CANARY else LINEAR_PERCENT_RANGE
    if low * instances <= turned_on * 100 <= high * instances:
        return ""
    kind = "a canary" if mode == CANARY else "a linear step"
    bound = f"more than the {high}%" if turned_on * 100 > high * instances else f"under {low}%"
    return (
        f"{kind} of {step_percent}% turns on {turned_on} of {instances} instances, "
        f"{bound} SageMaker allows"
    )


def effective_mode(rollout: Rollout, *, serverless: bool, instances: int | None) -> tuple[str, str]:
    """Return the traffic-shifting mode an update uses, and why it differs from ``ROLLOUT``.

    All at once for a serverless variant (no instance fleet to take a portion of), and for a
    fleet too small for the configured canary or linear step, which SageMaker would refuse
    (``step_refusal``): every update would fail otherwise, on a one-instance endpoint for one.
    """
    if serverless and rollout.mode != ALL_AT_ONCE:
        return ALL_AT_ONCE, "a serverless variant has no instances to shift in steps"
    refusal = step_refusal(rollout.mode, rollout.step_percent, instances) if instances else ""
    if refusal:
        return ALL_AT_ONCE, refusal
    return rollout.mode, ""


def deployment_config(
    rollout: Rollout, *, serverless: bool, instances: int | None = None
) -> dict[str, Any]:
    """Return the ``DeploymentConfig`` of an UpdateEndpoint request.

    A serverless variant is shifted all at once: canary and linear steps are portions of the
    green fleet's instance capacity (``CAPACITY_PERCENT`` or ``INSTANCE_COUNT``), and a
    serverless variant has no instance fleet to take a portion of. It keeps the blue/green
    update, its baking period and the alarm rollback (the guardrails exclusions list serverless
    endpoints for rolling deployments only). So is a fleet of ``instances`` too small for the
    configured step (``effective_mode``).

    Example:
        >>> deployment_config(Rollout("canary", 10, 300, ("errors",)), serverless=False)[
        ...     "BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["CanarySize"]
        {'Type': 'CAPACITY_PERCENT', 'Value': 10}
    """
    mode, _ = effective_mode(rollout, serverless=serverless, instances=instances)
    routing: dict[str, Any] = {
        "Type": _TRAFFIC_TYPES[mode],
        # Required for every type by the API; for all-at-once it is the only step's bake.
        "WaitIntervalInSeconds": rollout.wait_seconds,
    }
    size = {"Type": "CAPACITY_PERCENT", "Value": rollout.step_percent}
    if mode == CANARY:
        routing["CanarySize"] = size
    elif mode == LINEAR:
        routing["LinearStepSize"] = size
    timeout = baking_seconds(mode, rollout.step_percent, rollout.wait_seconds)
    timeout += PROVISIONING_ALLOWANCE_SECONDS
    low, high = EXECUTION_TIMEOUT_RANGE
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            # The final baking period: the blue fleet stays up this long after the last shift.
            "TerminationWaitInSeconds": rollout.wait_seconds,
            "MaximumExecutionTimeoutInSeconds": min(max(timeout, low), high),
        }
    }
    if rollout.alarm_names:
        # SageMaker rolls back to the blue fleet when one trips during a baking period
        # (deployment guardrails, blue/green); the API takes 1-10 alarms, none means no key.
        config["AutoRollbackConfiguration"] = {
            "Alarms": [{"AlarmName": name} for name in rollout.alarm_names]
        }
    return config
