"""The pollers' shared rules, without AWS: partial batch responses, filters, batching."""

import json

import pytest

from refarch.local.sources.event_source_mappings import FilterCriteria
from refarch.local.sources.event_source_mappings.batching import MAX_PAYLOAD_BYTES, Batch
from refarch.local.sources.event_source_mappings.responses import batch_result

IDS = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, set(IDS)),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, set(IDS)),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, set(IDS)),
        ({"batchItemFailures": "b"}, set(IDS)),
        ("ok", set(IDS)),
    ],
)
def test_partial_batch_responses_follow_lambdas_rules(response, failed):
    result = batch_result(IDS, error=None, response=response, report_batch_item_failures=True)
    assert set(result.failed) == failed


def test_an_error_fails_every_record_even_with_partial_responses():
    result = batch_result(IDS, error="boom", response=None, report_batch_item_failures=True)
    assert set(result.failed) == set(IDS)


def test_without_report_batch_item_failures_the_response_is_not_read():
    response = {"batchItemFailures": [{"itemIdentifier": "a"}]}
    result = batch_result(IDS, error=None, response=response, report_batch_item_failures=False)
    assert result.all_succeeded


def test_filters_see_a_json_body_as_an_object_and_other_bodies_as_text():
    criteria = FilterCriteria.from_property(
        {"Filters": [{"Pattern": json.dumps({"body": {"size": [{"numeric": [">", 10]}]}})}]}
    )
    assert criteria.matches({"body": json.dumps({"size": 11})}, "body")
    assert not criteria.matches({"body": json.dumps({"size": 9})}, "body")
    assert not criteria.matches({"body": "size 11"}, "body")
    text = FilterCriteria.from_property({"Filters": [{"Pattern": '{"body": ["hello"]}'}]})
    assert text.matches({"body": "hello"}, "body")


def test_filters_are_ored_and_metadata_can_be_matched():
    criteria = FilterCriteria.from_property(
        {
            "Filters": [
                {"Pattern": json.dumps({"body": {"k": ["x"]}})},
                {"Pattern": json.dumps({"attributes": {"SenderId": ["me"]}})},
            ]
        }
    )
    assert criteria.matches({"body": "{}", "attributes": {"SenderId": "me"}}, "body")
    assert not criteria.matches({"body": "{}", "attributes": {"SenderId": "you"}}, "body")


def test_more_than_five_filters_are_refused():
    with pytest.raises(ValueError, match="at most 5"):
        FilterCriteria.from_property({"Filters": [{"Pattern": "{}"}] * 6})


def test_a_batch_stops_at_its_size_and_at_six_mb():
    batch = Batch(batch_size=2)
    small = {"body": "x"}
    batch.add(small)
    batch.add(small)
    assert batch.full and not batch.fits(small)
    big = {"body": "x" * (MAX_PAYLOAD_BYTES // 2)}
    batch = Batch(batch_size=100)
    batch.add(big)
    assert not batch.fits(big)
    assert Batch(batch_size=1).fits({"body": "x" * MAX_PAYLOAD_BYTES})  # alone, it still goes
