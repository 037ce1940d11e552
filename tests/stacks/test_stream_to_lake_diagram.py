"""The architecture diagram drawn from the Kinesis → Firehose → S3 template."""

import pytest

from refarch.catalog import get
from refarch.diagram import diagram_dot, diagram_edges, diagram_nodes

PATTERN = "stream-to-lake"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


@pytest.fixture(scope="module")
def dot(stack):
    pattern = get(PATTERN)
    return diagram_dot(stack.json, f"{pattern.title} ({pattern.stack_name})")


def edges_of(synthesized):
    """(source, target) -> (label, kind) of every derived edge."""
    return {(e.source, e.target): (e.label, e.kind) for e in diagram_edges(synthesized.json)}


@pytest.fixture(scope="module")
def edges(stack):
    return edges_of(stack)


@pytest.fixture(scope="module")
def ids(stack):
    return {
        "stream": stack.id_of("AWS::Kinesis::Stream", "ClickstreamStream"),
        "key": stack.id_of("AWS::KMS::Key", "ClickstreamKey"),
        "delivery": stack.id_of("AWS::KinesisFirehose::DeliveryStream", "FirehoseDeliveryStream"),
        "function": stack.id_of("AWS::Lambda::Function", "TransformFunction"),
        "lake": stack.id_of("AWS::S3::Bucket", "LakeBucket"),
        "delivery_logs": stack.id_of("AWS::Logs::LogGroup", "FirehoseLogs"),
        "topic": stack.id_of("AWS::SNS::Topic", "AlarmsTopic"),
    }


def test_data_flows_from_a_producer_through_stream_and_firehose_to_the_lake(dot, edges, ids):
    assert edges[ids["stream"], ids["delivery"]] == ("reads\n(shared throughput)", "data")
    assert edges[ids["delivery"], ids["lake"]] == ("writes events/, errors/", "data")
    producer = f"producer:{ids['stream']}"
    assert f'"{producer}" -> "{ids["stream"]}"' in dot
    assert "any Kinesis producer" in dot
    # The data path cluster: producer, stream, Firehose, bucket and the transform; the alarms
    # and log groups are in the observability cluster.
    data = _cluster(dot, "data")
    for logical_id in (producer, ids["stream"], ids["delivery"], ids["lake"], ids["function"]):
        assert f'"{logical_id}" [' in data
    observability = _cluster(dot, "observability")
    for logical_id in (ids["topic"], ids["delivery_logs"], "alarms"):
        assert f'"{logical_id}" [' in observability


def _cluster(dot, group):
    """The text of one group's cluster in the DOT source."""
    start = dot.index(f"subgraph cluster_{group} {{")
    return dot[start : dot.index("\n  }\n", start)]


def test_firehose_calls_its_transform_with_the_batch_settings(edges, ids):
    label, kind = edges[ids["delivery"], ids["function"]]
    assert kind == "call"
    assert label == "transforms batches\n(1 MiB, 1 min, 3 retries)"


def test_stream_key_and_delivery_error_logs_are_drawn_as_support(edges, ids):
    assert edges[ids["stream"], ids["key"]] == ("encrypted with", "support")
    assert edges[ids["delivery"], ids["delivery_logs"]] == ("delivery errors", "support")


def test_stream_and_firehose_show_their_settings(stack, ids):
    nodes = {node.id: node for node in diagram_nodes(stack.json)}
    assert nodes[ids["stream"]].details == ("on-demand · retention 1 d", "KMS · retained")
    assert nodes[ids["delivery"]].details == (
        "buffer 128 MiB / 5 min",
        "GZIP · dynamic partitioning",
    )


def test_every_alarm_notifies_the_topic_and_watches_its_resource(stack, edges, ids):
    watched = {
        "StreamAlarms": ids["stream"],
        "FirehoseAlarms": ids["delivery"],
        "Transform": ids["function"],
    }
    for alarm in stack.resources("AWS::CloudWatch::Alarm"):
        assert "ALARM" in edges[alarm, ids["topic"]][0]
        targets = [t for (s, t), (label, _) in edges.items() if s == alarm and label == "watches"]
        expected = next(v for k, v in watched.items() if alarm.startswith(k))
        assert targets == [expected], alarm


def test_plumbing_is_not_drawn(stack, dot):
    for resource_type in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogStream"):
        for logical_id in stack.resources(resource_type):
            assert f'"{logical_id}"' not in dot, f"{resource_type} {logical_id} is drawn"


def test_parquet_variant_draws_the_schema_table(synth):
    parquet = synth(PATTERN, parquet="true")
    edges = edges_of(parquet)
    delivery = parquet.id_of("AWS::KinesisFirehose::DeliveryStream", "FirehoseDeliveryStream")
    table = parquet.id_of("AWS::Glue::Table", "EventsTable")
    database = parquet.id_of("AWS::Glue::Database", "Catalog")
    assert edges[delivery, table] == ("schema for Parquet", "support")
    assert edges[database, table] == ("holds", "support")
    nodes = {node.id: node for node in diagram_nodes(parquet.json)}
    assert nodes[table].details == ("7 columns · partitions year/month/day/hour",)
    assert nodes[delivery].details[1] == "Parquet · dynamic partitioning"


def test_fan_out_variant_draws_the_consumer(synth):
    fan_out = synth(PATTERN, enhanced_fan_out_consumer="analytics")
    stream = fan_out.id_of("AWS::Kinesis::Stream", "ClickstreamStream")
    consumer = fan_out.id_of("AWS::Kinesis::StreamConsumer", "FanOutConsumer")
    assert edges_of(fan_out)[stream, consumer] == ("pushes\n(enhanced fan-out)", "data")
    nodes = {node.id: node for node in diagram_nodes(fan_out.json)}
    assert nodes[consumer].kind.label == "enhanced fan-out consumer"
