"""The Firehose side of the transform: read the batch Firehose sends, build the answer it expects.

The record contract (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html):
Firehose invokes the function synchronously with ``records[]`` of ``recordId`` + base64 ``data``
(for a Kinesis Data Streams source also ``approximateArrivalTimestamp`` and
``kinesisRecordMetadata``), and every ``recordId`` must come back once with ``result`` ``Ok``,
``Dropped`` or ``ProcessingFailed`` and base64 ``data``; dynamic partitioning reads
``metadata.partitionKeys``. A ``ProcessingFailed`` record goes to the delivery stream's error
output prefix, so it is answered with its original data, unchanged.

What may fail the invocation. Only an event with no ``records`` list: there is nothing to answer
record by record, so raising (Firehose retries, then writes the batch to the error output prefix,
https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html) is
the one outcome that loses nothing. Every other shape of a record is that record's
``ProcessingFailed`` (``record_problem``), in its place in the answer, one entry per record:

- A record that is not an object, or whose ``recordId`` is missing, empty or not a string, has
  no id to answer. Its entry copies what the record has (``recordId`` and ``data`` verbatim,
  whatever their type; nothing invented) with ``ProcessingFailed``. Firehose never sends such a
  record; were it to, "any mismatch between the ID of the original record and the ID of the
  transformed record is treated as a data transformation failure"
  (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html), the
  same outcome as ``ProcessingFailed``.
- Records that share a ``recordId`` are all ``ProcessingFailed``: the answer is matched on the id,
  so none of them can be delivered without the risk of Firehose pairing it with another's data.
- ``data`` not a string, ``approximateArrivalTimestamp`` not an integer of epoch milliseconds
  (it dates ``ingested_at`` and bounds ``event_time``), ``kinesisRecordMetadata`` neither an
  object nor null, or its ``shardId``/``partitionKey``/``sequenceNumber`` present and not strings.
  The metadata's own ``approximateArrivalTimestamp`` and ``subsequenceNumber`` are not read and
  not checked: published sample events disagree on their type (numbers in Powertools' schema,
  strings in other samples), and a record must not fail on a field the transform never uses.

Response size. Lambda's synchronous invocation limit is 6 MB for the request and for the response
(AWS docs, Firehose "Transform source data"), and Firehose keeps its request within it. The
answer to a record is not always smaller than the record: a valid event's line can be longer than
its input, by at most ``click_event.MAX_LINE_GROWTH_BYTES`` (96 bytes; the derivation is there).
Base64-encoded, with ``result`` and the partition keys, that growth is smaller than the Kinesis
metadata each request entry carries and the answer drops (a 56-digit sequence number, shard id,
partition key, a second timestamp), so in practice the answer is smaller than the request. The
handler does not rely on that alone: ``response_size_bound`` bounds the answer's size, and if it
exceeds ``MAX_RESPONSE_BYTES`` every record is answered with its original data instead, which is
never larger than the request for records Firehose sends (each entry drops
``kinesisRecordMetadata`` and trades ``"approximateArrivalTimestamp": <ms>`` for the shorter
``"result": "ProcessingFailed"``). Only records lacking those fields (e.g. megabytes of ``{}``,
which no Firehose sends) can make even that answer too large: ``BatchTooLargeToAnswerError``.
"""

from __future__ import annotations

import binascii
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from click_event import json_type

MAX_RECORD_BYTES = 1024 * 1024
"""Largest record accepted: 1 MiB, the default maximum record size of a Kinesis data stream.

A stream can be raised to accept records of up to 10 MiB (``UpdateMaxRecordSize``:
https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateMaxRecordSize.html); this
stack's stream keeps the 1 MiB default, so no valid record is larger. A 1 MiB record also keeps
a Firehose batch well inside Lambda's 6 MB synchronous payload.
"""

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
    """The event is not a Firehose transformation batch: it has no ``records`` list."""


class BatchTooLargeToAnswerError(ValueError):
    """Even answering every record with its original data would exceed Lambda's 6 MB response."""


class UndecodableRecordError(ValueError):
    """A record's data is not base64 or exceeds ``MAX_RECORD_BYTES``: it cannot be an event."""


_METADATA = "kinesisRecordMetadata"
_METADATA_STRINGS = ("shardId", "partitionKey", "sequenceNumber")


