"""refarch.local.moto_sagemaker fix 9: processing job names are unique; requests kept whole."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from refarch.local.moto_sagemaker import processing_job_requests, sagemaker_gap_fixes

ROLE = "arn:aws:iam::123456789012:role/baseline"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _request(name: str) -> dict:
    return {
        "ProcessingJobName": name,
        "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": "1.dkr.ecr.us-east-1.amazonaws.com/image"},
        "Environment": {"dataset_format": '{"json": {"lines": true}}'},
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "VolumeSizeInGB": 20,
                "VolumeKmsKeyId": KEY,
            }
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


@pytest.fixture
def sagemaker():
    with mock_aws(), sagemaker_gap_fixes():
        yield boto3.client("sagemaker", region_name="us-east-1")


def test_a_name_in_use_is_refused_and_the_first_job_kept(sagemaker):
    sagemaker.create_processing_job(**_request("baseline-v1"))
    with pytest.raises(ClientError) as refused:
        sagemaker.create_processing_job(**{**_request("baseline-v1"), "RoleArn": ROLE + "2"})
    assert refused.value.response["Error"]["Code"] == "ResourceInUse"
    assert sagemaker.describe_processing_job(ProcessingJobName="baseline-v1")["RoleArn"] == ROLE
    assert [r["ProcessingJobName"] for r in processing_job_requests()] == ["baseline-v1"]


def test_the_request_is_kept_with_what_moto_drops(sagemaker):
    sagemaker.create_processing_job(**_request("baseline-v2"))
    (kept,) = processing_job_requests()
    assert kept["Environment"] == _request("x")["Environment"]
    assert kept["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == KEY
