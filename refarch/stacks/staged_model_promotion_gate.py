"""The test gate Lambda of the staged promotion: its settings and exactly its grants.

Built in the single-account stack next to the staging endpoint, and in the cross-account layout
in the staging account's stack (it must invoke the staging endpoint, and SageMaker endpoints
take no resource policy), where the test set and the reports stay in the orchestration
account's bucket, whose policy lets this function's role in.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs import AlarmTopic, ObservedFunction, ObservedFunctionProps, acknowledge
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.stacks.staged_model_promotion_props import StagedModelPromotionProps

GATE_ASSET = "model_gate"
REPORTS_PREFIX = "reports/"


def build_gate(
    scope: Construct,
    *,
    alarms: AlarmTopic,
    bucket: s3.IBucket,
    bucket_finding: str,
    staged: StagedModelPromotionProps,
    endpoint_arn: str,
) -> ObservedFunction:
    """The gate: reads the test set, invokes the staging endpoint, writes the report.

    ``bucket_finding`` is the bucket's ARN as cdk-nag prints it (``<Logical.Arn>`` for a bucket
    of this stack, the literal ARN for another account's).
    """
    gate = ObservedFunction(
        scope,
        "Gate",
        alarms=alarms,
        props=ObservedFunctionProps(
            asset=GATE_ASSET,
            description="Tests a version on the staging endpoint with the labelled test set",
            memory_size=256,
            # max_examples requests at up to max_p99_latency_ms each, and the report.
            timeout=Duration.minutes(10),
            invoked_asynchronously=False,
            environment={
                "TEST_SET_BUCKET": bucket.bucket_name,
                "TEST_SET_KEY": staged.test_set_key,
                "REPORT_BUCKET": bucket.bucket_name,
                "REPORT_PREFIX": REPORTS_PREFIX,
                "MAX_ERROR_RATE": str(staged.max_error_rate),
                "MAX_P99_LATENCY_MS": str(staged.max_p99_latency_ms),
                "MIN_ACCURACY": str(staged.min_accuracy),
                "MIN_EXAMPLES": str(staged.min_examples),
                "MAX_EXAMPLES": str(staged.max_examples),
            },
        ),
    )
    # The test set, read; reports, written: nothing else of the bucket (SSE-S3, so no key).
    gate.role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects(staged.test_set_key)],
        )
    )
    gate.role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{REPORTS_PREFIX}*")],
        )
    )
    # InvokeEndpoint authorizes on the endpoint (Service Authorization Reference): staging's.
    gate.role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sagemaker:InvokeEndpoint"], resources=[endpoint_arn])
    )
    acknowledge_unexercised(
        gate.role,
        ["logs:CreateLogGroup"],
        "Lambda Insights creates /aws/lambda-insights only when it is missing; the staging "
        "deployer, invoked before the gate, creates it",
    )
    acknowledge(
        gate.role.node.find_child("DefaultPolicy"),
        "AwsSolutions-IAM5",
        "Reports are written under reports/v<version>/<execution>.json: keys the gate names "
        "per run, under the one prefix it may write. Resource::* is X-Ray tracing.",
        findings=[f"Resource::{bucket_finding}/{REPORTS_PREFIX}*", "Resource::*"],
    )
    return gate