def read_records(event: Any) -> list[Any]:
    """Return the batch's records, as sent: each is checked on its own by ``record_problem``.

    Raises:
        MalformedEventError: The event is not an object with a ``records`` list.

    Example:
        >>> read_records({"records": [{"recordId": "1"}, 5]})
        [{'recordId': '1'}, 5]
    """
    if type(event) is not dict or type(event.get("records")) is not list:
        raise MalformedEventError("not a Firehose transformation event: no records list")
    return event["records"]


def record_problem(raw: Any) -> str | None:
    """Return why a record's envelope cannot be transformed, or None when it can.

    The reason names the field and its JSON type, never its value (see the module docstring for
    the rules and why).

    Example:
        >>> record_problem({"recordId": "1", "data": "e30=", "approximateArrivalTimestamp": 0})
        >>> record_problem({"recordId": ["1"], "data": "e30="})
        'recordId is not a non-empty string (got an array)'
    """
    if type(raw) is not dict:
        return f"record is not an object (got {json_type(raw)})"
    record_id = raw.get("recordId")
    if type(record_id) is not str or not record_id:
        return f"recordId is not a non-empty string (got {json_type(record_id)})"
    data = raw.get("data")
    if type(data) is not str:
        return f"data is not a base64 string (got {json_type(data)})"
    arrival = raw.get("approximateArrivalTimestamp")
    if type(arrival) is not int or not 0 <= arrival < _MAX_ARRIVAL_MS:
        return (
            "approximateArrivalTimestamp is not epoch milliseconds before year 9999"
            f" (got {json_type(arrival)})"
        )
    metadata = raw.get(_METADATA)
    if metadata is not None:
        if type(metadata) is not dict:
            return f"{_METADATA} is not an object (got {json_type(metadata)})"
        for key in _METADATA_STRINGS:
            value = metadata.get(key)
            if value is not None and type(value) is not str:
                return f"{_METADATA}.{key} is not a string (got {json_type(value)})"
    return None


def repeated_record_ids(records: list[Any]) -> frozenset[str]:
    """Return the string recordIds that more than one record of the batch carries.

    Example:
        >>> sorted(repeated_record_ids([{"recordId": "1"}, {"recordId": "1"}, {"recordId": "2"}]))
        ['1']
    """
    ids = [
        record_id
        for record in records
        if type(record) is dict and type(record_id := record.get("recordId")) is str
    ]
    if len(set(ids)) == len(ids):
        return frozenset()
    return frozenset(record_id for record_id, count in Counter(ids).items() if count > 1)


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


def failed_entry(raw: Any) -> dict[str, Any]:
    """Answer a record that cannot be transformed: ``ProcessingFailed``, with what it carried.

    ``recordId`` and ``data`` are copied verbatim when the record has them, whatever their type:
    nothing is invented, and a record without a usable id keeps its place in the answer.
    """
    entry: dict[str, Any] = {}
    if type(raw) is dict:
        if "recordId" in raw:
            entry["recordId"] = raw["recordId"]
        entry["result"] = FAILED
        if "data" in raw:
            entry["data"] = raw["data"]
        return entry
    return {"result": FAILED}


def unchanged_entry(record_id: str, data: str, result: str) -> dict[str, Any]:
    """Answer a record with its original data: ``Dropped`` or ``ProcessingFailed``.

    Failed records keep their bytes so the error output prefix holds them intact; dropped ones
    keep them too, which costs no more than the request already carried.
    """
    return {"recordId": record_id, "result": result, "data": data}


def response_size_bound(entries: Iterable[dict[str, Any]]) -> int:
    """Return an upper bound of the answer's size once Lambda serialises it as JSON.

    An ``Ok`` entry is counted with the widest partition keys: its data is base64, which never
    needs escaping, and its id is counted as it is when it holds nothing JSON escapes (the digit
    strings Firehose issues). Any other entry is measured as ``json.dumps`` (ASCII-escaped, the
    longest form) writes it: its data and id are the producer's text, which may need escaping.
    """
    total = _RESPONSE_OVERHEAD
    for entry in entries:
        record_id = entry.get("recordId")
        if entry["result"] == OK and _needs_no_escaping(record_id):
            total += len(record_id) + len(entry["data"]) + _ENTRY_OVERHEAD
        else:
            total += len(json.dumps(entry)) + _ENTRY_OVERHEAD
    return total


def _needs_no_escaping(text: str) -> bool:
    """Whether JSON writes ``text`` as it is (printable ASCII, no quote, no backslash)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text
