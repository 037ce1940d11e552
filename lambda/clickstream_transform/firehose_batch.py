"""The Firehose side of the transform: read the batch Firehose sends, build the answer it expects.

The record contract is AWS docs, not seeds (seed-facts A2.5 lists it as NOT IN SEEDS): Firehose
invokes the function synchronously with ``records[]`` of ``recordId`` + base64 ``data`` (for a
Kinesis Data Streams source also ``approximateArrivalTimestamp`` and ``kinesisRecordMetadata``),
and every ``recordId`` must come back once with ``result`` ``Ok``, ``Dropped`` or
``ProcessingFailed`` and base64 ``data``; dynamic partitioning reads ``metadata.partitionKeys``.
A ``ProcessingFailed`` record goes to the delivery stream's error output prefix, so it is answered
with its original data, unchanged.

Response size. Lambda's synchronous invocation limit is 6 MB for the request and for the response
(AWS docs, Firehose "Transform source data"), and Firehose keeps its request within it. The
answer to a record is not always smaller than the record: a valid event's line can be longer than
its input, by at most ``click_event.MAX_LINE_GROWTH_BYTES`` (96 bytes; the derivation is there).
Base64-encoded, with ``result`` and the partition keys, that growth is smaller than the Kinesis
metadata each request entry carries and the answer drops (a 56-digit sequence number, shard id,
partition key, a second timestamp), so in practice the answer is smaller than the request. The
handler does not rely on that alone: ``response_size_bound`` bounds the answer's size, and if it
exceeds ``MAX_RESPONSE_BYTES`` every record is answered with its original data instead, which is
never larger than the request (each entry drops ``kinesisRecordMetadata`` and trades
``"approximateArrivalTimestamp": <ms>`` for the shorter ``"result": "ProcessingFailed"``).
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent
from aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event import (
    KinesisFirehoseRecord,
)

MAX_RECORD_BYTES = 1024 * 1024
"""Largest record accepted: the Kinesis "Message size: 1 MB Limit" (seed 000:L6006)."""

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
"""Lambda's synchronous response payload limit, which Firehose invocations are under (AWS docs)."""

OK = "Ok"
DROPPED = "Dropped"
FAILED = "ProcessingFailed"

# Base64 of MAX_RECORD_BYTES: longer text cannot decode to an acceptable record, so it is refused
# before decoding a possibly huge blob.
_MAX_BASE64_CHARS = 4 * -(-MAX_RECORD_BYTES // 3)
# Arrival times are formatted as dates; beyond year 9998 the date arithmetic overflows.
_MAX_ARRIVAL_MS = (datetime(9999, 1, 1) - datetime(1970, 1, 1)).days * 86_400_000
_WIDEST_PARTITION = {"year": "9999", "month": "12", "day": "31", "hour": "23"}
# JSON size of an answer entry with an empty id and data, widest result and partition keys, as
# Lambda serialises it (json.dumps defaults), plus the ", " that separates entries.
_ENTRY_OVERHEAD = (
    len(
        json.dumps(
            {
                "recordId": "",
                "result": FAILED,
                "data": "",
                "metadata": {"partitionKeys": _WIDEST_PARTITION},
            }
        )
    )
    + 2
)
_RESPONSE_OVERHEAD = len(json.dumps({"records": []}))


class MalformedEventError(ValueError):
    """The event is not a Firehose transformation batch this function can answer."""


class UndecodableRecordError(ValueError):
    """A record's data is not base64 or exceeds ``MAX_RECORD_BYTES``: it cannot be an event."""


def read_records(event: Any) -> list[KinesisFirehoseRecord]:
    """Return the batch's records, after checking each one can be answered.

    Every record needs a unique string ``recordId`` (the answer is matched on it), string
    ``data`` and an integer ``approximateArrivalTimestamp`` (epoch milliseconds). An event that
    breaks this is not a Firehose batch; raising makes Firehose retry it and then write the whole
    batch to the error output prefix (AWS docs), so nothing is lost.

    Raises:
        MalformedEventError: No ``records`` list, or a record Firehose would never send.

    Example:
        >>> record = {"recordId": "1", "data": "e30=", "approximateArrivalTimestamp": 0}
        >>> [record.record_id for record in read_records({"records": [record]})]
        ['1']
    """
    if not isinstance(event, dict) or not isinstance(event.get("records"), list):
        raise MalformedEventError("not a Firehose transformation event: no records list")
    seen: set[str] = set()
    for index, raw in enumerate(event["records"]):
        if not isinstance(raw, dict):
            raise MalformedEventError(f"records[{index}] is not an object")
        record_id = raw.get("recordId")
        if type(record_id) is not str or not record_id:
            raise MalformedEventError(f"records[{index}] has no recordId")
        if record_id in seen:
            raise MalformedEventError(f"records[{index}] repeats recordId {record_id!r}")
        seen.add(record_id)
        if type(raw.get("data")) is not str:
            raise MalformedEventError(f"records[{index}] ({record_id}) has no base64 data")
        arrival = raw.get("approximateArrivalTimestamp")
        if type(arrival) is not int or not 0 <= arrival < _MAX_ARRIVAL_MS:
            raise MalformedEventError(
                f"records[{index}] ({record_id}) has no approximateArrivalTimestamp in epoch ms"
            )
    return list(KinesisFirehoseEvent(event).records)


def decode_data(data: str) -> bytes:
    """Decode a record's base64 data, strictly; raise UndecodableRecordError if it cannot be one.

    Strict mode matters: by default base64 decoding silently skips characters outside the
    alphabet, which would turn corrupt data into different, plausible bytes.

    Example:
        >>> decode_data("e30=")
        b'{}'
    """
    if len(data) > _MAX_BASE64_CHARS:
        raise UndecodableRecordError(f"record larger than {MAX_RECORD_BYTES} bytes")
    try:
        raw = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII text
        raise UndecodableRecordError(f"data is not base64: {exc}") from exc
    if len(raw) > MAX_RECORD_BYTES:
        raise UndecodableRecordError(f"record larger than {MAX_RECORD_BYTES} bytes")
    return raw


# The answer entries are plain dicts in the documented shape, not Powertools'
# KinesisFirehoseDataTransformationRecord: building and converting that dataclass per record cost
# a tenth of the handler's time in bench/firehose_transform.py, and its response class refuses an
# empty batch.
def ok_entry(record_id: str, line: bytes, partition_keys: dict[str, str]) -> dict[str, Any]:
    """Answer a transformed record: its new data and the partition it is written under."""
    return {
        "recordId": record_id,
        "result": OK,
        "data": binascii.b2a_base64(line, newline=False).decode("ascii"),
        "metadata": {"partitionKeys": partition_keys},
    }


def unchanged_entry(record_id: str, data: str, result: str) -> dict[str, Any]:
    """Answer a record with its original data: ``Dropped`` or ``ProcessingFailed``.

    Failed records keep their bytes so the error output prefix holds them intact; dropped ones
    keep them too, which costs no more than the request already carried.
    """
    return {"recordId": record_id, "result": result, "data": data}


def response_size_bound(entries: Iterable[dict[str, Any]]) -> int:
    """Return an upper bound of the answer's size once Lambda serialises it as JSON.

    Every entry is counted with the widest result and partition keys; base64 data never needs
    escaping, and record ids are counted as they are, which holds for the digit strings Firehose
    issues (an id with characters JSON escapes would be undercounted).
    """
    return _RESPONSE_OVERHEAD + sum(
        len(entry["recordId"]) + len(entry["data"]) + _ENTRY_OVERHEAD for entry in entries
    )
