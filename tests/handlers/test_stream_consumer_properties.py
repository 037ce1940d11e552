"""Properties of the stream scrubber over generated records and batches: every record is
accounted for, no PII survives, no event id is counted twice."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, put_on_path
from stream_consumer_harness import PII_FIELDS, FakeTable, kinesis_event, load_handler

put_on_path(LAMBDA_ROOT / "stream_consumer")

import scrub as scrub_module  # noqa: E402  (after the path, as in Lambda)
from scrub import PoisonRecordError, decode, scrub  # noqa: E402

PII = tuple(PII_FIELDS.split(","))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
event_ids = st.text(min_size=1, max_size=12).filter(str.strip)
events = st.fixed_dictionaries(
    {"event_id": event_ids},
    optional={
        **{field: json_values for field in PII},
        "Email": json_values,
        "event_type": st.text(max_size=20),
        "payload": json_values,
    },
)
payloads = st.one_of(
    events.map(lambda e: json.dumps(e).encode()),
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
)


@given(st.text())
def test_any_base64_text_decodes_or_is_poison(data):
    try:
        decode(data)
    except PoisonRecordError as exc:
        assert exc.reason


@given(st.binary(max_size=256))
def test_any_bytes_are_an_object_or_poison(raw):
    try:
        value = decode(base64.b64encode(raw).decode())
    except PoisonRecordError:
        return
    assert isinstance(value, dict)


@given(events)
def test_a_valid_event_keeps_its_id_and_loses_every_pii_field(event):
    scrubbed = scrub(event, PII)
    body = json.loads(scrubbed.body)
    assert scrubbed.event_id == event["event_id"] == body["event_id"]
    assert not {k.lower() for k in body} & set(PII)
    assert set(scrubbed.dropped) == {k for k in event if k.lower() in PII}
    # Everything else is kept as it was.
    assert body == {k: v for k, v in event.items() if k.lower() not in PII}


@given(st.text() | st.binary().map(lambda b: base64.b64encode(b).decode()))
def test_decoding_accepts_and_refuses_what_strict_base64_and_json_do(data):
    try:
        raw = base64.b64decode(data, validate=True)
        expected = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        with pytest.raises(PoisonRecordError):
            decode(data)
        return
    if isinstance(expected, dict):
        assert decode(data) == expected
    else:
        with pytest.raises(PoisonRecordError):
            decode(data)


@settings(max_examples=60)
@given(
    st.lists(events, min_size=1, max_size=20),
    st.lists(st.text(max_size=6), max_size=4),
    st.integers(min_value=0, max_value=400),
)
def test_the_pii_of_every_event_is_dropped_however_many_key_shapes_are_remembered(
    batch, pii_names, budget
):
    # A budget of a few characters makes the remembered shapes be forgotten all the time.
    pii = tuple(PII) + tuple(pii_names)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scrub_module, "_MAX_KEY_CHARACTERS", budget)
        patch.setattr(scrub_module, "_shapes", {})
        patch.setattr(scrub_module, "_held", 0)
        for event in batch * 2:  # each shape met again after being remembered (or forgotten)
            scrubbed = scrub(event, pii)
            lowered = {p.lower() for p in pii}
            assert json.loads(scrubbed.body) == {
                k: v for k, v in event.items() if k.lower() not in lowered
            }
            assert scrubbed.dropped == tuple(sorted(k for k in event if k.lower() in lowered))
            # The memory held stays within the budget.
            assert scrub_module._held <= budget


@pytest.fixture(scope="module")
def handler():
    module = load_handler()
    yield module
    module.pii_fields.cache_clear()


@settings(max_examples=60, deadline=None)
@given(st.lists(payloads, max_size=30), st.sets(event_ids, max_size=3))
def test_every_record_of_a_batch_is_written_a_duplicate_or_failed(handler, batch, failing):
    table = FakeTable(fail_ids=failing)
    handler.pii_fields.cache_clear()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PII_FIELDS", PII_FIELDS)
        env.setattr(handler, "table", lambda: table)  # the stand-in for this batch
        response = handler.lambda_handler(kinesis_event(batch), FakeLambdaContext())
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    sequences = [r["kinesis"]["sequenceNumber"] for r in kinesis_event(batch)["Records"]]
    assert failed <= set(sequences)
    written = {item["source_sequence"] for item in table.items.values()}
    # Disjoint outcomes, and together they are the whole batch (a duplicate is neither).
    assert not written & failed
    duplicates = set(sequences) - written - failed
    for sequence in duplicates:
        data = batch[sequences.index(sequence)]
        assert json.loads(data)["event_id"] in table.items
    # No id counted twice; no PII stored.
    assert len(table.items) == len({i["event_id"] for i in table.items.values()})
    for item in table.items.values():
        assert not {k.lower() for k in json.loads(item["body"])} & set(PII)
