"""The scenario of ``dynamodb-cdc``: order changes captured once into a log and totals.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``); it writes with ``PutItem``/``DeleteItem``, replays with ``Invoke``, and reads the
tables, the change-log bucket, the on-failure queue and the table's stream. In the order a reader
meets it in the trace:

1. The orders application (the deployer) inserts 8 orders for 3 customers, updates two amounts,
   moves one order to another customer, writes one broken order (no ``customer_id``) and then
   more changes, and deletes one order (as the table's TTL would expire it).
2. Lambda's poller reads the table's stream with the function's role; the filter passes inserts
   and updates only (the delete is skipped without an invocation). The broken order fails; its
   batch is retried from it and bisected until it is alone, and its position goes to the
   on-failure queue; every change after it is applied. The scenario waits until the totals,
   the change log and the on-failure queue show it.
3. The first logged batch is delivered again: its records are read from the stream (the log
   object's name gives its bounds) and sent with ``Invoke`` in the documented event shape, as
   Lambda retries a batch whose response was lost: the guards refuse every change, nothing is
   counted twice and the log object is rewritten with the same lines.

Then it checks, against the stream itself: each customer's totals equal what the orders say, one
change-log line per consumed change under ``changes/day=…/``, the delete filtered, only the broken
order discarded, every stream record accounted for.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from botocore.config import Config

from refarch.scenarios.observe import peek_messages, read_objects, report_stack_landed
from refarch.scenarios.target import Check, Target
from refarch.trace import brief

#: Lambda polls a DynamoDB stream's shards "at a base rate of 4 times per second", and retries
#: a failed batch at once (bisected, up to the mapping's retry attempts)
#: (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html); a new mapping can take a few
#: minutes to start. Poll every 5 s for up to 10 minutes.
CONSUMED_POLL_SECONDS = 5
CONSUMED_TIMEOUT_SECONDS = 600
#: DynamoDB Streams is addressed on its regional endpoint (botocore would otherwise derive an
#: account endpoint from the stream ARN, which the local emulator does not answer).
REGIONAL = Config(account_id_endpoint_mode="disabled")
#: The change types the mapping's filter passes (the stack's ``filters``).
CONSUMED_EVENTS = ("INSERT", "MODIFY")


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


def stream_records(target: Target, stream_arn: str) -> list[dict[str, Any]]:
    """Every record of the stream (every shard, from the trim horizon), as the deployer reads it.

    Each is shaped as the event record Lambda delivers: ``eventSourceARN`` added and
    ``ApproximateCreationDateTime`` in epoch seconds (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html).
    """
    streams = target.client("dynamodbstreams", config=REGIONAL)
    records: list[dict[str, Any]] = []
    shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for raw in page["Records"]:
                change = dict(raw["dynamodb"])
                created = change["ApproximateCreationDateTime"]
                change["ApproximateCreationDateTime"] = int(
                    created.timestamp() if hasattr(created, "timestamp") else created
                )
                records.append({**raw, "dynamodb": change, "eventSourceARN": stream_arn})
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``DynamoDbCdc`` stack; return its checks."""
    trace = target.trace
    dynamodb = target.client("dynamodb")
    orders_table = target.physical_id("Orders")
    totals_table = target.physical_id("CustomerTotals")
    change_log = target.physical_id("ChangeLogBucket")
    failure_queue = target.physical_id("OnFailureQueue")
    lambda_ = target.client("lambda")
    function = target.physical_id("ChangeConsumerFunction")
    stream_arn = dynamodb.describe_table(TableName=orders_table)["Table"]["LatestStreamArn"]
    s3, sqs = target.client("s3"), target.client("sqs")
    checks: list[Check] = []

    trace.section("Run: the orders application writes, updates, moves and deletes orders")
    final: dict[str, tuple[str, Decimal]] = {}
    consumed = 0

    def put(order_id: str, customer: str | None, amount: str) -> None:
        nonlocal consumed
        trace.line(f"→ PutItem {order_id} ({customer}, {amount})")
        dynamodb.put_item(TableName=orders_table, Item=_order(order_id, customer, amount))
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
    trace.line("→ DeleteItem o-4 (as TTL would expire it)")
    dynamodb.delete_item(TableName=orders_table, Key={"order_id": {"S": "o-4"}})
    expected: dict[str, tuple[int, Decimal]] = {}
    for customer, amount in final.values():
        count, total = expected.get(customer, (0, Decimal(0)))
        expected[customer] = (count + 1, total + amount)

    def current_totals() -> dict[str, tuple[int, Decimal]]:
        items = dynamodb.scan(TableName=totals_table)["Items"]
        return {
            i["pk"]["S"].removeprefix("customer#"): (
                int(i["order_count"]["N"]),
                Decimal(i["total_amount"]["N"]),
            )
            for i in items
            if i["pk"]["S"].startswith("customer#")
        }

    failures: dict[str, dict[str, Any]] = {}

    def log_lines() -> list[dict[str, Any]]:
        log = read_objects(s3, change_log, "changes/")
        return [json.loads(line) for stored in log.values() for line in stored.lines]

    def consumed_all() -> bool:
        for message in peek_messages(sqs, failure_queue):
            failures[message.message_id or message.body] = json.loads(message.body)
        return bool(failures) and current_totals() == expected and len(log_lines()) == consumed

    trace.section("Run: Lambda's poller drains the table's stream")
    target.wait_until(
        "totals, change log and on-failure queue show every change",
        consumed_all,
        timeout=CONSUMED_TIMEOUT_SECONDS,
        interval=CONSUMED_POLL_SECONDS,
    )

    trace.section("Run: the first logged batch is delivered again")
    records = stream_records(target, stream_arn)
    # A log object is named after the batch it logged (<first>-<last> sequence number): the
    # records of the stream between those bounds that the filter passes are that batch.
    log_before = read_objects(s3, change_log, "changes/")
    first_object = min(log_before, default="")
    first, _, last = first_object.rpartition("/")[2].removesuffix(".jsonl").partition("-")
    replayed = [
        r
        for r in records
        if r["eventName"] in CONSUMED_EVENTS
        and first.isdigit()
        and last.isdigit()
        and int(first) <= int(r["dynamodb"]["SequenceNumber"]) <= int(last)
    ]
    totals_before = current_totals()
    trace.line(f"→ Invoke (RequestResponse) {function} ({len(replayed)} records)")
    response = lambda_.invoke(
        FunctionName=function,
        InvocationType="RequestResponse",
        Payload=json.dumps({"Records": replayed}),
    )
    again = json.loads(response["Payload"].read() or b"null")
    trace.line(f"← {describe_response(again)}", 2)

    report_stack_landed(trace, s3, sqs, target)
    totals = current_totals()
    checks.append(
        Check(
            "each customer's totals equal its orders (updates as new minus old, moves included)",
            totals == expected,
            f"{ {k: (c, str(t)) for k, (c, t) in sorted(totals.items())} }",
        )
    )
    log = read_objects(s3, change_log, "changes/")
    lines = [json.loads(line) for stored in log.values() for line in stored.lines]
    logged = {line["eventID"] for line in lines}
    checks.append(
        Check(
            f"one change-log line per consumed change ({consumed}), partitioned by day",
            len(lines) == consumed
            and len(logged) == consumed
            and all(k.startswith("changes/day=") for k in log),
            f"{len(lines)} lines in {len(log)} objects",
        )
    )
    removes = [r for r in records if r["eventName"] not in CONSUMED_EVENTS]
    checks.append(
        Check(
            "the delete reaches the stream but not the change log (the mapping filters it out)",
            len(removes) == 1 and removes[0]["eventID"] not in logged,
            f"{len(removes)} REMOVE records",
        )
    )
    stack = target.local_only("which events Lambda invoked the function with is not observable")
    if stack is not None:
        invoked = {
            record.get("eventID")
            for invocation in stack.emulator.lambda_service.invocations
            for record in (invocation.event or {}).get("Records", [])
        }
        checks.append(
            Check(
                "the delete is filtered out without an invocation",
                bool(removes) and not any(r["eventID"] in invoked for r in removes),
            )
        )
    infos = [f.get("DDBStreamBatchInfo", {}) for f in failures.values()]
    broken = [r for r in records if r["dynamodb"]["Keys"]["order_id"]["S"] == "o-bad"]
    broken_sequence = broken[0]["dynamodb"]["SequenceNumber"] if broken else None
    checks.append(
        Check(
            "the broken order is bisected out alone; its position is in the on-failure queue",
            len(infos) == 1
            and infos[0].get("batchSize") == 1
            and infos[0].get("startSequenceNumber") == broken_sequence,
            json.dumps(infos)[:160],
        )
    )
    discarded = {info.get("startSequenceNumber") for info in infos}
    accounted = [
        r
        for r in records
        if r["eventID"] in logged or r in removes or r["dynamodb"]["SequenceNumber"] in discarded
    ]
    checks.append(
        Check(
            f"every stream record applied, filtered or discarded ({len(records)} read)",
            len(accounted) == len(records) == consumed + len(removes) + len(broken),
        )
    )
    checks.append(
        Check(
            "a redelivered batch changes nothing (guards by sequence number)",
            response.get("FunctionError") is None
            and again == {"batchItemFailures": []}
            and bool(replayed)
            and totals == totals_before
            and set(log) == set(log_before)
            and all(log[key].body == log_before[key].body for key in log),
            describe_response(again),
        )
    )
    return checks
