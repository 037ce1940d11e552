"""What every event source shares: a stack, a history of deliveries, delivery to a function.

A source stands for an AWS service that turns what a producer does into events: S3 object
notifications, a Kinesis producer and the Firehose delivery streams that read its stream
(``sources.kinesis``, ``sources.firehose``); Glue job runs and EventBridge rule matches for the
next patterns. Each source module offers producer actions (``put_object``, ``put_records``,
``put_events``…), builds the events in the shapes AWS documents, and hands them to targets:
asynchronously with ``deliver_async``, which makes the invoke-permission check the service would
make, or, as Firehose does, synchronously through the Lambda API with the service's role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refarch.local.lambda_runtime.invocation import AsyncOutcome, LostEvent

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator
    from refarch.local.stack_resources import StackResources


@dataclass
class Delivery:
    """One event a source handed to a target."""

    source: str
    """The emitting resource, e.g. ``s3://bucket``."""

    description: str
    """What happened, e.g. ``ObjectCreated:Put incoming/a.csv``."""

    target: str
    """The function ARN."""

    event: dict[str, Any]
    outcome: AsyncOutcome | None = None
    """None if the event never reached the function (see ``lost_reason``)."""

    lost_reason: str = ""


class EventSource:
    """Base of the sources: keeps the stack and the deliveries made so far."""

    def __init__(self, stack: StackResources) -> None:
        self.stack = stack
        self.deliveries: list[Delivery] = []

    @property
    def emulator(self) -> Emulator:
        """The emulator the stack runs in."""
        return self.stack.emulator

    def deliver_async(
        self,
        *,
        source: str,
        source_arn: str,
        principal: str,
        description: str,
        target: str,
        event: dict[str, Any],
    ) -> Delivery:
        """Invoke ``target`` asynchronously with ``event`` if its resource policy allows it.

        AWS services invoke functions under their service principal, so the function's
        ``AWS::Lambda::Permission`` for ``principal`` with this ``source_arn`` (and account) is
        required; without it the service cannot deliver and the event is lost.
        """
        emu = self.emulator
        delivery = Delivery(source=source, description=description, target=target, event=event)
        self.deliveries.append(delivery)
        if not emu.lambda_service.allows_invoke(
            target, principal=principal, source_arn=source_arn, source_account=emu.account_id
        ):
            delivery.lost_reason = (
                f"{principal} may not invoke {target} for {source_arn} (no Lambda permission)"
            )
            emu.lambda_service.lost.append(LostEvent(source, event, delivery.lost_reason))
            emu.trace.line(f"✗ LOST: {delivery.lost_reason}", 2)
            return delivery
        delivery.outcome = emu.lambda_service.invoke_async(target, event, source=source)
        return delivery
