"""The model-quality monitor's current baseline: baselining job completed → stable prefix.

The data-quality job definition reads ``baselines/current/statistics.json`` and
``constraints.json``. An EventBridge rule on ``SageMaker Processing Job State Change`` with
status ``Completed`` and a job name of this stack's baselining jobs invokes the baseline
promoter, which copies that version's files there if it is newer than the current one
(``lambda/baseline_promoter``; event:
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).

Why a copy under a fixed key rather than pointing the schedule at the new version: the
alternative, ``UpdateMonitoringSchedule`` with a new job definition (job definitions cannot be
updated), changes resources CloudFormation owns behind its back: the stack drifts, and the next
``cdk deploy`` puts the deploy-time definition back
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html).
A copy changes data only, and the schedule's role reads two fixed object keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam

from refarch.constructs import ObservedFunction, ObservedFunctionProps, acknowledge
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.stacks.model_quality_monitor_baseline import baseline_job_prefix

if TYPE_CHECKING:
    from refarch.stacks.model_quality_monitor import ModelQualityMonitorStack

PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"
#: The stable prefix the job definition reads the baseline from.
CURRENT_PREFIX = "baselines/current/"
#: Processing job names are at most 63 characters; the starter's suffix
#: (``-<8 hex>-v<version>``) is at most 21, so every name starts with the prefix's first 42.
MAX_JOB_NAME = 63
MAX_SUFFIX = len("-12345678-v9999999999")


def job_name_start(prefix: str) -> str:
    """What every baselining job name starts with (the handler checks the whole name).

    The starter cuts the prefix to fit its suffix, so a long prefix is matched by the part no
    name can lose; a short one with the dash after it.
    """
    keep = MAX_JOB_NAME - MAX_SUFFIX
    return f"{prefix}-" if len(prefix) <= keep else prefix[:keep].rstrip("-")


def add_baseline_promoter(stack: ModelQualityMonitorStack) -> ObservedFunction:
    """The completion rule and the function that makes the newest baseline current."""
    bucket = stack.monitoring.bucket
    prefix = baseline_job_prefix(stack)
    promoter = ObservedFunction(
        stack,
        "BaselinePromoter",
        alarms=stack.alarms,
        props=ObservedFunctionProps(
            asset="baseline_promoter",
            description="Makes the newest completed baseline the one the monitoring schedule reads",
            memory_size=256,
            timeout=Duration.seconds(60),
            environment={
                "BUCKET": bucket.bucket_name,
                "BASELINES_PREFIX": stack.baselines_prefix,
                "CURRENT_PREFIX": CURRENT_PREFIX,
                "JOB_NAME_PREFIX": prefix,
                "KMS_KEY_ARN": stack.key.key_arn,
            },
        ),
    )
    function = promoter.function
    # Reads every version's files, the stable copy and its marker (HeadObject is GetObject).
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects(f"{stack.baselines_prefix}*")],
        )
    )
    # Writes the stable copy and the marker only, never a version's own files.
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{CURRENT_PREFIX}*")]
        )
    )
    # Without ListBucket a missing key (no marker before the first promotion) is answered 403,
    # not 404 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    function.add_to_role_policy(
        iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
    )
    # Baselines are SSE-KMS with the monitor key: read (Decrypt) and written (GenerateDataKey).
    stack.key.grant(function, "kms:Decrypt", "kms:GenerateDataKey")
    monitoring = stack.get_logical_id(bucket.node.default_child)
    acknowledge(
        promoter.role,
        "AwsSolutions-IAM5",
        "Reads the per-version baselines under baselines/ (SageMaker names the folders by "
        "version) and writes only the stable copy under baselines/current/.",
        findings=[
            f"Resource::<{monitoring}.Arn>/{stack.baselines_prefix}*",
            f"Resource::<{monitoring}.Arn>/{CURRENT_PREFIX}*",
        ],
    )
    acknowledge_unexercised(
        promoter.role,
        ["sqs:SendMessage"],
        "Lambda's asynchronous dead-letter queue, written only after the promoter failed "
        "three times (an S3 outage); the scenario's promoter never fails",
    )
    acknowledge_unexercised(
        promoter.role,
        ["logs:CreateLogGroup"],
        "Lambda Insights' managed policy: the account's /aws/lambda-insights log group is "
        "created by the first function that reports to it, and in the scenario the baseline "
        "starter runs first",
    )
    rule = events.Rule(
        stack,
        "BaselineCompleted",
        description="A baselining job of this stack completed: make its version current if newer",
        event_pattern=events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=[PROCESSING_JOB_STATE_CHANGE],
            detail={
                "ProcessingJobStatus": ["Completed"],
                "ProcessingJobName": [{"prefix": job_name_start(prefix)}],
            },
        ),
    )
    rule.add_target(
        targets.LambdaFunction(
            function,
            dead_letter_queue=stack.undelivered,
            retry_attempts=10,
            max_event_age=Duration.hours(6),
        )
    )
    stack.completion_rule = rule
    # A refused completion (its files missing or written elsewhere) leaves the schedule on the
    # previous baseline: someone must look. The promoter counts it (Powertools metric).
    stack.baseline_refused_alarm = stack.alarms.alarm_on_threshold(
        stack,
        "BaselineRefused",
        cloudwatch.Metric(
            namespace=f"refarch/{stack.stack_name}",
            metric_name="BaselinesRefused",
            dimensions_map={"service": "baseline-promoter"},
            statistic="Sum",
            period=Duration.minutes(5),
        ),
        "A completed baselining job could not be made current (see the baseline promoter's "
        "log): the schedule still checks against the previous baseline",
        threshold=1,
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    )
    return promoter
