"""Scenarios that run unchanged on the local emulator and in an AWS account.

Each module's ``run(target) -> list[Check]`` drives its pattern only through AWS APIs
(``refarch.scenarios.target`` lists the rules). ``refarch demo <id>`` runs it on the local
emulator (``refarch.local.target``), ``refarch verify <id> --live`` against the stack deployed in
an account (``refarch.live``). A pattern not listed here still has its runner-only scenario in
``refarch.local.demos`` and cannot be verified live yet.
"""

from collections.abc import Mapping

from refarch.scenarios import dynamodb_cdc, s3_event_processing
from refarch.scenarios.target import TargetScenario

#: The patterns whose scenario runs against both targets, by pattern id.
CONVERTED: Mapping[str, TargetScenario] = {
    "s3-event-processing": s3_event_processing.run,
    "dynamodb-cdc": dynamodb_cdc.run,
}
