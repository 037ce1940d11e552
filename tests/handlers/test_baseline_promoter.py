"""The baseline promoter on moto: the newest completed version becomes current, and stays."""

from __future__ import annotations

import re

import boto3
import pytest
from baseline_promoter_harness import (
    BUCKET,
    ENV,
    GROUP_HASH,
    PREFIX,
    baseline,
    completion,
    current,
    job,
    load_promoter,
    promoter_on_moto,
)
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module


@pytest.fixture(scope="module")
def module():
    return load_promoter()


@pytest.fixture
def promoter(monkeypatch):
    yield from promoter_on_moto(monkeypatch)


def test_a_completed_version_becomes_current(promoter):
    baseline(1)
    result = promoter.lambda_handler(completion(1), FakeLambdaContext())
    assert result == {"outcome": "promoted", "version": 1, "current": 1}
    assert current() == (1, {1})
    head = boto3.client("s3").head_object(Bucket=BUCKET, Key="baselines/current/statistics.json")
    assert head["Metadata"] == {"model-version": "1"}
    assert head["ServerSideEncryption"] == "aws:kms"


def test_a_newer_version_replaces_it_and_a_late_older_one_does_not(promoter):
    baseline(1)
    baseline(2)
    promoter.lambda_handler(completion(1), FakeLambdaContext())
    assert promoter.lambda_handler(completion(2), FakeLambdaContext())["outcome"] == "promoted"
    late = promoter.lambda_handler(completion(1), FakeLambdaContext())
    assert late == {"outcome": "superseded", "version": 1, "current": 2}
    assert current() == (2, {2})


def test_a_repeated_completion_is_already_current(promoter):
    baseline(3)
    promoter.lambda_handler(completion(3), FakeLambdaContext())
    again = promoter.lambda_handler(completion(3), FakeLambdaContext())
    assert again["outcome"] == "already_current"
    assert current() == (3, {3})


def test_a_copy_interrupted_after_the_marker_moved_is_finished_by_the_repeat(promoter):
    # The marker says 4, the files still hold 3 (the invocation timed out between the two).
    baseline(3)
    baseline(4)
    promoter.lambda_handler(completion(3), FakeLambdaContext())
    store = promoter.BaselineStore(boto3.client("s3"), {**ENV, "KMS_KEY_ARN": "k"})
    store.advance(promoter.Completion(job(4), 4))
    assert current() == (4, {3})
    assert promoter.lambda_handler(completion(4), FakeLambdaContext())["outcome"] == (
        "already_current"
    )
    assert current() == (4, {4})


def test_a_lost_race_reads_the_marker_again(promoter, monkeypatch):
    # Another invocation writes version 6 between this one's read and its conditional write.
    baseline(5)
    baseline(6)
    s3 = boto3.client("s3")
    store = promoter.BaselineStore(s3, {**ENV, "KMS_KEY_ARN": "k"})
    real_put = s3.put_object
    raced = []

    def put(**request):
        if request["Key"].endswith("version.json") and not raced:
            raced.append(True)
            other = promoter.BaselineStore(boto3.client("s3"), {**ENV, "KMS_KEY_ARN": "k"})
            other.advance(promoter.Completion(job(6), 6))
        return real_put(**request)

    monkeypatch.setattr(s3, "put_object", put)
    marker, moved = store.advance(promoter.Completion(job(5), 5))
    assert (marker.version, moved) == (6, False)


def test_missing_files_are_refused_with_the_reason(promoter):
    result = promoter.lambda_handler(completion(7), FakeLambdaContext())
    assert result["outcome"] == "refused"
    assert "baselines/7/statistics.json does not exist" in result["reason"]
    assert current() == (None, set())


