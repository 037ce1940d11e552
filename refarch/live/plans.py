"""What a live verification run of each converted pattern creates, costs and takes.

The figures come from each pattern's guide (``docs/patterns/<id>.md``, section Cost), at the
us-east-1 list prices it cites; ``refarch verify`` prints them before asking to deploy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LivePlan:
    """What one ``refarch verify <id> --live`` run does to the account."""

    creates: tuple[str, ...]
    """The resources ``cdk deploy`` creates, for people (the template is the authority)."""

    cost: str
    """The estimated cost of one run, with the arithmetic."""

    pricing: tuple[str, ...]
    """The pricing pages the estimate comes from."""

    duration: str
    """How long a run takes, deploy to teardown."""

    teardown: str
    """What teardown deletes, and what (if anything) outlives it."""


PLANS: dict[str, LivePlan] = {
    "s3-event-processing": LivePlan(
        creates=(
            "3 S3 buckets (input, output, access logs), versioned, emptied and deleted on teardown",
            "1 Lambda function (CsvValidator, arm64, 1,769 MB) with its log group and role, plus "
            "CDK's bucket-notifications helper function",
            "1 SQS dead-letter queue, 1 SNS alarm topic with its KMS key, 3 CloudWatch alarms",
        ),
        cost=(
            "under $0.05: the stack's idle cost for about an hour (KMS key $1/month and custom "
            "metrics $0.30 each per month, both prorated hourly; 3 alarms $0.10/month) plus about "
            "20 Lambda invocations and 100 S3 requests, each a fraction of a cent"
        ),
        pricing=(
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/lambda/pricing/",
            "https://aws.amazon.com/s3/pricing/",
        ),
        duration=(
            "about 20 minutes: deploy 3-5, the notification configuration taking effect 5, the "
            "scenario 3-5 (a failed event's two retries take 3), destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes every resource; the KMS key is scheduled for "
            "deletion (7-30 days, not charged meanwhile)"
        ),
    ),
}
