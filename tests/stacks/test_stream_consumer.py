"""What a deployer of the Kinesis → Lambda stream consumer relies on, in its template."""

import pytest
from template_queries import actions_on, getatt, statements_of

from refarch.stacks.stream_consumer import DEFAULT_PII_FIELDS, StreamConsumerProps

PATTERN = "stream-consumer"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


def _mappings(stack):
    return {
        k: v["Properties"] for k, v in stack.resources("AWS::Lambda::EventSourceMapping").items()
    }


def test_two_independent_mappings_read_the_stream_from_the_start(stack):
    mappings = _mappings(stack)
    stream = getatt(stack.id_of("AWS::Kinesis::Stream", "EventsStream"))
    assert len(mappings) == 2
    assert {m["FunctionName"]["Ref"][:8] for m in mappings.values()} == {"Scrubber", "Archiver"}
    for mapping in mappings.values():
        assert mapping["EventSourceArn"] == stream
        assert mapping["StartingPosition"] == "TRIM_HORIZON"


@pytest.mark.parametrize("prefix", ["Scrubber", "Archiver"])
def test_failing_records_are_bisected_bounded_and_kept(stack, prefix):
    defaults = StreamConsumerProps()
    (mapping,) = [m for k, m in _mappings(stack).items() if k.startswith(prefix)]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == defaults.retry_attempts
    assert mapping["MaximumRecordAgeInSeconds"] == defaults.max_record_age.to_seconds()
    assert mapping["ParallelizationFactor"] == defaults.parallelization_factor
    assert mapping["BatchSize"] == defaults.batch_size
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == getatt(
        stack.id_of("AWS::SQS::Queue", "OnFailureQueue")
    )


def test_only_the_scrubber_reports_item_failures(stack):
    reporting = {k[:8]: m.get("FunctionResponseTypes", []) for k, m in _mappings(stack).items()}
    assert reporting == {"Scrubber": ["ReportBatchItemFailures"], "Archiver": []}


def test_the_stream_is_kms_encrypted_and_kept_a_week(stack):
    props = stack.props("AWS::Kinesis::Stream", "EventsStream")
    assert props["StreamEncryption"]["EncryptionType"] == "KMS"
    assert props["RetentionPeriodHours"] == 7 * 24
    assert props["ShardCount"] == 2


def test_the_on_failure_queue_is_kms_encrypted_with_a_rotated_key(stack):
    queue = stack.props("AWS::SQS::Queue", "OnFailureQueue")
    key_id = stack.id_of("AWS::KMS::Key", "FailureQueueKey")
    assert queue["KmsMasterKeyId"] == getatt(key_id)
    assert stack.props("AWS::KMS::Key", "FailureQueueKey")["EnableKeyRotation"] is True


def test_the_table_is_keyed_by_event_id_with_point_in_time_recovery(stack):
    table = stack.props("AWS::DynamoDB::Table", "ScrubbedEvents")
    assert table["KeySchema"] == [{"AttributeName": "event_id", "KeyType": "HASH"}]
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_the_scrubber_may_only_put_items_in_its_table(stack):
    role = stack.id_of("AWS::IAM::Role", "ScrubberRole")
    table = getatt(stack.id_of("AWS::DynamoDB::Table", "ScrubbedEvents"))
    assert actions_on(statements_of(stack, role), table) == {"dynamodb:PutItem"}


def test_the_scrubber_is_told_which_fields_are_pii(stack):
    environment = stack.props("AWS::Lambda::Function", "ScrubberFunction")["Environment"]
    assert environment["Variables"]["PII_FIELDS"] == ",".join(DEFAULT_PII_FIELDS)


def test_alarms_watch_iterator_age_the_on_failure_queue_and_errors(stack):
    metrics = {
        (a["Properties"].get("Namespace"), a["Properties"].get("MetricName"))
        for a in stack.resources("AWS::CloudWatch::Alarm").values()
    }
    assert {
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
        ("AWS/Lambda", "IteratorAge"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Lambda", "Errors"),
    } <= metrics
