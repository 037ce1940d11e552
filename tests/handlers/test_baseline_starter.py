"""The baseline starter: approved versions of its group start one baselining job each."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError
from botocore.session import Session
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module

GROUP = "approved-model-endpoint-models-1a2b3c4d"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/ModelQualityMonitor-BaselineRole"
ENV = {
    "MODEL_PACKAGE_GROUP_PREFIX": "approved-model-endpoint-models-",
    "JOB_NAME_PREFIX": "ModelQualityMonitor-baseline",
    "IMAGE_URI": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    "ROLE_ARN": ROLE,
    "DATASET_URI": "s3://monitoring-bucket/training/",
    "OUTPUT_URI": "s3://monitoring-bucket/baselines/",
    "KMS_KEY_ARN": KEY,
}


@pytest.fixture(scope="module")
def module():
    """The handler module, for its pure functions (no environment needed)."""
    return load_lambda_module(LAMBDA_ROOT / "baseline_starter", "handler", "baseline_starter")


@pytest.fixture
def starter(module, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "baseline-starter")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "refarch")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MODEL_PACKAGE_GROUP_NAME", raising=False)
    return module


@pytest.fixture
def sagemaker(starter, monkeypatch):
    """A SageMaker client whose calls are checked against the botocore model (Stubber)."""
    client = Session().create_client(
        "sagemaker", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    monkeypatch.setattr(starter.boto3, "client", lambda service, **_: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def approval(group=GROUP, version=3, status="Approved") -> dict:
    return {
        "version": "0",
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageVersion": version,
            "ModelPackageArn": (
                f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{group}/{version}"
            ),
            "ModelApprovalStatus": status,
        },
    }


def test_an_approval_starts_the_versions_baselining_job(starter, sagemaker):
    # The Stubber validates the request against the botocore model of CreateProcessingJob.
    sagemaker.add_response("create_processing_job", {"ProcessingJobArn": "arn:x"})
    result = starter.lambda_handler(approval(), FakeLambdaContext())
    assert result["outcome"] == "started"
    assert result["output"] == "s3://monitoring-bucket/baselines/3/"
    name = result["job"]
    assert name.startswith("ModelQualityMonitor-baseline-") and name.endswith("-v3")


def test_the_request_names_image_role_input_output_and_keys(starter):
    approved = starter.ApprovedVersion(GROUP, 3)
    request = starter.processing_job("job", approved, ENV)
    assert request["RoleArn"] == ROLE
    assert request["AppSpecification"]["ImageUri"] == ENV["IMAGE_URI"]
    assert request["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://monitoring-bucket/training/"
    output = request["ProcessingOutputConfig"]
    assert output["Outputs"][0]["S3Output"]["S3Uri"] == "s3://monitoring-bucket/baselines/3/"
    assert output["KmsKeyId"] == KEY
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY
    assert request["NetworkConfig"] == {"EnableNetworkIsolation": True}


def test_a_repeated_event_is_done_when_the_job_name_is_in_use(starter, sagemaker):
    sagemaker.add_client_error(
        "create_processing_job", service_error_code="ResourceInUse", http_status_code=400
    )
    result = starter.lambda_handler(approval(), FakeLambdaContext())
    assert result["outcome"] == "already_started"


def test_other_api_errors_fail_the_invocation_for_lambda_to_retry(starter, sagemaker):
    sagemaker.add_client_error(
        "create_processing_job", service_error_code="ThrottlingException", http_status_code=400
    )
    with pytest.raises(ClientError):
        starter.lambda_handler(approval(), FakeLambdaContext())


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (approval(group="someone-elses-models"), "not this stack's model package group"),
        (approval(status="Rejected"), "not an approval"),
        (approval(status="PendingManualApproval"), "not an approval"),
        (approval(version="3"), "no valid ModelPackageVersion"),
        (approval(version=True), "no valid ModelPackageVersion"),
        (approval(version=0), "no valid ModelPackageVersion"),
        (approval(group="bad/name"), "no valid ModelPackageGroupName"),
        ({**approval(), "detail": None}, "no detail"),
        ({**approval(), "detail-type": "SageMaker Endpoint State Change"}, None),
        ([], "not an EventBridge event"),
        (None, "not an EventBridge event"),
    ],
)
def test_other_events_are_ignored_with_a_reason(starter, sagemaker, event, reason):
    result = starter.lambda_handler(event, FakeLambdaContext())
    assert result["outcome"] == "ignored"
    assert reason is None or result["reason"] == reason


def test_an_exact_group_name_excludes_other_groups_with_the_prefix(starter):
    env = {"MODEL_PACKAGE_GROUP_NAME": "churn-models"}
    assert starter.is_our_group("churn-models", env)
    assert not starter.is_our_group("churn-models-2", env)
    assert not starter.is_our_group("anything", {})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    detail=st.dictionaries(
        st.sampled_from(
            ["ModelPackageGroupName", "ModelPackageVersion", "ModelApprovalStatus", "x"]
        ),
        _json,
    ),
    envelope=st.dictionaries(st.sampled_from(["source", "detail-type", "x"]), _json),
)
def test_any_event_is_parsed_to_a_version_or_a_reason_never_an_error(module, detail, envelope):
    starter = module
    event = {**approval(), **envelope, "detail": detail}
    parsed = starter.parse_approval(event)
    if isinstance(parsed, starter.ApprovedVersion):
        assert detail["ModelApprovalStatus"] == "Approved"
        assert parsed.version == detail["ModelPackageVersion"] >= 1
        name = starter.job_name(ENV["JOB_NAME_PREFIX"], parsed)
        assert len(name) <= 63 and name.endswith(f"-v{parsed.version}")
    else:
        assert isinstance(parsed, str) and parsed


@settings(max_examples=200, deadline=None)
@given(
    group=st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", fullmatch=True),
    other=st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", fullmatch=True),
    version=st.integers(1, 10**10 - 1),
    prefix=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,60}", fullmatch=True),
)
def test_job_names_are_valid_stable_and_distinct_per_group_and_version(
    module, group, other, version, prefix
):
    starter = module
    name = starter.job_name(prefix, starter.ApprovedVersion(group, version))
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)
    assert name == starter.job_name(prefix, starter.ApprovedVersion(group, version))
    if other != group:
        assert name != starter.job_name(prefix, starter.ApprovedVersion(other, version))
    assert name != starter.job_name(prefix, starter.ApprovedVersion(group, version + 1))
