"""Hypothesis strategies for Firehose transformation events of any shape, for the clickstream tests.

Every level of the event is drawn from "what Firehose sends" mixed with arbitrary JSON values:
the envelope's fields, each record (or a non-object in its place), each record's ``recordId``,
``approximateArrivalTimestamp``, ``data`` (base64 of a click event, of other JSON, of arbitrary
or non-UTF-8 bytes, text that is not base64, a non-string) and ``kinesisRecordMetadata`` with
each sub-field, and every field of the click event inside ``data``.

``MARKER`` is personal data a producer might send in any field the transform validates or drops
(an e-mail address as ``event_type``, say): the property tests assert it never reaches a log.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from firehose_events import (
    ARRIVAL_MS,
    DELIVERY_STREAM_ARN,
    REGION,
    SHARD_ID,
    SOURCE_STREAM_ARN,
    sequence_number,
)
from hypothesis import strategies as st

MARKER = "ana.pii@example.com"
"""An e-mail address: never to be copied into a log line, whatever field carries it."""

ABSENT = object()
"""Drawn for a field to leave it out of its object."""

# Text that sometimes carries the marker, sometimes is huge (log lines must stay short).
texts = st.one_of(
    st.text(max_size=20),
    st.just(MARKER),
    st.builds(lambda pad: pad + MARKER, st.text(max_size=5)),
    st.just("x" * 3000 + MARKER),
)
# Text for the fields the logs identify a record by (recordId, shard, sequence number, the
# envelope's ids, a valid event_id): strings there are logged, cut short, so they carry no marker.
plain_texts = st.one_of(st.text(max_size=20), st.just("y" * 3000))


def json_values_of(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Strict JSON values, as Firehose's JSON and Lambda's decoder deliver them (no NaN)."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=False, allow_infinity=False)
        | strings,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=8) | st.just("event_type"), children, max_size=3)
        ),
        max_leaves=6,
    )


json_values = json_values_of(texts)
plain_json_values = json_values_of(plain_texts)


def field_or(
    valid: st.SearchStrategy[Any], others: st.SearchStrategy[Any] = json_values
) -> st.SearchStrategy[Any]:
    """A field's value: valid, any JSON value (``others``), or absent."""
    return st.one_of(valid, valid, others, st.just(ABSENT))


def without_absent(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop the fields drawn as absent."""
    return {name: value for name, value in fields.items() if value is not ABSENT}


# A producer's click event: every field valid, of another type, absent, or carrying the marker.
event_times = st.one_of(
    st.just("2024-05-01T09:59:58.250Z"),
    st.integers(min_value=ARRIVAL_MS - 10**10, max_value=ARRIVAL_MS + 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["2024-05-01 09:15:00.123+02:00", "2024-13-01T10:00:00Z", "2024-05-01"]),
)
click_events = st.fixed_dictionaries(
    {
        "event_id": field_or(st.sampled_from(["evt-1", "evt-2", "evt-3"]), plain_json_values),
        "event_type": field_or(st.sampled_from(["page_view", "click", MARKER])),
        "event_time": field_or(event_times),
        "user_id": field_or(st.just(MARKER)),
        "session_id": field_or(st.just("s-1")),
        "page": field_or(st.just("/home")),
        "email": field_or(st.just(MARKER)),
    },
    optional={"ip_address": json_values, "nested": json_values},
).map(without_absent)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


record_data = st.one_of(
    click_events.map(lambda event: _b64(json.dumps(event).encode())),
    click_events.map(lambda event: _b64(json.dumps(event).encode())),
    json_values.map(lambda value: _b64(json.dumps(value).encode())),  # list, number, null, ...
    st.binary(max_size=40).map(_b64),
    texts.map(lambda text: _b64(text.encode("utf-16"))),  # not UTF-8
    texts.map(lambda text: _b64(text.encode())),  # not JSON (or JSON text)
    texts,  # not base64
    json_values,  # not a string
)

kinesis_metadata = st.one_of(
    st.fixed_dictionaries(
        {
            "shardId": field_or(st.just(SHARD_ID), plain_json_values),
            "partitionKey": field_or(st.just("user-1")),
            "approximateArrivalTimestamp": field_or(st.just(ARRIVAL_MS)),
            "sequenceNumber": field_or(st.just(sequence_number(0)), plain_json_values),
            "subsequenceNumber": field_or(st.just(0)),
        }
    ).map(without_absent),
    json_values,
    st.just(ABSENT),
)


@st.composite
def records(draw: st.DrawFn, n: int) -> Any:
    """The n-th record of a batch: usually record-shaped, with every field open to any value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # not an object at all
    unique_id = f"{sequence_number(n)}{n:06d}"
    record = {
        "recordId": draw(
            field_or(st.sampled_from([unique_id, unique_id, "repeated-id"]), plain_json_values)
        ),
        "approximateArrivalTimestamp": draw(field_or(st.just(ARRIVAL_MS))),
        "data": draw(record_data),
        "kinesisRecordMetadata": draw(kinesis_metadata),
    }
    return without_absent(record)


@st.composite
def firehose_events(draw: st.DrawFn, max_records: int = 6) -> dict[str, Any]:
    """A Firehose transformation event with a records list: every other field open to any value."""
    count = draw(st.integers(0, max_records))
    envelope = {
        "invocationId": draw(field_or(st.just("invocation-1"), plain_json_values)),
        "deliveryStreamArn": draw(field_or(st.just(DELIVERY_STREAM_ARN), plain_json_values)),
        "sourceKinesisStreamArn": draw(field_or(st.just(SOURCE_STREAM_ARN), plain_json_values)),
        "region": draw(field_or(st.just(REGION), plain_json_values)),
    }
    return {**without_absent(envelope), "records": [draw(records(n)) for n in range(count)]}
