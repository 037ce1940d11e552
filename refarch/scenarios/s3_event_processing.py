"""The scenario of ``s3-event-processing``: uploads in, curated and rejected rows out.

The same code runs on the local emulator (``refarch demo``) and in an account (``refarch verify
--live``); it drives the stack only with ``PutObject`` and ``Invoke`` and reads only objects,
their metadata, the DLQ and the function's log. In the order a reader meets it in the trace:

1. The notification configuration is given the time S3 documents to take effect.
2. A valid orders file, a file with bad rows, and a key with spaces and non-ASCII characters
   (URL-encoded in the event) are uploaded under ``incoming/``: each is processed.
3. ``other/orders.csv`` and ``incoming/orders.txt`` are uploaded: the prefix/suffix filter
   matches neither, so the function never sees them.
4. A file without the orders header is rejected as a whole: one rejection record.
5. The valid file's event is delivered a second time, rebuilt from the output's provenance
   metadata (the source version and sequencer) and sent with ``Invoke``, as an operator replays
   an event: the output is rewritten, not duplicated.
6. Two versions of one key are uploaded; the older version's event is then replayed: it arrives
   after the newer one's and is skipped as stale (sequencers order them).
7. A malformed event is sent with ``Invoke`` (``InvocationType=Event``): it fails every retry
   and lands in the function's dead-letter queue.
8. A well-formed event for a key outside ``incoming/`` (a replay pointed at the wrong function) is
   refused with ``UnexpectedSourceError`` before anything is written, and lands in the DLQ too.

Then it checks the outputs against the inputs: rows in = valid + rejected for every processed
file; the events that failed (the function's log) = the messages in the DLQ.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from refarch.scenarios.observe import (
    QueuedMessage,
    StoredObject,
    function_log_group,
    log_records,
    peek_messages,
    read_objects,
    report_stack_landed,
)
from refarch.scenarios.target import Check, Target
from refarch.trace import brief, size

HEADER = "order_id,customer_id,order_ts,amount,currency"
INPUT_PREFIX = "incoming/"
VALID_PREFIX = "curated/"
REJECTED_PREFIX = "rejected/"
FUNCTION = "CsvValidatorFunction"
DLQ = "CsvValidatorDeadLetterQueue"

#: "After you create or change the notification configuration, it usually takes about five
#: minutes for the changes to take effect"
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-to-enable-disable-notification-intro.html).
NOTIFICATION_SETTLE_SECONDS = 300
#: "Typically, event notifications are delivered in seconds but can sometimes take a minute or
#: longer" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html); the
#: handler then takes well under a second per file. Poll every 5 s for up to 5 minutes.
DELIVERY_POLL_SECONDS = 5
DELIVERY_TIMEOUT_SECONDS = 300
#: After a function error Lambda retries an async event twice, "one minute and two minutes"
#: apart, then sends it to the DLQ
#: (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): about
#: 3 minutes; allow 10, polling every 15 s.
RETRY_POLL_SECONDS = 15
RETRY_TIMEOUT_SECONDS = 600

#: Provenance metadata the handler writes on every output (``lambda/csv_validator/output_layout``).
META_VERSION_ID = "source-version-id"
META_SEQUENCER = "source-sequencer"


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


def s3_event(bucket: str, key: str, *, version_id: str | None, sequencer: str) -> dict[str, Any]:
    """An ``ObjectCreated:Put`` notification of the documented shape, as an operator rebuilds it.

    The key is URL-encoded as S3 encodes it; ``versionId`` and ``sequencer`` come from the
    output's provenance metadata
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
    """
    s3_object: dict[str, Any] = {"key": quote_plus(key, safe="/"), "sequencer": sequencer}
    if version_id:
        s3_object["versionId"] = version_id
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket}, "object": s3_object},
    }
    return {"Records": [record]}


def foreign_event(bucket: str) -> dict[str, Any]:
    """A well-formed notification for ``FOREIGN_KEY``, outside the prefix the function serves."""
    return s3_event(bucket, FOREIGN_KEY, version_id=None, sequencer="0A")


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


class _Run:
    """The scenario's handles: clients, names, and the reads it repeats while waiting."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.trace = target.trace
        self.s3 = target.client("s3")
        self.lambda_ = target.client("lambda")
        self.bucket = target.physical_id("InputBucket")
        self.output_bucket = target.physical_id("OutputBucket")
        self.function = target.physical_id(FUNCTION)
        self.dlq = target.physical_id(DLQ)
        self.dead: dict[str, QueuedMessage] = {}
        """Every DLQ message seen so far, by id (a short poll returns a sample)."""

    def put(self, orders: OrdersFile) -> str | None:
        """Upload ``orders`` as a producer does; return the new version id."""
        self.trace.line(f"→ PUT s3://{self.bucket}/{orders.key} ({size(len(orders.body))})")
        response = self.s3.put_object(Bucket=self.bucket, Key=orders.key, Body=orders.body)
        return response.get("VersionId")

    def output(self, prefix: str = "") -> dict[str, StoredObject]:
        return read_objects(self.s3, self.output_bucket, prefix)

    def provenance(self, key: str) -> dict[str, str] | None:
        """The provenance metadata of an output (None while it does not exist)."""
        try:
            return self.s3.head_object(Bucket=self.output_bucket, Key=key)["Metadata"]
        except self.s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def wait_for_outputs(self, description: str, keys: list[str]) -> None:
        self.target.wait_until(
            description,
            lambda: all(self.provenance(key) is not None for key in keys),
            timeout=DELIVERY_TIMEOUT_SECONDS,
            interval=DELIVERY_POLL_SECONDS,
        )

    def wait_for_version(self, orders: OrdersFile, version: str | None) -> dict[str, str]:
        key = orders.output_key(VALID_PREFIX, self.bucket)

        def written() -> dict[str, str] | None:
            meta = self.provenance(key)
            return meta if meta and meta.get(META_VERSION_ID) == version else None

        return self.target.wait_until(
            f"curated output of {orders.key} version {version}",
            written,
            timeout=DELIVERY_TIMEOUT_SECONDS,
            interval=DELIVERY_POLL_SECONDS,
        )

    def replay(self, event: dict[str, Any], note: str) -> dict[str, Any]:
        """Invoke the function synchronously with ``event``; return its summary."""
        self.trace.line(f"→ Invoke (RequestResponse) {self.function} {note}")
        response = self.lambda_.invoke(
            FunctionName=self.function, InvocationType="RequestResponse", Payload=json.dumps(event)
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            return {"error": payload}
        self.trace.line(f"← {describe_summary(payload)}", 2)
        return payload

    def send_async(self, event: dict[str, Any], note: str) -> None:
        self.trace.line(f"→ Invoke (Event) {self.function} {note}")
        self.lambda_.invoke(
            FunctionName=self.function, InvocationType="Event", Payload=json.dumps(event)
        )

    def dead_letter(self, body: dict[str, Any]) -> QueuedMessage | None:
        """The DLQ message holding ``body``, polling once more (None until it is there)."""
        for message in peek_messages(self.target.client("sqs"), self.dlq):
            self.dead[message.message_id or message.body] = message
        return next((m for m in self.dead.values() if _json(m.body) == body), None)

    def log(self) -> list[dict[str, Any]]:
        group = function_log_group(self.lambda_, self.function)
        return log_records(self.target.client("logs"), group)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _attempts(records: list[dict[str, Any]], request_id: str) -> int:
    """Invocations of one request in the log: one ``platform.start`` record per attempt."""
    return sum(
        1
        for r in records
        if r.get("type") == "platform.start" and r.get("record", {}).get("requestId") == request_id
    )


def _error_types(records: list[dict[str, Any]]) -> dict[str, str]:
    """Request id → error type, from Lambda's error records (flat, or nested under message)."""
    found = {}
    for record in records:
        nested = record.get("message") if isinstance(record.get("message"), dict) else {}
        error_type = record.get("errorType") or nested.get("errorType")
        request_id = record.get("requestId") or nested.get("requestId")
        if error_type and request_id:
            found[request_id] = error_type
    return found


def _mentions(records: list[dict[str, Any]], key: str) -> bool:
    return any(key in json.dumps(record, ensure_ascii=False) for record in records)


def run(target: Target) -> list[Check]:
    """Drive the scenario on a deployed ``S3EventProcessing`` stack; return its checks."""
    run_ = _Run(target)
    trace, bucket = target.trace, run_.bucket
    checks: list[Check] = []

    trace.section("Run: the notification configuration takes effect")
    target.let_settle("S3 applies a new notification configuration", NOTIFICATION_SETTLE_SECONDS)

    trace.section("Run: uploads under incoming/ are processed")
    processed = [VALID, WITH_BAD_ROWS, UNUSUAL_KEY]
    for orders in processed:
        run_.put(orders)
    run_.wait_for_outputs(
        "curated outputs of the 3 uploads",
        [orders.output_key(VALID_PREFIX, bucket) for orders in processed],
    )

    trace.section("Run: keys outside the filter invoke nothing")
    for orders in NOT_MATCHING:
        run_.put(orders)

    trace.section("Run: a file that is not an orders file is rejected whole")
    run_.put(NOT_ORDERS)
    run_.wait_for_outputs(
        f"rejection record of {NOT_ORDERS.key}", [NOT_ORDERS.output_key(REJECTED_PREFIX, bucket)]
    )
    # Uploaded before NOT_ORDERS: had S3 notified the function, it would most likely have run
    # by now (delivery is not ordered, so this reads the log, the one place it would show).
    before_replays = run_.log()
    checks.append(
        Check(
            "prefix/suffix filter: other/orders.csv and incoming/orders.txt invoke nothing",
            not any(_mentions(before_replays, orders.key) for orders in NOT_MATCHING),
            "no record of either key in the function's log",
        )
    )

    trace.section("Run: an event is delivered twice")
    valid_key = VALID.output_key(VALID_PREFIX, bucket)
    before = run_.output(valid_key).get(valid_key)
    meta = run_.provenance(valid_key) or {}
    duplicate = run_.replay(
        s3_event(
            bucket,
            VALID.key,
            version_id=meta.get(META_VERSION_ID),
            sequencer=meta.get(META_SEQUENCER, "0"),
        ),
        "(the same event again, rebuilt from the output's provenance)",
    )

    trace.section("Run: an older version's event arrives after the newer one's")
    old_version = run_.put(LATE_OLD)
    old_meta = run_.wait_for_version(LATE_OLD, old_version)
    new_version = run_.put(LATE_NEW)
    run_.wait_for_version(LATE_NEW, new_version)
    late = run_.replay(
        s3_event(
            bucket,
            LATE_OLD.key,
            version_id=old_meta.get(META_VERSION_ID),
            sequencer=old_meta.get(META_SEQUENCER, "0"),
        ),
        "(the older version's event, late)",
    )

    trace.section("Run: a malformed event fails every retry")
    run_.send_async(POISON_EVENT, "(a malformed, hand-made event)")

    trace.section("Run: an event for a key outside incoming/ is refused")
    foreign = foreign_event(bucket)
    run_.send_async(foreign, "(a replay for other/orders.csv)")

    config = run_.lambda_.get_function_event_invoke_config(FunctionName=run_.function)
    attempts = 1 + int(config["MaximumRetryAttempts"])

    def dead_lettered() -> tuple[QueuedMessage, QueuedMessage, list[dict[str, Any]]] | None:
        poison_message, foreign_message = run_.dead_letter(POISON_EVENT), run_.dead_letter(foreign)
        if poison_message is None or foreign_message is None:
            return None
        records = run_.log()  # every attempt is logged before the event is dead-lettered
        if _attempts(records, poison_message.attributes.get("RequestID", "")) < attempts:
            return None
        return poison_message, foreign_message, records

    poison_message, foreign_message, records = target.wait_until(
        "both failed events in the DLQ",
        dead_lettered,
        timeout=RETRY_TIMEOUT_SECONDS,
        interval=RETRY_POLL_SECONDS,
    )

    report_stack_landed(trace, run_.s3, target.client("sqs"), target)
    output = run_.output()

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

    stack = target.local_only("the event S3 sends is seen only by the function it invokes")
    if stack is not None:
        unusual = next(
            (
                record["s3"]["object"]["key"]
                for invocation in stack.emulator.lambda_service.invocations
                for record in (invocation.event or {}).get("Records", [])
                if unquote_plus(record["s3"]["object"].get("key", "")) == UNUSUAL_KEY.key
            ),
            "",
        )
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

    after = output.get(valid_key)
    duplicate_outcome = _outcome(duplicate)
    checks.append(
        Check(
            "duplicate delivery: processed twice, one curated output with the same content",
            duplicate_outcome == "processed"
            and before is not None
            and after is not None
            and after.body == before.body
            and sum(1 for key in output if key.endswith(VALID.output_name)) == 1,
            f"{after.versions} versions of the object" if after else "",
        )
    )

    late_outcome = _outcome(late)
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

    errors = _error_types(records)
    poison_id = poison_message.attributes.get("RequestID", "")
    checks.append(
        Check(
            f"poison event: {attempts} attempts (1 + MaximumRetryAttempts), then the DLQ",
            _attempts(records, poison_id) == attempts,
            f"request {poison_id}",
        )
    )
    foreign_id = foreign_message.attributes.get("RequestID", "")
    reason = foreign_message.attributes.get("ErrorMessage", "")
    checks.append(
        Check(
            "foreign event: refused with a clear error before any write, then the DLQ",
            errors.get(foreign_id) == "UnexpectedSourceError"
            and "is not for this function" in reason
            and not any(key.endswith("/other/orders.jsonl") for key in output),
            f"{errors.get(foreign_id)}: {reason}",
        )
    )
    dead = {m.attributes.get("RequestID", "") for m in run_.dead.values()}
    checks.append(
        Check(
            f"events that failed ({len(errors)}) = messages in the DLQ ({len(dead)})",
            set(errors) == dead,
        )
    )
    return checks


def _outcome(summary: dict[str, Any]) -> str:
    try:
        return str(summary["records"][0]["outcome"])
    except (KeyError, IndexError, TypeError):
        return f"error: {brief(summary)}"
