"""What a deployer of the DynamoDB Streams → Lambda CDC pattern relies on, in its template."""

import json

import pytest
from template_queries import actions_on, getatt, statements_of

from refarch.stacks.dynamodb_cdc import CONSUMED_CHANGES, DynamoDbCdcProps

PATTERN = "dynamodb-cdc"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


@pytest.fixture(scope="module")
def mapping(stack):
    return stack.props("AWS::Lambda::EventSourceMapping")


def test_the_orders_table_streams_new_and_old_images_with_pitr_and_kms(stack):
    table = stack.props("AWS::DynamoDB::Table", "Orders")
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}  # KMS, AWS managed key
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_the_mapping_reads_the_orders_stream_filtered_to_inserts_and_updates(stack, mapping):
    assert mapping["EventSourceArn"] == {
        "Fn::GetAtt": [stack.id_of("AWS::DynamoDB::Table", "Orders"), "StreamArn"]
    }
    (pattern,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {"eventName": list(CONSUMED_CHANGES)}


def test_failures_are_bisected_bounded_and_kept(stack, mapping):
    defaults = DynamoDbCdcProps()
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == defaults.retry_attempts
    assert mapping["MaximumRecordAgeInSeconds"] == defaults.max_record_age.to_seconds()
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == getatt(
        stack.id_of("AWS::SQS::Queue", "OnFailureQueue")
    )


def test_the_consumer_may_only_update_the_totals_table(stack):
    role = stack.id_of("AWS::IAM::Role", "ChangeConsumerRole")
    totals = getatt(stack.id_of("AWS::DynamoDB::Table", "CustomerTotals"))
    assert actions_on(statements_of(stack, role), totals) == {"dynamodb:UpdateItem"}
    orders = getatt(stack.id_of("AWS::DynamoDB::Table", "Orders"))
    assert actions_on(statements_of(stack, role), orders) == set()


def test_alarms_watch_the_on_failure_queue_and_the_iterator_age(stack):
    metrics = {
        a["Properties"].get("MetricName")
        for a in stack.resources("AWS::CloudWatch::Alarm").values()
    }
    assert {"ApproximateNumberOfMessagesVisible", "IteratorAge", "Errors"} <= metrics
