"""The local scenario of ``s3-event-processing``: uploads in, curated and rejected rows out.

What it does, in the order a reader meets it in the trace:

1. A valid orders file, a file with bad rows, and a key with spaces and non-ASCII characters
   (URL-encoded in the event) are uploaded under ``incoming/``: each is processed.
2. ``other/orders.csv`` and ``incoming/orders.txt`` are uploaded: the prefix/suffix filter
   matches neither, so nothing is invoked.
3. A file without the orders header is rejected as a whole: one rejection record.
4. S3 delivers the valid file's event a second time: the output is rewritten, not duplicated.
5. Two versions of one key are uploaded and their events arrive newest first: the late, older
   event is skipped (sequencers order them).
6. A malformed event is sent with ``Invoke`` (``InvocationType=Event``): it fails every retry
   and lands in the function's dead-letter queue.
7. A well-formed event for a key outside ``incoming/`` (a replay pointed at the wrong function) is
   refused with ``UnexpectedSourceError`` before anything is written, and lands in the DLQ too.

Then it checks the outputs against the inputs: rows in = valid + rejected for every processed
file, events that failed = messages in the DLQ.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from refarch.local.landed import messages, objects, report_landed
from refarch.local.scenario import Check
from refarch.local.stack import LocalStack
from refarch.local.trace import Trace, brief

HEADER = "order_id,customer_id,order_ts,amount,currency"
INPUT_PREFIX = "incoming/"
VALID_PREFIX = "curated/"
REJECTED_PREFIX = "rejected/"


@dataclass(frozen=True)
class OrdersFile:
    """One upload of the scenario and what the handler should make of it."""

    key: str
    rows: tuple[str, ...]
    bad_rows: int = 0
    """How many rows break the schema (they land in ``rejected/``)."""

    header: str = HEADER

    @property
    def body(self) -> bytes:
        """The CSV bytes."""
        return ("\n".join([self.header, *self.rows]) + "\n").encode()

    @property
    def output_name(self) -> str:
        """The name under ``{prefix}{bucket}/``: input prefix dropped, ``.csv`` → ``.jsonl``."""
        return self.key.removeprefix(INPUT_PREFIX).removesuffix(".csv") + ".jsonl"

    def output_key(self, prefix: str, bucket: str) -> str:
        """The output key under ``prefix`` (curated or rejected) for this upload to ``bucket``."""
        return f"{prefix}{bucket}/{self.output_name}"


VALID = OrdersFile(
    "incoming/orders-2024-06-01.csv",
    (
        "A-1001,C-17,2024-06-01T09:15:00Z,19.99,EUR",
        "A-1002,C-23,2024-06-01T09:16:30+02:00,5,USD",
        "A-1003,C-17,2024-06-01 10:00:00,120.50,EUR",
        'A-1004,"C-42",2024-06-01T11:45:00Z,0.99,GBP',
    ),
)
WITH_BAD_ROWS = OrdersFile(
    "incoming/orders-2024-06-02.csv",
    (
        "B-2001,C-17,2024-06-02T08:00:00Z,42.00,EUR",
        "B-2002,C-18,2024-06-02T08:05:00Z,abc,EUR",
        "B-2003,C-19,2024-06-02T08:10:00Z,10.00,eur",
        "B-2004,C-20,2024-06-02T08:15:00Z,7.25,EUR",
        "B-2005,C-21,2024-06-02T08:20:00Z,3.10,USD",
    ),
    bad_rows=2,
)
UNUSUAL_KEY = OrdersFile(
    "incoming/Bestellungen März 2024 (Köln) #1.csv",
    (
        "C-3001,K-1,2024-03-05T12:00:00Z,15.00,EUR",
        "C-3002,K-2,2024-03-06T12:00:00Z,25.50,EUR",
    ),
)
NOT_MATCHING = (
    OrdersFile("other/orders.csv", VALID.rows),
    OrdersFile("incoming/orders.txt", VALID.rows),
)
NOT_ORDERS = OrdersFile("incoming/customers.csv", ("alice,alice@example.com",), header="name,email")
LATE_OLD = OrdersFile("incoming/late.csv", ("D-4001,C-1,2024-06-03T08:00:00Z,1.00,EUR",))
LATE_NEW = OrdersFile(
    "incoming/late.csv",
    (
        "D-4001,C-1,2024-06-03T08:00:00Z,1.00,EUR",
        "D-4002,C-2,2024-06-03T08:01:00Z,2.00,EUR",
    ),
)
#: An event that is not an S3 notification the handler can read (the object key is missing).
POISON_EVENT = {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "unknown"}}}]}
FOREIGN_KEY = "other/orders.csv"


def foreign_event(bucket: str) -> dict[str, Any]:
    """A well-formed notification for ``FOREIGN_KEY``, outside the prefix the function serves."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": FOREIGN_KEY, "sequencer": "0A"}},
    }
    return {"Records": [record]}


