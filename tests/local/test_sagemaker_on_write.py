"""Registry calls made through the API emit SageMaker's state change, as SageMaker does."""

from __future__ import annotations

from refarch.local import emulator
from refarch.local.sources.sagemaker_on_write import registry_events_on_write

SPECIFICATION = {
    "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def _package_events(aws):
    return [
        p.event
        for p in aws.events.events
        if p.event["detail-type"] == "SageMaker Model Package State Change"
    ]


def test_create_and_update_through_the_api_emit_the_documented_events():
    with emulator() as aws:
        sagemaker = aws.client("sagemaker")
        sagemaker.create_model_package_group(ModelPackageGroupName="churn")
        with registry_events_on_write(aws.sagemaker):
            arn = sagemaker.create_model_package(
                ModelPackageGroupName="churn",
                ModelApprovalStatus="PendingManualApproval",
                InferenceSpecification=SPECIFICATION,
            )["ModelPackageArn"]
            sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        # Outside the block, a call emits nothing (the runner-only scenarios emit their own).
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
        registered, approved = _package_events(aws)
    for event in (registered, approved):
        assert event["source"] == "aws.sagemaker"
        assert event["resources"] == [arn]
        assert event["detail"]["ModelPackageGroupName"] == "churn"
        assert event["detail"]["ModelPackageVersion"] == 1
    assert registered["detail"]["ModelApprovalStatus"] == "PendingManualApproval"
    assert "UpdatedModelPackageFields" not in registered["detail"]
    assert approved["detail"]["ModelApprovalStatus"] == "Approved"
    # Only the field the reviewer gave is named as updated.
    assert approved["detail"]["UpdatedModelPackageFields"] == ["ModelApprovalStatus"]
