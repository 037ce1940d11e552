"""Unit tests of S3 event parsing and sequencer ordering: no AWS involved."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from s3_events import object_created_record, s3_event, s3_test_event, sequencer
from s3_notification import MalformedEventError, is_test_event, parse_source_objects
from s3_sequencer import compare_sequencers

KEY = "incoming/my orders+1 été.csv"


def test_powertools_s3object_key_is_still_url_encoded():
    # Pins why the handler calls unquote_plus itself: only S3Event.object_key decodes, and it
    # reads Records[0] alone.
    event = S3Event(s3_event(object_created_record("in", KEY)))
    assert event.record.s3.get_object.key == "incoming/my+orders%2B1+%C3%A9t%C3%A9.csv"
    assert event.object_key == KEY


def test_every_record_is_parsed_with_decoded_key_version_and_sequencer():
    event = s3_event(
        object_created_record("in", KEY, version_id="v1", sequencer_value=sequencer(1)),
        object_created_record("in", "incoming/b.csv", event_name="ObjectCreated:Post"),
    )
    first, second = parse_source_objects(event)
    assert (first.bucket, first.key, first.version_id, first.sequencer) == (
        "in",
        KEY,
        "v1",
        sequencer(1),
    )
    assert second.key == "incoming/b.csv" and second.version_id is None
    assert first.is_object_created and second.is_object_created


def test_object_removed_is_not_object_created():
    event = s3_event(object_created_record("in", KEY, event_name="ObjectRemoved:Delete"))
    assert not parse_source_objects(event)[0].is_object_created


def test_test_event_is_recognised():
    assert is_test_event(s3_test_event("in"))
    assert not is_test_event(s3_event(object_created_record("in", KEY)))


def _without(path: tuple[str, ...]):
    record = object_created_record("in", KEY)
    target = record
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return s3_event(record)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({}, id="no-records"),
        pytest.param({"Records": []}, id="empty-records"),
        pytest.param([], id="not-a-mapping"),
        pytest.param({"Records": ["x"]}, id="record-not-a-mapping"),
        pytest.param(_without(("s3", "object", "key")), id="no-key"),
        pytest.param(_without(("s3", "bucket", "name")), id="no-bucket-name"),
        pytest.param(_without(("s3",)), id="no-s3"),
        pytest.param(_without(("eventName",)), id="no-event-name"),
        pytest.param(
            s3_event({**object_created_record("in", KEY), "eventSource": "aws:sqs"}), id="sqs"
        ),
        pytest.param(
            s3_event(object_created_record("in", KEY, sequencer_value="not-hex")),
            id="bad-sequencer",
        ),
        pytest.param(s3_event(object_created_record("in", "")), id="empty-key"),
    ],
)
def test_malformed_event_raises(event):
    with pytest.raises(MalformedEventError):
        parse_source_objects(event)


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("0055AED6DCD90281E5", "0055AED6DCD90281E6", -1),
        ("0055AED6DCD90281E6", "0055AED6DCD90281E5", 1),
        ("0055AED6DCD90281E5", "0055aed6dcd90281e5", 0),
        ("FF", "0100", -1),  # left-padded: 00FF < 0100, although "FF" > "0100" as strings
        ("1000", "FFF", 1),
    ],
)
def test_sequencers_compare_after_left_padding(left, right, expected):
    assert compare_sequencers(left, right) == expected


def test_non_hex_sequencer_cannot_be_compared():
    with pytest.raises(ValueError, match="not an S3 sequencer"):
        compare_sequencers("xyz", "01")