def _data_rows(body: bytes) -> int:
    return sum(1 for row in list(csv.reader(io.StringIO(body.decode())))[1:] if row)


def describe_summary(result: Any) -> str:
    """Show the handler's summary as one short phrase per record."""
    try:
        parts = []
        for record in result["records"]:
            text = f"{record['outcome']} {record.get('key', '')}"
            if record["outcome"] == "processed":
                text += f": {record['valid']} valid, {record['rejected']} rejected"
            elif record.get("reason"):
                text += f": {record['reason']}"
            outputs = [o.split("/", 3)[-1] for o in record.get("outputs", [])]
            if outputs:
                text += f" → {', '.join(outputs)}"
            parts.append(text)
        return "; ".join(parts)
    except (KeyError, TypeError):
        return brief(result)


def run(stack: LocalStack, trace: Trace) -> list[Check]:
    """Drive the scenario on a deployed ``S3EventProcessing`` stack; return its checks."""
    stack.emulator.lambda_service.describe_result = describe_summary
    source = stack.s3_source("InputBucket")
    bucket = source.bucket
    checks: list[Check] = []

    trace.section("Run: uploads under incoming/ are processed")
    processed = [VALID, WITH_BAD_ROWS, UNUSUAL_KEY]
    uploads = {orders.key: source.put_object(orders.key, orders.body) for orders in processed}

    trace.section("Run: keys outside the filter invoke nothing")
    filtered = [source.put_object(orders.key, orders.body) for orders in NOT_MATCHING]
    checks.append(
        Check(
            "prefix/suffix filter: other/orders.csv and incoming/orders.txt invoke nothing",
            all(not upload.events and not upload.deliveries for upload in filtered),
        )
    )

    trace.section("Run: a file that is not an orders file is rejected whole")
    source.put_object(NOT_ORDERS.key, NOT_ORDERS.body)

    trace.section("Run: S3 delivers an event twice")
    before = objects(stack, "OutputBucket", VALID.output_key(VALID_PREFIX, bucket))
    redelivered = source.redeliver(uploads[VALID.key])

    trace.section("Run: an older version's event arrives after the newer one's")
    old = source.put_object(LATE_OLD.key, LATE_OLD.body, deliver=False)
    new = source.put_object(LATE_NEW.key, LATE_NEW.body, deliver=False)
    source.deliver(new)
    late = source.deliver(old)

    trace.section("Run: a malformed event fails every retry")
    poison = stack.lambda_invoke_source().invoke_async(
        "CsvValidatorFunction", POISON_EVENT, note="(a malformed, hand-made event)"
    )

    trace.section("Run: an event for a key outside incoming/ is refused")
    foreign = stack.lambda_invoke_source().invoke_async(
        "CsvValidatorFunction", foreign_event(bucket), note="(a replay for other/orders.csv)"
    )

    report_landed(stack, trace)
    output = objects(stack, "OutputBucket")

    rows_in = valid_out = rejected_out = 0
    for orders in [*processed, LATE_NEW]:
        curated = output.get(orders.output_key(VALID_PREFIX, bucket))
        rejected = output.get(orders.output_key(REJECTED_PREFIX, bucket))
        rows = _data_rows(orders.body)
        valid = len(curated.lines) if curated else 0
        bad = len(rejected.lines) if rejected else 0
        rows_in, valid_out, rejected_out = rows_in + rows, valid_out + valid, rejected_out + bad
        checks.append(
            Check(
                f"{orders.key}: {rows} rows in = {valid} curated + {bad} rejected",
                curated is not None
                and rows == valid + bad
                and bad == orders.bad_rows
                and (rejected is not None) == (orders.bad_rows > 0),
            )
        )
    checks.append(
        Check(
            f"all processed files: rows in ({rows_in}) = valid ({valid_out}) + rejected "
            f"({rejected_out})",
            rows_in == valid_out + rejected_out,
        )
    )

    unusual = uploads[UNUSUAL_KEY.key].events[0][1]["Records"][0]["s3"]["object"]["key"]
    checks.append(
        Check(
            "the key with spaces and non-ASCII characters arrives URL-encoded",
            unusual != UNUSUAL_KEY.key and "+" in unusual and "%C3%A4" in unusual,
            unusual,
        )
    )
    checks.append(
        Check(
            "no output for the keys outside the filter",
            not any(key.rpartition("/")[2] == "orders.jsonl" for key in output)
            and not any(key.endswith("orders.txt") for key in output),
        )
    )

    whole = output.get(NOT_ORDERS.output_key(REJECTED_PREFIX, bucket))
    checks.append(
        Check(
            f"{NOT_ORDERS.key} is rejected whole: one rejection record, no curated output",
            whole is not None
            and len(whole.lines) == 1
            and NOT_ORDERS.output_key(VALID_PREFIX, bucket) not in output,
            whole.records()[0]["reason"] if whole else "no rejection record",
        )
    )

    after = output.get(VALID.output_key(VALID_PREFIX, bucket))
    duplicate_ok = (
        len(redelivered) == 1
        and redelivered[0].outcome is not None
        and redelivered[0].outcome.status == "succeeded"
        and after is not None
        and before.get(VALID.output_key(VALID_PREFIX, bucket)) is not None
        and after.body == before[VALID.output_key(VALID_PREFIX, bucket)].body
        and sum(1 for key in output if key.endswith(VALID.output_name)) == 1
    )
    checks.append(
        Check(
            "duplicate delivery: processed twice, one curated output with the same content",
            duplicate_ok,
            f"{after.versions} versions of the object" if after else "",
        )
    )

    late_result = late[0].outcome.attempts[-1].result if late and late[0].outcome else None
    late_outcome = late_result["records"][0]["outcome"] if late_result else "none"
    newest = output.get(LATE_NEW.output_key(VALID_PREFIX, bucket))
    checks.append(
        Check(
            "out-of-order delivery: the older version's late event is skipped as stale",
            late_outcome == "skipped_stale"
            and newest is not None
            and len(newest.lines) == len(LATE_NEW.rows),
            f"late event outcome: {late_outcome}",
        )
    )

    config = stack.emulator.client("lambda").get_function_event_invoke_config(
        FunctionName=stack.physical_id("CsvValidatorFunction")
    )
    attempts = 1 + int(config["MaximumRetryAttempts"])
    dead = messages(stack, "CsvValidatorDeadLetterQueue")
    failed = [o for o in stack.emulator.lambda_service.outcomes if o.status != "succeeded"]
    checks.append(
        Check(
            f"poison event: {attempts} attempts (1 + MaximumRetryAttempts), then the DLQ",
            poison.status == "dead-lettered"
            and len(poison.attempts) == attempts
            and any(
                json.loads(m.body) == POISON_EVENT
                and m.attributes.get("RequestID") == poison.request_id
                for m in dead
            ),
        )
    )
    refusal = foreign.attempts[0].error if foreign.attempts else None
    checks.append(
        Check(
            "foreign event: refused with a clear error before any write, then the DLQ",
            foreign.status == "dead-lettered"
            and refusal is not None
            and refusal.error_type == "UnexpectedSourceError"
            and "is not for this function" in refusal.message
            and not any(key.endswith("/other/orders.jsonl") for key in output),
            str(refusal) if refusal else "no error",
        )
    )
    checks.append(
        Check(
            f"events that failed ({len(failed)}) = messages in the DLQ ({len(dead)})",
            len(failed) == len(dead),
        )
    )
    return checks
