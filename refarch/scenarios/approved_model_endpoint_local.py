"""The checks of ``approved-model-endpoint`` that only the emulator can make.

AWS does not expose which rule an event matched, each attempt of an asynchronous invocation, or
what a fleet did as its execution role; the emulator records them. ``refarch demo`` makes these
checks too; ``refarch verify --live`` skips them (``target.local_only``), saying why.
"""

from __future__ import annotations

from typing import Any

from refarch.scenarios.target import Check


def _for_package(outcomes: list[Any], arn: str, status: str) -> list[Any]:
    """The deployer's outcomes for the registry events of one version in one status."""
    return [
        o
        for o in outcomes
        if o.event.get("resources") == [arn]
        and o.event.get("detail", {}).get("ModelApprovalStatus") == status
    ]


def _actions(outcomes: list[Any]) -> list[str]:
    return [
        str(a.result["action"])
        for o in outcomes
        for a in o.attempts
        if isinstance(a.result, dict) and "action" in a.result
    ]


def local_checks(
    emulator: Any,
    *,
    endpoint: str,
    execution_role: str,
    registered: str,
    other: str,
    undeployable: str,
    captured: int,
) -> list[Check]:
    """What the emulator recorded of the run: deliveries, attempts, the fleet's calls."""
    from refarch.local.moto_sagemaker import update_requests

    outcomes = emulator.lambda_service.outcomes
    puts = emulator.events.events
    deployments = emulator.sagemaker.deployments
    updates = update_requests(endpoint, account_id=emulator.account_id, region_name=emulator.region)
    pending = [
        p
        for p in puts
        if p.event.get("resources") == [registered]
        and p.event["detail"].get("ModelApprovalStatus") == "PendingManualApproval"
    ]
    elsewhere = [p for p in puts if p.event.get("resources") == [other]]
    fleet = deployments[0].fleets[0] if deployments and deployments[0].fleets else None
    said = [
        a.result.get("autoscaling")
        for o in outcomes
        for a in o.attempts
        if isinstance(a.result, dict) and a.result.get("autoscaling")
    ]
    dead = _for_package(outcomes, undeployable, "Approved")
    errors = [a.error.error_type for o in dead for a in o.attempts if a.error]
    statuses = [o.status for o in outcomes]
    matched = [p for p in puts if p.deliveries]
    return [
        Check(
            "locally: the registration event matched no rule; SageMaker brought the fleet up "
            "as the execution role, read the artifact and pulled the image's 2 blobs",
            len(pending) == 1
            and not pending[0].deliveries
            and fleet is not None
            and not fleet.error
            and fleet.layers == 2
            and len(fleet.log_streams) == 2
            and fleet.execution_role == execution_role,
            fleet.error if fleet else "no fleet",
        ),
        Check(
            "locally: autoscaling registered once, when the endpoint was first in service; "
            "unchanged afterwards",
            said[:1] == ["registered"] and set(said[1:]) == {"unchanged"},
            ", ".join(said),
        ),
        Check(
            "locally: exactly 1 of the 5 first requests captured (sampling is deterministic here)",
            captured == 1,
            f"{captured} captured",
        ),
        Check(
            "locally: 2 updates (version 2, the rollback), both retaining the variants' "
            "properties; the canary shifted 10% first, and each ended in service",
            len(updates) == 2
            and all(u["RetainAllVariantProperties"] for u in updates)
            and len(deployments) == 3
            and all(d.ok for d in deployments)
            and deployments[1].traffic_steps[:1] == ["canary 10 CAPACITY_PERCENT"],
            ", ".join(u["EndpointConfigName"] for u in updates),
        ),
        Check(
            "locally: the other group's approval reached no rule and the deployer never saw it",
            len(elsewhere) == 2
            and not any(p.deliveries for p in elsewhere)
            and not [o for o in outcomes if o.event.get("resources") == [other]],
        ),
        Check(
            "locally: version 3's approval failed 3 times (PackageNotDeployableError) and was "
            "dead-lettered; its rejection was a no-op",
            [o.status for o in dead] == ["dead-lettered"]
            and errors == ["PackageNotDeployableError"] * 3
            and _actions(_for_package(outcomes, undeployable, "Rejected")) == ["noop"],
            ", ".join(errors),
        ),
        Check(
            f"locally, nothing lost: {len(matched)} SageMaker events matched a rule and reached "
            f"the deployer; {statuses.count('succeeded')} invocations succeeded, "
            f"{statuses.count('dead-lettered')} dead-lettered (version 3)",
            all(d.delivered for p in matched for d in p.deliveries)
            and not emulator.lambda_service.lost
            and statuses.count("dead-lettered") == 1
            and statuses.count("succeeded") == len(statuses) - 1,
        ),
    ]
