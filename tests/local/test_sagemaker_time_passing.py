"""What SageMaker does by itself as time passes in the emulator (``let_time_pass``)."""

from __future__ import annotations

from refarch.local import emulator
from refarch.local.target import let_time_pass

SPEC = {
    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"}],
    "SupportedContentTypes": ["application/json"],
    "SupportedResponseMIMETypes": ["application/json"],
}


def _state_changes(aws) -> list[tuple[int, str, tuple[str, ...]]]:
    return [
        (
            put.event["detail"]["ModelPackageVersion"],
            put.event["detail"]["ModelApprovalStatus"],
            tuple(put.event["detail"].get("UpdatedModelPackageFields", ())),
        )
        for put in aws.events.events
        if put.event["detail-type"] == "SageMaker Model Package State Change"
    ]


def test_a_version_created_and_reviewed_through_the_api_is_announced_once_per_change():
    with emulator() as aws:
        sagemaker = aws.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName="churn")
        arn = sagemaker.create_model_package(
            ModelPackageGroupName="churn",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification=SPEC,
        )["ModelPackageArn"]
        let_time_pass(aws, 60)
        assert _state_changes(aws) == [(1, "PendingManualApproval", ())]
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        let_time_pass(aws, 60)
        let_time_pass(aws, 60)
        assert _state_changes(aws) == [
            (1, "PendingManualApproval", ()),
            (1, "Approved", ("ModelApprovalStatus", "ApprovalDescription")),
        ]


def test_a_version_reviewed_by_the_runner_is_not_announced_again():
    with emulator() as aws:
        aws.sagemaker.create_group("churn", "versions")
        arn = aws.client("sagemaker").create_model_package(
            ModelPackageGroupName="churn",
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification=SPEC,
        )["ModelPackageArn"]
        aws.sagemaker.review(arn, "Approved", "reviewed")
        let_time_pass(aws, 60)
        assert [status for _, status, _ in _state_changes(aws)] == ["Approved"]


def test_the_monitors_clock_passes_with_time():
    with emulator() as aws:
        start = aws.model_monitor.clock
        let_time_pass(aws, 5_400)
        assert (aws.model_monitor.clock - start).total_seconds() == 5_400
        assert aws.model_monitor.runs == []  # no schedule: no execution
