"""The local scenario of ``dynamodb-cdc``: order changes captured once into a log and totals.

What it does, in the order a reader meets it in the trace:

1. The orders application (the deployer) inserts 8 orders for 3 customers, updates two amounts,
   moves one order to another customer, writes one broken order (no ``customer_id``) and then
   more changes, and deletes one order (as the table's TTL would expire it).
2. Lambda's poller reads the table's stream with the function's role; the filter passes inserts
   and updates only (the delete is skipped without an invocation). The broken order fails; its
   batch is retried from it and bisected until it is alone, and its position goes to the
   on-failure queue; every change after it is applied.
3. The first batch is delivered again (a retry whose response was lost): the guards refuse every
   change, nothing is counted twice and no log line is added.

Then it checks: each customer's totals equal what the orders say, one change-log line per
consumed change under ``changes/day=…/``, the delete filtered, only the broken order discarded.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from refarch.local.landed import messages, objects, report_landed
from refarch.local.scenario import Check
from refarch.local.sources.event_source_mappings import StreamPoller
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace, brief


def describe_response(result: Any) -> str:
    """Show the partial batch response briefly."""
    try:
        return f"batchItemFailures: {len(result['batchItemFailures'])}"
    except (KeyError, TypeError):
        return brief(result)


def _order(order_id: str, customer: str | None, amount: str) -> dict[str, Any]:
    item: dict[str, Any] = {"order_id": {"S": order_id}, "amount": {"N": amount}}
    if customer is not None:
        item["customer_id"] = {"S": customer}
    return item


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``DynamoDbCdc`` stack; return its checks."""
    emu = stack.emulator
    emu.lambda_service.describe_result = describe_response
    dynamodb = emu.client("dynamodb")
    orders_table = stack.physical_id("Orders")
    checks: list[Check] = []

    trace.section("Run: the orders application writes, updates, moves and deletes orders")
    final: dict[str, tuple[str, Decimal]] = {}
    consumed = 0

    def put(order_id: str, customer: str | None, amount: str) -> None:
        nonlocal consumed
        dynamodb.put_item(TableName=orders_table, Item=_order(order_id, customer, amount))
        trace.line(f"→ PutItem {order_id} ({customer}, {amount})")
        if customer is not None:
            final[order_id] = (customer, Decimal(amount))
            consumed += 1

    for n in range(8):
        put(f"o-{n}", f"c-{n % 3}", f"{10 + n}.50")
    put("o-1", "c-1", "99.00")  # an amount corrected
    put("o-2", "c-0", "12.50")  # moved to another customer
    put("o-bad", None, "1.00")  # no customer_id: poison
    put("o-3", "c-0", "7.25")
    put("o-8", "c-2", "5.00")
    dynamodb.delete_item(TableName=orders_table, Key={"order_id": {"S": "o-4"}})
    trace.line("→ DeleteItem o-4 (as TTL would expire it)")

    trace.section("Run: Lambda's poller drains the table's stream")
    (mapping,) = stack.of_type("AWS::Lambda::EventSourceMapping")
    poller = emu.event_source_mappings.poller(mapping.physical_id)
    assert isinstance(poller, StreamPoller)
    report = poller.drain()

    def current_totals() -> dict[str, tuple[int, Decimal]]:
        items = dynamodb.scan(TableName=stack.physical_id("CustomerTotals"))["Items"]
        return {
            i["pk"]["S"].removeprefix("customer#"): (
                int(i["order_count"]["N"]),
                Decimal(i["total_amount"]["N"]),
            )
            for i in items
            if i["pk"]["S"].startswith("customer#")
        }

    trace.section("Run: the first batch is delivered again")
    first = report.batches[0] if report.batches else None
    log_before, totals_before = objects(stack, "ChangeLogBucket", "changes/"), current_totals()
    again = emu.lambda_service.invoke(
        poller.mapping.function_arn, first.invocation.event if first else {"Records": []}
    )
    trace.line(f"← returned {describe_response(again.result)}", 3)

    report_landed(stack, trace)
    totals = current_totals()
    expected: dict[str, tuple[int, Decimal]] = {}
    for customer, amount in final.values():
        count, total = expected.get(customer, (0, Decimal(0)))
        expected[customer] = (count + 1, total + amount)
    checks.append(
        Check(
            "each customer's totals equal its orders (updates as new minus old, moves included)",
            totals == expected,
            f"{ {k: (c, str(t)) for k, (c, t) in sorted(totals.items())} }",
        )
    )
    log = objects(stack, "ChangeLogBucket", "changes/")
    lines = [json.loads(line) for stored in log.values() for line in stored.lines]
    checks.append(
        Check(
            f"one change-log line per consumed change ({consumed}), partitioned by day",
            len(lines) == consumed
            and len({line["eventID"] for line in lines}) == consumed
            and all(k.startswith("changes/day=") for k in log),
            f"{len(lines)} lines in {len(log)} objects",
        )
    )
    checks.append(
        Check(
            "the delete is filtered out by the mapping, without an invocation",
            len(report.filtered) == 1,
            f"{len(report.filtered)} filtered",
        )
    )
    failures = [json.loads(m.body) for m in messages(stack, "OnFailureQueue")]
    infos = [f.get("DDBStreamBatchInfo", {}) for f in failures]
    checks.append(
        Check(
            "the broken order is bisected out alone; its position is in the on-failure queue",
            len(infos) == 1
            and infos[0].get("batchSize") == 1
            and report.discarded_sequence_numbers == [infos[0].get("startSequenceNumber")],
            json.dumps(infos)[:160],
        )
    )
    done = set(report.processed) | set(report.discarded_sequence_numbers) | set(report.filtered)
    checks.append(
        Check(
            f"every stream record applied, filtered or discarded ({report.read} read)",
            len(done) == report.read and not report.error,
            report.error,
        )
    )
    checks.append(
        Check(
            "a redelivered batch changes nothing (guards by sequence number)",
            first is not None
            and again.error is None
            and again.result == first.invocation.result
            and totals == totals_before
            and set(objects(stack, "ChangeLogBucket", "changes/")) == set(log_before),
        )
    )
    return checks
