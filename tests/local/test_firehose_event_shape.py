"""The event Firehose sends the transform for a Kinesis source, as AWS documents it."""

import base64
import time

import firehose_fixture
import pytest
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent
from handlers.firehose_events import firehose_event, kinesis_record

from refarch.local import deploy, emulator

#: The example of a Kinesis-sourced transformation event (Firehose developer guide, "Transform
#: source data"; Lambda developer guide, "Using Lambda with Firehose"), for its shape.
DOCUMENTED = {
    "invocationId": "invoked123",
    "deliveryStreamArn": "aws:lambda:events",
    "sourceKinesisStreamArn": "arn:aws:kinesis:us-east-1:123456789012:stream/test",
    "region": "us-west-2",
    "records": [
        {
            "recordId": "49546986683135544286507457936321625675700192471156785154",
            "approximateArrivalTimestamp": 1495072949453,
            "data": "SGVsbG8gV29ybGQ=",
            "kinesisRecordMetadata": {
                "shardId": "shardId-000000000000",
                "partitionKey": "4d1ad2b9-24f8-4b9d-a088-76e9947c317a",
                "approximateArrivalTimestamp": 1495072949453,
                "sequenceNumber": "49546986683135544286507457936321625675700192471156785154",
                "subsequenceNumber": 0,
            },
        }
    ],
}


def _shape(value):
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture(scope="module")
def delivered():
    with emulator() as aws:
        stack = deploy("firehose-fixture", assembly=firehose_fixture.assembly())
        before = int(time.time() * 1000)
        production = stack.kinesis_producer("Stream").put_records(
            [("user-1", b'{"event_id": "a"}'), ("user-2", b"not json \xff")]
        )
        firehose = stack.firehose("DeliveryStream")
        firehose.drain()
        (invocation,) = aws.lambda_service.invocations
        return {
            "event": invocation.event,
            "production": production,
            "before": before,
            "delivery_stream_arn": firehose.config.arn,
            "stream_arn": stack.resource("Stream").attributes["Arn"],
        }


def test_the_event_has_the_documented_shape(delivered):
    assert _shape(delivered["event"]) == _shape(DOCUMENTED)


def test_the_event_has_the_shape_the_handler_tests_build():
    built = firehose_event(kinesis_record({"event_id": "a"}))
    assert _shape(built) == _shape(DOCUMENTED)


def test_the_event_names_the_delivery_stream_the_source_stream_and_the_region(delivered):
    event = delivered["event"]
    assert event["deliveryStreamArn"] == delivered["delivery_stream_arn"]
    assert event["sourceKinesisStreamArn"] == delivered["stream_arn"]
    assert event["region"] == "us-east-1"


def test_each_record_carries_its_kinesis_metadata(delivered):
    records = delivered["event"]["records"]
    written = delivered["production"].written
    assert sorted(base64.b64decode(r["data"]) for r in records) == sorted(w.data for w in written)
    by_data = {w.data: w for w in written}
    now = int(time.time() * 1000)
    for record in records:
        put = by_data[base64.b64decode(record["data"])]
        metadata = record["kinesisRecordMetadata"]
        assert metadata["shardId"] == put.shard_id
        assert metadata["sequenceNumber"] == put.sequence_number
        assert metadata["partitionKey"] == put.partition_key
        assert metadata["subsequenceNumber"] == 0
        assert metadata["approximateArrivalTimestamp"] == record["approximateArrivalTimestamp"]
        assert delivered["before"] - 1000 <= record["approximateArrivalTimestamp"] <= now
    assert len({r["recordId"] for r in records}) == len(records)


def test_powertools_reads_the_event(delivered):
    event = KinesisFirehoseEvent(delivered["event"])
    assert event.source_kinesis_stream_arn == delivered["stream_arn"]
    first = next(event.records)
    assert first.metadata is not None
    assert first.metadata.shard_id.startswith("shardId-")
    assert first.data_as_bytes in {w.data for w in delivered["production"].written}
