"""Firehose's S3 prefix expressions and object names, evaluated as the developer guide says."""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from refarch.local.sources.firehose import prefixes

ARRIVAL = datetime(2024, 6, 1, 9, 5, 7, 123456, tzinfo=UTC)
HIVE = (
    "events/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/"
    "day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/"
)


def test_partition_keys_from_lambda_fill_a_hive_style_prefix():
    keys = {"year": "2024", "month": "06", "day": "02", "hour": "00"}
    assert (
        prefixes.evaluate(HIVE, arrival=ARRIVAL, partition_keys=keys)
        == "events/year=2024/month=06/day=02/hour=00/"
    )


def test_partition_keys_from_query_use_their_own_namespace():
    prefix = "by-customer/!{partitionKeyFromQuery:customer}/"
    assert (
        prefixes.evaluate(prefix, arrival=ARRIVAL, query_keys={"customer": "c-17"})
        == "by-customer/c-17/"
    )


@pytest.mark.parametrize("keys", [{}, {"year": "2024"}, {"year": "2024", "month": ""}])
def test_a_missing_partition_key_cannot_be_evaluated(keys):
    with pytest.raises(prefixes.MissingPartitionKeyError):
        prefixes.evaluate(HIVE, arrival=ARRIVAL, partition_keys=keys)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy/MM/dd/HH/", "2024/06/01/09/"),
        ("yyyy-MM-dd", "2024-06-01"),
        ("yy", "24"),
        ("'year='yyyy'/month='MM", "year=2024/month=06"),
        ("HH:mm:ss.SSS", "09:05:07.123"),
        ("''yyyy''", "'2024'"),
        ("M/d/H", "6/1/9"),
    ],
)
def test_timestamp_patterns_follow_java_date_time_formatter(pattern, expected):
    assert prefixes.format_timestamp(pattern, ARRIVAL) == expected


def test_every_timestamp_expression_of_a_prefix_sees_the_same_instant():
    prefix = "y=!{timestamp:yyyy}/m=!{timestamp:MM}/d=!{timestamp:dd}/h=!{timestamp:HH}/"
    assert prefixes.evaluate(prefix, arrival=ARRIVAL) == "y=2024/m=06/d=01/h=09/"


def test_the_timestamp_is_the_arrival_in_the_time_zone_given():
    tokyo = ARRIVAL.astimezone(timezone(timedelta(hours=9)))
    assert prefixes.evaluate("!{timestamp:yyyy/MM/dd/HH}/", arrival=tokyo) == "2024/06/01/18/"


def test_error_output_type_names_the_failure():
    prefix = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    assert (
        prefixes.evaluate(prefix, arrival=ARRIVAL, error_output_type="processing-failed")
        == "errors/processing-failed/2024/06/01/"
    )
    assert (
        prefixes.evaluate(prefix, arrival=ARRIVAL, error_output_type="format-conversion-failed")
        == "errors/format-conversion-failed/2024/06/01/"
    )


def test_random_string_is_eleven_alphanumeric_characters_each_time():
    values = {prefixes.evaluate("!{firehose:random-string}", arrival=ARRIVAL) for _ in range(20)}
    assert len(values) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9]{11}", value) for value in values)


def test_a_plain_prefix_gets_the_default_time_prefix():
    effective = prefixes.effective_prefix("raw/")
    assert prefixes.evaluate(effective, arrival=ARRIVAL) == "raw/2024/06/01/09/"
    assert prefixes.evaluate(prefixes.effective_prefix(None), arrival=ARRIVAL) == "2024/06/01/09/"
    assert prefixes.effective_prefix(HIVE) == HIVE


def test_without_an_error_prefix_failures_go_under_the_prefix_by_error_type():
    effective = prefixes.effective_error_prefix(None, "raw/")
    assert (
        prefixes.evaluate(effective, arrival=ARRIVAL, error_output_type="processing-failed")
        == "raw/processing-failed/2024/06/01/09/"
    )


def test_a_prefix_with_expressions_needs_an_error_prefix():
    with pytest.raises(prefixes.PrefixError, match="ErrorOutputPrefix"):
        prefixes.effective_error_prefix(None, HIVE)


@pytest.mark.parametrize(
    ("prefix", "error_prefix", "dynamic", "message"),
    [
        ("!{partitionKeyFromLambda:year}/", False, False, "needs dynamic partitioning"),
        ("!{partitionKeyFromLambda:year}/", True, True, "not allowed in the error prefix"),
        ("!{firehose:error-output-type}/", False, True, "for the error prefix"),
        ("!{firehose:uuid}/", False, False, "unknown firehose value"),
        ("!{clock:HH}/", False, False, "unknown namespace"),
        ("!{timestamp:EEEE}/", False, False, "not supported by the local runner"),
        ("!{timestamp:yyyy/", False, False, "not of the form"),
    ],
)
def test_prefixes_aws_would_refuse_are_refused_at_deploy(prefix, error_prefix, dynamic, message):
    with pytest.raises(prefixes.PrefixError, match=message):
        prefixes.validate(prefix, error_prefix=error_prefix, dynamic_partitioning=dynamic)


def test_object_names_follow_firehose_s_format():
    name = prefixes.object_name("clicks", 1, ARRIVAL, ".gz")
    assert re.fullmatch(
        r"clicks-1-2024-06-01-09-05-07-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\.gz", name
    )
