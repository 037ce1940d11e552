"""The model-quality monitor's baseline on approval: registry event → baselining job.

An EventBridge rule on ``SageMaker Model Package State Change`` with ``ModelApprovalStatus``
``Approved`` for the monitored model's group invokes the baseline starter, which calls
``CreateProcessingJob`` with the Model Monitor image and the baseline role: the training data
under ``training/`` in, ``baselines/<version>/`` out
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam

from refarch.constructs import ObservedFunction, ObservedFunctionProps, acknowledge
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.stacks.model_quality_monitor_props import DEFAULT_MODEL_PACKAGE_GROUP_PREFIX

if TYPE_CHECKING:
    from refarch.stacks.model_quality_monitor import ModelQualityMonitorStack

MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"


def baseline_job_prefix(stack: ModelQualityMonitorStack) -> str:
    """The start of every baselining job name (``<prefix>-<group hash>-v<version>``).

    Lowercase: SageMaker writes some resource names lowercased in their ARNs, and a lowercase
    name matches the policy's ARN pattern either way.
    """
    safe = "".join(c if c.isalnum() else "-" for c in stack.stack_name.lower())
    return f"{safe[:40].strip('-')}-baseline"


def add_baseline_starter(stack: ModelQualityMonitorStack) -> ObservedFunction:
    """The approval rule and the function that starts the approved version's baselining job."""
    props = stack.props
    group = props.model_package_group_name
    group_env = (
        {"MODEL_PACKAGE_GROUP_NAME": group}
        if group
        else {"MODEL_PACKAGE_GROUP_PREFIX": DEFAULT_MODEL_PACKAGE_GROUP_PREFIX}
    )
    bucket = stack.monitoring.bucket
    resources = props.resources
    prefix = baseline_job_prefix(stack)
    starter = ObservedFunction(
        stack,
        "BaselineStarter",
        alarms=stack.alarms,
        props=ObservedFunctionProps(
            asset="baseline_starter",
            description="Starts a Model Monitor baselining job for each approved model version",
            memory_size=256,
            timeout=Duration.seconds(30),
            environment={
                **group_env,
                "JOB_NAME_PREFIX": prefix,
                "IMAGE_URI": stack.image_uri,
                "ROLE_ARN": stack.baseline_role.role_arn,
                "DATASET_URI": bucket.s3_url_for_object(stack.training_prefix),
                "OUTPUT_URI": bucket.s3_url_for_object(stack.baselines_prefix),
                "KMS_KEY_ARN": stack.key.key_arn,
                "INSTANCE_TYPE": resources.instance_type,
                "INSTANCE_COUNT": str(resources.instance_count),
                "VOLUME_SIZE_GB": str(resources.volume_size_gb),
                "MAX_RUNTIME_SECONDS": str(int(resources.max_runtime.to_seconds())),
            },
        ),
    )
    function = starter.function
    # CreateProcessingJob is authorized on the job's ARN (processing-job/<name>); the condition
    # keys pin what the starter may ask for: network isolation on, the monitor key for volumes
    # and output (Service Authorization Reference, SageMaker:
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerai.html).
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["sagemaker:CreateProcessingJob"],
            resources=[
                stack.format_arn(
                    service="sagemaker", resource="processing-job", resource_name=f"{prefix}-*"
                )
            ],
            conditions={
                "Bool": {"sagemaker:NetworkIsolation": "true"},
                "ArnEquals": {
                    "sagemaker:VolumeKmsKeyArn": stack.key.key_arn,
                    "sagemaker:OutputKmsKeyArn": stack.key.key_arn,
                },
            },
        )
    )
    # Passing the baseline role to SageMaker, and to nothing else (IAM user guide, "Grant a
    # user permissions to pass a role to an AWS service":
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[stack.baseline_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )
    acknowledge(
        starter.role,
        "AwsSolutions-IAM5",
        "Baselining jobs this stack names (<stack>-baseline-<group hash>-v<version>), one per "
        "approved version; the conditions fix network isolation and the monitor key.",
        findings=[
            "Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:"
            f"processing-job/{prefix}-*"
        ],
    )
    acknowledge_unexercised(
        starter.role,
        ["sqs:SendMessage"],
        "Lambda's asynchronous dead-letter queue, written only after the starter failed "
        "three times (a SageMaker outage or limit); the scenario's starter never fails",
    )
    group_match = [group] if group else [{"prefix": DEFAULT_MODEL_PACKAGE_GROUP_PREFIX}]
    rule = events.Rule(
        stack,
        "VersionApproved",
        description="A version of the monitored model was approved: baseline it",
        event_pattern=events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=[MODEL_PACKAGE_STATE_CHANGE],
            detail={"ModelPackageGroupName": group_match, "ModelApprovalStatus": ["Approved"]},
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
    stack.approval_rule = rule
    return starter