def test_an_output_elsewhere_is_refused(promoter):
    baseline(2)
    event = completion(2)
    event["detail"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = (
        "s3://someone-elses-bucket/baselines/2/"
    )
    result = promoter.lambda_handler(event, FakeLambdaContext())
    assert (
        result["outcome"] == "refused"
        and "is not s3://monitoring-bucket/baselines/2/" in (result["reason"])
    )


def test_other_s3_errors_fail_the_invocation_for_lambda_to_retry(promoter, monkeypatch):
    baseline(1)

    def denied(**_):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject")

    client = boto3.client("s3")
    monkeypatch.setattr(client, "get_object", denied)
    monkeypatch.setattr(promoter.boto3, "client", lambda *_a, **_k: client)
    with pytest.raises(ClientError):
        promoter.lambda_handler(completion(1), FakeLambdaContext())


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (completion(1, status="Failed"), "the job did not complete"),
        (completion(1, status="Stopped"), "the job did not complete"),
        (completion(1, name="model-monitoring-202606011000-1a2b3c4d"), "not a baselining job"),
        (completion(1, name=f"other-{GROUP_HASH}-v1"), "not a baselining job"),
        (completion(1, name=f"{PREFIX}-{GROUP_HASH}-v01"), "not a baselining job"),
        (completion(1, name=f"{PREFIX}x-{GROUP_HASH}-v1"), "not a baselining job"),
        (completion(1, name=f"{PREFIX}-{GROUP_HASH}-v1" + "0" * 70), "no valid ProcessingJobName"),
        ({**completion(1), "detail": None}, "no detail"),
        ({**completion(1), "detail-type": "SageMaker Training Job State Change"}, "not a proc"),
        ({**completion(1), "source": "refarch.model-monitor"}, "not a processing job"),
        ([], "not an EventBridge event"),
        (None, "not an EventBridge event"),
    ],
)
def test_other_events_are_ignored_with_a_reason(promoter, event, reason):
    result = promoter.lambda_handler(event, FakeLambdaContext())
    assert result["outcome"] == "ignored"
    assert result["reason"].startswith(reason)
    assert current() == (None, set())


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
_names = st.one_of(
    st.text(max_size=80),
    st.integers(1, 10**10 - 1).map(job),
    st.from_regex(r"[a-z0-9-]{0,40}-[0-9a-f]{8}-v[0-9]{1,12}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(
    detail=st.fixed_dictionaries(
        {},
        optional={
            "ProcessingJobName": _names | _json,
            "ProcessingJobStatus": st.sampled_from(["Completed", "Failed"]) | _json,
            "ProcessingOutputConfig": _json,
        },
    ),
    envelope=st.dictionaries(st.sampled_from(["source", "detail-type", "x"]), _json),
)
def test_any_event_is_a_completion_or_a_reason_never_an_error(module, detail, envelope):
    event = {**completion(1), **envelope, "detail": detail}
    parsed = module.parse_completion(event, PREFIX)
    if isinstance(parsed, module.Completion):
        assert detail["ProcessingJobStatus"] == "Completed"
        assert parsed.job_name == detail["ProcessingJobName"] == job(parsed.version)
        assert 1 <= parsed.version < 10**10
        assert isinstance(module.output_mismatch(event, BUCKET, "baselines/", parsed.version), str)
    else:
        assert isinstance(parsed, str) and parsed


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.from_regex(r"[a-z0-9][a-z0-9-]{0,60}[a-z0-9]", fullmatch=True),
    version=st.integers(1, 10**10 - 1),
)
def test_every_name_the_starter_gives_is_recognised_with_its_version(module, prefix, version):
    starter = load_lambda_module(LAMBDA_ROOT / "baseline_starter", "handler", "baseline_starter")
    name = starter.job_name(prefix, starter.ApprovedVersion("churn-models", version))
    event = completion(version, name=name)
    assert module.parse_completion(event, prefix) == module.Completion(name, version)
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.lists(st.integers(1, 5), min_size=1, max_size=8))
def test_completions_in_any_order_with_repeats_leave_the_newest_current(promoter, order):
    # Each example starts from an empty bucket: the files of every version, no current copy.
    s3 = boto3.client("s3")
    for listed in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=listed["Key"])
    for version in set(order):
        baseline(version)
    outcomes = [
        promoter.lambda_handler(completion(v), FakeLambdaContext())["outcome"] for v in order
    ]
    assert current() == (max(order), {max(order)})
    # Promoted exactly when the version was newer than every one before it.
    expected = ["promoted" if v > max(order[:i], default=0) else None for i, v in enumerate(order)]
    assert [o if o == "promoted" else None for o in outcomes] == expected
