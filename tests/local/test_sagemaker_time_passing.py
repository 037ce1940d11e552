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


def test_the_monitors_clock_passes_with_time():
    with emulator() as aws:
        start = aws.model_monitor.clock
        let_time_pass(aws, 5_400)
        assert (aws.model_monitor.clock - start).total_seconds() == 5_400
        assert aws.model_monitor.runs == []  # no schedule: no execution
