"""Append order changes to a daily change log in S3 and apply each once to customer totals.

Records are handled in stream order, as Lambda checkpoints them
(https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html): each
change is applied to ``$TOTALS_TABLE`` in one transaction (the order's guard item, updated only
if this change's sequence number is newer than the last applied one, and the customer's totals),
then the changes applied now or before (duplicates included: an invocation that applied them
may have failed to write the log) are written to ``$CHANGE_LOG_BUCKET`` as
``changes/day=YYYY-MM-DD/<first sequence>-<last sequence>.jsonl``, so a redelivered batch writes
the same object again. The log is at least once: a line appears twice only if an invocation fails
after its write and Lambda retries a batch with other bounds; each line carries its sequence
number to deduplicate on. At the first record that
fails (a poison change, or a transaction that failed for another reason than "already applied")
the handler stops and reports it and every later record in ``batchItemFailures``: Lambda retries
from the lowest reported record anyway, so nothing after it is applied or logged twice.

Outcomes per record, logged with the sequence number: ``applied``, ``duplicate`` (already
applied: the guard refused it), ``failed`` (poison with its reason at WARNING; anything else at
ERROR), ``not reached`` (after a failure, retried by Lambda).

Environment: ``CHANGE_LOG_BUCKET``, ``TOTALS_TABLE`` (required).
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
from typing import Any, NamedTuple

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError
from change import Change, PoisonChangeError, deltas, log_line, parse

logger = Logger()
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@functools.cache
def dynamodb_client() -> Any:
    """The DynamoDB client, created on first use."""
    return boto3.client("dynamodb", config=_CONFIG)


@functools.cache
def s3_client() -> Any:
    """The S3 client, created on first use."""
    return boto3.client("s3", config=_CONFIG)


def apply_once(change: Change, table: str) -> bool:
    """Apply the change's deltas unless this or a later change of the order was applied.

    Returns True if applied, False if the guard says it already was.
    """
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": f"order#{change.order_id}"}},
                "UpdateExpression": "SET last_sequence = :seq",
                "ConditionExpression": (
                    "attribute_not_exists(last_sequence) OR last_sequence < :seq"
                ),
                "ExpressionAttributeValues": {":seq": {"N": change.sequence_number}},
            }
        }
    ]
    for customer, count, amount in deltas(change):
        items.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": f"customer#{customer}"}},
                    "UpdateExpression": "ADD order_count :count, total_amount :amount",
                    "ExpressionAttributeValues": {
                        ":count": {"N": str(count)},
                        # Positional notation: DynamoDB reads both, some readers only this.
                        ":amount": {"N": format(amount, "f")},
                    },
                }
            }
        )
    try:
        dynamodb_client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        reasons = exc.response.get("CancellationReasons") or []
        if (
            error.get("Code") == "TransactionCanceledException"
            and reasons[:1]
            and reasons[0].get("Code") == "ConditionalCheckFailed"
        ):
            return False
        raise
    return True


class Logged(NamedTuple):
    """An applied change as the change log needs it: its day, sequence number and line."""

    day: str
    sequence_number: str
    line: bytes


def logged(change: Change) -> Logged:
    """The change's log entry, encoded now (raises ``PoisonChangeError`` if it cannot be)."""
    return Logged(change.day, change.sequence_number, log_line(change))


def write_log(entries: list[Logged], bucket: str) -> list[str]:
    """Write the entries, one object per day (in stream order); return the keys."""
    keys = []
    # Consecutive entries of one day make one object (a batch spans a day or two).
    for day, run in itertools.groupby(entries, key=_DAY):
        group = list(run)
        key = f"changes/day={day}/{group[0].sequence_number}-{group[-1].sequence_number}.jsonl"
        body = b"\n".join(map(_LINE, group)) + b"\n"
        s3_client().put_object(
            Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson"
        )
        keys.append(key)
    return keys


_DAY, _LINE = operator.itemgetter(0), operator.itemgetter(2)


def _sequence(record: Any) -> Any:
    """The record's sequence number (its batch item identifier), looked up only when reported."""
    stream = record.get("dynamodb") if isinstance(record, dict) else None
    return stream.get("SequenceNumber") if isinstance(stream, dict) else None


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process a batch of stream records; return the partial batch response."""
    records = event.get("Records", [])
    table, bucket = os.environ["TOTALS_TABLE"], os.environ["CHANGE_LOG_BUCKET"]
    applied: list[Logged] = []
    counts = {"applied": 0, "duplicate": 0}
    failed_from = len(records)
    for index, record in enumerate(records):
        try:
            change = parse(record)
            # Encoded before it is applied, inside this ``try``: a change whose line cannot be
            # written is a poison record, never applied, and never fails the invocation.
            entry = logged(change)
            newly_applied = apply_once(change, table)
        except PoisonChangeError as exc:
            logger.warning(
                "poison", extra={"sequence_number": _sequence(record), "reason": exc.reason}
            )
            failed_from = index
            break
        except Exception:
            logger.exception("failed", extra={"sequence_number": _sequence(record)})
            failed_from = index
            break
        # Every change that is applied now or was applied before is logged: if an earlier
        # invocation applied it and then failed to write the log, this retry is the only one
        # left to log it. Kept as its encoded line, not as the decoded images: a batch of
        # decoded images held to the end made the garbage collector walk them over and over.
        applied.append(entry)
        counts["applied" if newly_applied else "duplicate"] += 1
    # Logged after applying: a failed PUT fails the invocation, and the retry re-applies
    # nothing (the guards) and writes the log then. A redelivered batch writes the same key
    # (its first and last sequence numbers) again, with the same lines.
    keys = write_log(applied, bucket)
    failures = [{"itemIdentifier": _sequence(r)} for r in records[failed_from:]]
    logger.info(
        "batch",
        extra={"records": len(records), **counts, "not_done": len(failures), "objects": keys},
    )
    return {"batchItemFailures": failures}
