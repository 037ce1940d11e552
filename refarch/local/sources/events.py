"""EventBridge's default bus: service events matched against the rules, delivered to targets.

AWS services put their events on the default bus (a Glue job run's ``Glue Job State Change``, a
model package's ``SageMaker Model Package State Change``); EventBridge matches each against every
enabled rule's pattern and delivers a copy to each target of a matching rule, as
``events.amazonaws.com``. The runner does the same with the rules the stack created in moto:

- matching uses moto's ``EventPattern`` (the documented pattern syntax) on the event in the shape
  AWS documents (``version``, ``id``, ``detail-type``, ``source``, ``account``, ``time``,
  ``region``, ``resources``, ``detail``);
- an SNS topic or SQS queue target receives the event if its resource policy lets
  ``events.amazonaws.com`` publish/send for this rule (``aws:SourceArn``), as in AWS; a FIFO
  queue target gets the target's static ``SqsParameters.MessageGroupId`` and needs content-based
  deduplication, since EventBridge sends no deduplication id
  (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html); a Lambda
  target is invoked asynchronously through the emulator's Lambda service if the function's
  permission allows it;
- a delivery the target refuses goes to the target's dead-letter queue when it has one, else it
  is lost (and reported as such): EventBridge retries, then drops it.

moto's own delivery (``PutEvents`` with its built-in targets) is not used: it evaluates no
resource policy and runs Lambda targets in Docker.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from moto.events.models import EventPattern

from refarch.local.errors import DeployError
from refarch.local.identities import assume_role_as_service
from refarch.local.lambda_runtime.invocation import LostEvent
from refarch.local.policy_conditions import resource_policy_allows
from refarch.local.sources.queue_delivery import send_as_service

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.lambda_runtime.service import LambdaService
    from refarch.local.sources.step_functions import StepFunctionsService

EVENTS_PRINCIPAL = "events.amazonaws.com"


@dataclass
class RuleDelivery:
    """One matched event handed to one target of one rule."""

    rule: str
    target: str
    delivered: bool
    detail: str = ""
    dead_lettered: bool = False


@dataclass
class PutEvent:
    """An event put on the bus, and where it went."""

    event: dict[str, Any]
    deliveries: list[RuleDelivery] = field(default_factory=list)

    @property
    def matched_rules(self) -> list[str]:
        """The names of the rules whose pattern matched."""
        return sorted({d.rule for d in self.deliveries})


class EventBus:
    """The account's default event bus in the emulator."""

    def __init__(
        self,
        emulator: LocalAccount,
        *,
        lambda_service: LambdaService,
        step_functions: StepFunctionsService,
    ) -> None:
        self._emulator = emulator
        self._lambda = lambda_service
        self._step_functions = step_functions
        self.events: list[PutEvent] = []

    def put(
        self,
        *,
        source: str,
        detail_type: str,
        detail: dict[str, Any],
        resources: list[str] | None = None,
    ) -> PutEvent:
        """Put one service event on the bus; deliver it to every matching rule's targets."""
        emu = self._emulator
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": emu.account_id,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": emu.region,
            "resources": list(resources or []),
            "detail": detail,
        }
        put = PutEvent(event=event)
        self.events.append(put)
        emu.trace.line(f"EventBridge: {source} '{detail_type}' {json.dumps(detail)[:160]}", 2)
        self._match_and_deliver(put)
        return put

    def redeliver(self, put: PutEvent) -> PutEvent:
        """Deliver the same event (same id, same bytes) to its rules' targets once more.

        EventBridge delivers at least once and retries a delivery it could not confirm
        (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html),
        so a target may receive one event twice: a FIFO queue with content-based deduplication
        drops the second copy within its 5-minute interval.
        """
        again = PutEvent(event=put.event)
        self.events.append(again)
        self._emulator.trace.line(f"EventBridge delivers event {put.event['id'][:8]} again", 2)
        self._match_and_deliver(again)
        return again

    def _match_and_deliver(self, put: PutEvent) -> None:
        emu, event = self._emulator, put.event
        client = emu.client("events")
        for rule in client.list_rules()["Rules"]:
            if rule.get("State") != "ENABLED" or "EventPattern" not in rule:
                continue
            if not EventPattern.load(rule["EventPattern"]).matches_event(event):
                continue
            targets = client.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            for target in targets:
                put.deliveries.append(self._deliver(rule, target, event))
        if not put.deliveries:
            emu.trace.line("no rule matched", 3)

    def _context(self, rule_arn: str) -> dict[str, str]:
        return {
            "aws:SourceArn": rule_arn,
            "aws:SourceAccount": self._emulator.account_id,
            "aws:SecureTransport": "true",
        }

    def _deliver(
        self, rule: dict[str, Any], target: dict[str, Any], event: dict[str, Any]
    ) -> RuleDelivery:
        emu = self._emulator
        arn = target["Arn"]
        service = arn.split(":")[2]
        body = json.dumps(event)
        delivery = RuleDelivery(rule=rule["Name"], target=arn, delivered=False)
        if service == "sns":
            policy = (
                emu.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy")
            )
            if policy and resource_policy_allows(
                policy,
                action="sns:Publish",
                principal=EVENTS_PRINCIPAL,
                context=self._context(rule["Arn"]),
            ):
                emu.client("sns").publish(TopicArn=arn, Message=body)
                delivery.delivered = True
            else:
                delivery.detail = f"the topic's policy does not let {EVENTS_PRINCIPAL} publish"
        elif service == "sqs":
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            try:
                delivery.delivered = self._send_to_queue(arn, body, rule["Arn"], group)
            except ClientError as exc:
                # e.g. a FIFO queue without content-based deduplication refuses the send.
                delivery.detail = f"SQS refused the message: {exc}"
            else:
                if not delivery.delivered:
                    delivery.detail = f"the queue's policy does not let {EVENTS_PRINCIPAL} send"
                elif group:
                    delivery.detail = f"(message group {group})"
        elif service == "lambda":
            if self._lambda.allows_invoke(
                arn,
                principal=EVENTS_PRINCIPAL,
                source_arn=rule["Arn"],
                source_account=emu.account_id,
            ):
                self._lambda.invoke_async(arn, event, source=f"EventBridge rule {rule['Name']}")
                delivery.delivered = True
            else:
                delivery.detail = f"{EVENTS_PRINCIPAL} may not invoke {arn} for {rule['Arn']}"
        elif service == "states":
            delivery.delivered, delivery.detail = self._start_execution(rule, target, body)
        else:
            delivery.detail = f"targets of {service} are not emulated"
        mark = "→" if delivery.delivered else "✗"
        emu.trace.line(f"{mark} rule {rule['Name']} → {arn} {delivery.detail}".rstrip(), 3)
        if not delivery.delivered:
            dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
            if dead_letter and self._send_to_queue(dead_letter, body, rule["Arn"]):
                delivery.dead_lettered = True
                emu.trace.line(f"→ dead-letter queue {dead_letter}", 4)
            else:
                self._lambda.lost.append(
                    LostEvent(f"EventBridge rule {rule['Name']}", event, delivery.detail)
                )
        return delivery

    def _start_execution(
        self, rule: dict[str, Any], target: dict[str, Any], body: str
    ) -> tuple[bool, str]:
        """StartExecution as EventBridge makes it: with the target's role, IAM enforced.

        EventBridge assumes the role the target names (``RoleArn``) and starts an execution with
        the event as its input (https://docs.aws.amazon.com/eventbridge/latest/userguide/
        eb-use-resource-based.html); the runner's Step Functions then runs it.
        """
        emu = self._emulator
        role = target.get("RoleArn")
        if not role:
            return False, "a state machine target needs a RoleArn"
        try:
            session = assume_role_as_service(
                emu.deployer,
                role,
                service=EVENTS_PRINCIPAL,
                session_name=rule["Name"],
                account_id=emu.account_id,
                context={"aws:SourceArn": rule["Arn"]},
            )
            started = session.client("stepfunctions").start_execution(
                stateMachineArn=target["Arn"], input=body
            )
        except (ClientError, DeployError) as exc:
            return False, f"StartExecution refused: {exc}"
        self._step_functions.start(target["Arn"], started["executionArn"], json.loads(body))
        return True, ""

    def _send_to_queue(
        self, queue_arn: str, body: str, rule_arn: str, group: str | None = None
    ) -> bool:
        """Send as EventBridge does: only if the queue's policy allows it for this rule."""
        return send_as_service(
            self._emulator,
            queue_arn,
            body,
            principal=EVENTS_PRINCIPAL,
            source_arn=rule_arn,
            message_group_id=group,
        )
