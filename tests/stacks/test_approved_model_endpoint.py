"""What a deployer of the approved-model endpoint pattern relies on, asserted on the template.

The default and `-c destroy=true` variants come from the session's `synth` cache (one synthesis
per pattern and context, cdk-nag included). The customised variant needs props that no context
switch sets (the group name, the baking period), so this module synthesizes it itself, the way
`build_app` does: cdk.json's context, the stack, and cdk-nag as a validation plugin.
"""

# The fixtures imported from approved_model_endpoint_support are found by name as parameters.
# ruff: noqa: F811

import json
from typing import Any

import pytest
from approved_model_endpoint_support import (  # noqa: F401 (fixtures, found by name)
    ENDPOINT,
    LOG_GROUP,
    ROLLBACK_ALARMS,
    STACK_NAME,
    VARIANT,
    allow,
    arn,
    custom,
    custom_ids,
    destroyable,
    environment,
    group_name,
    ids,
    normalized,
    stack,
)
from aws_cdk.assertions import Match
from template_queries import (
    ALL_PUBLIC_ACCESS_BLOCKED,
    SSE_S3,
    Synthesized,
    as_list,
    getatt,
    objects_under,
    ref,
    statements_of,
    topic_statements_for_eventbridge,
)

from refarch.cfn_lint import lint_template

# ---------------------------------------------------------------------------------------------
# Policy checks: cdk-nag (the fixtures would raise on a finding) and cfn-lint


# The default variant is checked with every catalog pattern (test_policy_checks.py).
@pytest.mark.parametrize("variant", ["custom", "destroyable"])
def test_synthesis_passes_cdk_nag_with_every_acknowledgment_scoped_and_explained(request, variant):
    acknowledgments = request.getfixturevalue(variant).acknowledgments()
    assert acknowledgments
    for (path, rule), reason in acknowledgments.items():
        assert path.count("/") >= 2, f"{rule} acknowledged for a whole stack: {path}"
        assert len(reason) >= 40, f"{rule} at {path} lacks a real reason: {reason!r}"


@pytest.mark.parametrize("variant", ["custom", "destroyable"])
def test_template_is_cfn_lint_clean(request, variant):
    assert lint_template(request.getfixturevalue(variant).path) == []


# ---------------------------------------------------------------------------------------------
# Model registry


def test_model_package_group_is_kept_and_named_anew_for_each_creation_of_the_stack(stack, ids):
    resource = stack.resources("AWS::SageMaker::ModelPackageGroup")[ids["group"]]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    stack_uuid = {"Fn::Select": [2, {"Fn::Split": ["/", ref("AWS::StackId")]}]}
    assert group_name(stack) == {
        "Fn::Join": [
            "-",
            [f"{ENDPOINT}-models", {"Fn::Select": [0, {"Fn::Split": ["-", stack_uuid]}]}],
        ]
    }
    assert resource["Properties"]["ModelPackageGroupDescription"] == (
        f"Versions of the model served by {ENDPOINT}"
    )


def test_given_group_and_endpoint_names_are_used_as_they_are(custom, custom_ids):
    assert group_name(custom) == "churn-models"
    env = environment(custom, custom_ids)
    assert env["MODEL_PACKAGE_GROUP_NAME"] == "churn-models"
    assert env["ENDPOINT_NAME"] == "churn"


def test_destroy_context_deletes_the_group_and_every_stateful_resource(destroyable):
    for resource_type in (
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::SQS::Queue",
        "AWS::ECR::Repository",
    ):
        resources = destroyable.resources(resource_type)
        assert resources, resource_type
        for logical_id, resource in resources.items():
            assert resource["DeletionPolicy"] == "Delete", logical_id
    (repository,) = destroyable.resources("AWS::ECR::Repository").values()
    assert repository["Properties"]["EmptyOnDelete"] is True
    assert destroyable.resources("Custom::S3AutoDeleteObjects")


# ---------------------------------------------------------------------------------------------
# Event rules


def test_approvals_and_rejections_of_this_group_only_reach_the_deployer(stack):
    stack.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_equals(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Model Package State Change"],
                    "detail": {
                        "ModelPackageGroupName": [group_name(stack)],
                        "ModelApprovalStatus": ["Approved", "Rejected"],
                    },
                }
            )
        },
    )


def test_this_endpoint_back_in_service_reaches_the_deployer(stack):
    stack.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_equals(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Endpoint State Change"],
                    "detail": {"EndpointName": [ENDPOINT], "EndpointStatus": ["IN_SERVICE"]},
                }
            )
        },
    )


def test_this_endpoint_failing_reaches_the_alarm_topic(stack):
    stack.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_equals(
                {
                    "source": ["aws.sagemaker"],
                    "detail-type": ["SageMaker Endpoint State Change"],
                    "detail": {
                        "EndpointName": [ENDPOINT],
                        "EndpointStatus": ["FAILED", "UPDATE_ROLLBACK_FAILED"],
                    },
                }
            )
        },
    )


def test_there_are_exactly_the_three_rules(stack):
    assert len(stack.resources("AWS::Events::Rule")) == 3


def test_endpoint_rules_follow_a_given_endpoint_name(custom, custom_ids):
    rules = custom.resources("AWS::Events::Rule")
    for rule in ("in_service_rule", "failed_rule"):
        detail = rules[custom_ids[rule]]["Properties"]["EventPattern"]["detail"]
        assert detail["EndpointName"] == ["churn"]
    approval = rules[custom_ids["approval_rule"]]["Properties"]["EventPattern"]["detail"]
    assert approval["ModelPackageGroupName"] == ["churn-models"]


@pytest.mark.parametrize("rule", ["approval_rule", "in_service_rule"])
def test_deployer_targets_retry_for_six_hours_then_go_to_the_dead_letter_queue(stack, ids, rule):
    (target,) = stack.resources("AWS::Events::Rule")[ids[rule]]["Properties"]["Targets"]
    assert target["Arn"] == getatt(ids["function"])
    assert target["DeadLetterConfig"] == {"Arn": getatt(ids["undelivered"])}
    assert target["RetryPolicy"] == {
        "MaximumEventAgeInSeconds": 6 * 3600,
        "MaximumRetryAttempts": 10,
    }


def test_failure_events_go_to_the_alarm_topic_with_the_dead_letter_queue(stack, ids):
    rule = stack.resources("AWS::Events::Rule")[ids["failed_rule"]]["Properties"]
    (target,) = rule["Targets"]
    assert target["Arn"] == ref(ids["topic"])
    assert target["DeadLetterConfig"] == {"Arn": getatt(ids["undelivered"])}
    assert "RoleArn" not in target  # the topic policy admits the rule


def test_topic_admits_eventbridge_for_the_failure_rule_only(stack, ids):
    from_events = topic_statements_for_eventbridge(stack)
    assert [s["Condition"] for s in from_events] == [
        {"ArnEquals": {"aws:SourceArn": getatt(ids["failed_rule"])}}
    ]


def test_eventbridge_may_invoke_the_deployer_from_its_two_rules_only(stack, ids):
    permissions = [
        p["Properties"]
        for p in stack.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert sorted(json.dumps(p["SourceArn"]) for p in permissions) == sorted(
        json.dumps(getatt(ids[rule])) for rule in ("approval_rule", "in_service_rule")
    )
    assert all(p["FunctionName"] == getatt(ids["function"]) for p in permissions)
    assert all(p["Action"] == "lambda:InvokeFunction" for p in permissions)


def test_dead_letter_queue_admits_the_three_rules_only_and_is_encrypted(stack, ids):
    queue = stack.resources("AWS::SQS::Queue")[ids["undelivered"]]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    (policy,) = (
        p["Properties"]
        for p in stack.resources("AWS::SQS::QueuePolicy").values()
        if ref(ids["undelivered"]) in p["Properties"]["Queues"]
    )
    allowed = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Principal"] == {"Service": "events.amazonaws.com"} for s in allowed)
    assert all(s["Action"] == "sqs:SendMessage" for s in allowed)
    assert sorted(json.dumps(s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in allowed) == (
        sorted(
            json.dumps(getatt(ids[rule]))
            for rule in ("approval_rule", "in_service_rule", "failed_rule")
        )
    )
    denied = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denied] == [{"Bool": {"aws:SecureTransport": "false"}}]


# ---------------------------------------------------------------------------------------------
# Deployer function


def test_deployer_environment_is_exactly_the_contract(stack, ids):
    assert environment(stack, ids) == {
        "MODEL_PACKAGE_GROUP_NAME": group_name(stack),
        "ENDPOINT_NAME": ENDPOINT,
        "EXECUTION_ROLE_ARN": getatt(ids["execution_role"]),
        "VARIANT_NAME": VARIANT,
        "INSTANCE_TYPE": "ml.m5.xlarge",
        "INITIAL_INSTANCE_COUNT": "2",
        "DATA_CAPTURE_S3_URI": {"Fn::Join": ["", ["s3://", ref(ids["capture"]), "/datacapture"]]},
        "DATA_CAPTURE_SAMPLING_PERCENT": "20",
        "KMS_KEY_ARN": getatt(ids["key"]),
        "ROLLOUT": "canary",
        "TRAFFIC_STEP_PERCENT": "10",
        "WAIT_INTERVAL_SECONDS": "300",
        "ROLLBACK_ALARM_NAMES": ",".join(ROLLBACK_ALARMS),
        "AUTOSCALING_MIN_CAPACITY": "2",
        "AUTOSCALING_MAX_CAPACITY": "4",
        "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE": "70",
        "POWERTOOLS_SERVICE_NAME": "model-deployer",
        "POWERTOOLS_METRICS_NAMESPACE": f"refarch/{STACK_NAME}",
        # Added by ObservedFunction to every function of the project.
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_serverless_variant_adds_its_memory_and_concurrency(stack, ids, custom, custom_ids):
    env = environment(custom, custom_ids)
    assert env["SERVERLESS_MEMORY_MB"] == "2048"
    assert env["SERVERLESS_MAX_CONCURRENCY"] == "10"
    assert env["ROLLOUT"] == "linear"
    assert env["TRAFFIC_STEP_PERCENT"] == "20"
    assert env["WAIT_INTERVAL_SECONDS"] == "600"
    assert env["DATA_CAPTURE_SAMPLING_PERCENT"] == "100"
    assert env["ROLLBACK_ALARM_NAMES"] == "churn-invocation-5xx-errors,churn-model-latency-p99"
    # The real-time variant's settings alone never make a serverless endpoint.
    assert not {"SERVERLESS_MEMORY_MB", "SERVERLESS_MAX_CONCURRENCY"} & set(environment(stack, ids))


def test_deployer_runs_the_model_deployer_asset(stack, ids):
    function = stack.resources("AWS::Lambda::Function")[ids["function"]]["Properties"]
    assert function["Handler"] == "handler.lambda_handler"
    assert function["Timeout"] == 60
    assert function["Role"] == getatt(ids["deployer_role"])
    assert function["TracingConfig"] == {"Mode": "Active"}


def test_deployer_retries_its_own_failures_twice_then_dead_letters_them(stack, ids):
    function = stack.resources("AWS::Lambda::Function")[ids["function"]]["Properties"]
    assert function["DeadLetterConfig"] == {"TargetArn": getatt(ids["deployer_dlq"])}
    (config,) = stack.resources("AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["MaximumRetryAttempts"] == 2
    assert config["Properties"]["MaximumEventAgeInSeconds"] == 6 * 3600


# ---------------------------------------------------------------------------------------------
# SageMaker execution role


def test_execution_role_trusts_sagemaker_acting_for_this_account_only(stack, ids):
    role = stack.resources("AWS::IAM::Role")[ids["execution_role"]]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in role


def test_execution_role_reads_only_the_artifacts_and_image_and_writes_only_the_capture(stack, ids):
    assert normalized(statements_of(stack, ids["execution_role"])) == normalized(
        [
            # s3:GetObject on the archives only, as AWS's CreateModel policy scopes it.
            allow(["s3:GetObject"], [objects_under(ids["artifacts"], "models/")]),
            allow(
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                [getatt(ids["repository"])],
            ),
            # No resource-level permissions for the token (AWS docs).
            allow(["ecr:GetAuthorizationToken"], ["*"]),
            allow(
                ["s3:AbortMultipartUpload", "s3:PutObject"],
                [objects_under(ids["capture"], "datacapture/")],
            ),
            allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [getatt(ids["key"])]),
            # The log calls AWS's hosting execution role policy lists, on the ARN forms the
            # Service Authorization Reference gives: log-group:NAME (no ":*") for group
            # actions, log-group:NAME:log-stream:* for stream actions.
            allow(["logs:CreateLogGroup", "logs:DescribeLogStreams"], [arn("logs", LOG_GROUP)]),
            allow(
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [arn("logs", f"{LOG_GROUP}:log-stream:*")],
            ),
            # Deployment guardrails read the rollback alarms as the execution role (AWS docs).
            allow(
                ["cloudwatch:DescribeAlarms"],
                [getatt(ids["errors_alarm"]), getatt(ids["latency_alarm"])],
            ),
            allow(
                ["cloudwatch:PutMetricData"],
                ["*"],
                {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
            ),
        ]
    )


def test_execution_role_pulls_from_a_given_repository_only(custom, custom_ids):
    statements = statements_of(custom, custom_ids["execution_role"])
    (pull,) = (s for s in statements if "ecr:BatchGetImage" in as_list(s["Action"]))
    assert pull["Resource"] == arn("ecr", "repository/churn-images")
    assert not custom.resources("AWS::ECR::Repository")


# ---------------------------------------------------------------------------------------------
# Alarms

ROLLBACK_METRICS = [
    # metric, statistic key, statistic, comparison, threshold, alarm name
    (
        "Invocation5XXErrors",
        "Statistic",
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
        ROLLBACK_ALARMS[0],
    ),
    (
        "ModelLatency",
        "ExtendedStatistic",
        "p99",
        "GreaterThanThreshold",
        1_000_000,  # 1 s, in microseconds
        ROLLBACK_ALARMS[1],
    ),
]


def alarm_named(synthesized: Synthesized, metric: str) -> dict[str, Any]:
    (alarm,) = (
        a["Properties"]
        for a in synthesized.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric
    )
    return alarm


@pytest.mark.parametrize(
    ("metric", "statistic_key", "statistic", "comparison", "threshold", "name"), ROLLBACK_METRICS
)
def test_rollback_alarms_watch_the_variant_minute_by_minute(
    stack, ids, metric, statistic_key, statistic, comparison, threshold, name
):
    alarm = alarm_named(stack, metric)
    assert alarm["AlarmName"] == name
    assert alarm["Namespace"] == "AWS/SageMaker"
    assert alarm["Dimensions"] == [
        {"Name": "EndpointName", "Value": ENDPOINT},
        {"Name": "VariantName", "Value": VARIANT},
    ]
    assert alarm[statistic_key] == statistic
    assert alarm["Period"] == 60
    assert alarm["EvaluationPeriods"] == 2
    assert alarm["ComparisonOperator"] == comparison
    assert alarm["Threshold"] == threshold
    assert alarm["TreatMissingData"] == "notBreaching"
    # A rollback, or a regression outside a rollout, also pages.
    assert alarm["AlarmActions"] == [ref(ids["topic"])]


def test_rollback_alarm_names_are_exactly_what_the_deployer_is_given(stack, ids):
    given = environment(stack, ids)["ROLLBACK_ALARM_NAMES"].split(",")
    names = [alarm_named(stack, metric)["AlarmName"] for metric, *_ in ROLLBACK_METRICS]
    assert given == names


@pytest.mark.parametrize("metric", ["NoApprovedVersion", "RolloutHeld"])
def test_deployer_outcome_alarms_read_the_metrics_powertools_emits(stack, ids, metric):
    env = environment(stack, ids)
    alarm = alarm_named(stack, metric)
    assert alarm["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [ref(ids["topic"])]


def test_undelivered_events_alarm(stack, ids):
    alarm = next(
        a["Properties"]
        for a in stack.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Dimensions"][0]["Value"]
        == {"Fn::GetAtt": [ids["undelivered"], "QueueName"]}
    )
    assert alarm["Threshold"] == 1
    assert alarm["AlarmActions"] == [ref(ids["topic"])]


def test_every_alarm_is_listed(stack):
    metrics = sorted(
        a["Properties"]["MetricName"] for a in stack.resources("AWS::CloudWatch::Alarm").values()
    )
    assert metrics == sorted(
        [
            "Invocation5XXErrors",
            "ModelLatency",
            "NoApprovedVersion",
            "RolloutHeld",
            # The dead-letter queues: the rules' targets and the deployer's own.
            "ApproximateNumberOfMessagesVisible",
            "ApproximateNumberOfMessagesVisible",
            # ObservedFunction: errors and throttles of the deployer.
            "Errors",
            "Throttles",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Encryption, storage, logs, image repository


def test_endpoint_key_is_rotated_and_kept(stack, ids):
    key = stack.resources("AWS::KMS::Key")[ids["key"]]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_logs_may_use_the_endpoint_key_for_the_endpoint_log_group_only(stack, ids):
    policy = stack.resources("AWS::KMS::Key")[ids["key"]]["Properties"]["KeyPolicy"]
    (statement,) = (
        s
        for s in policy["Statement"]
        if s.get("Principal", {}).get("Service")
        == {"Fn::Join": ["", ["logs.", ref("AWS::Region"), ".amazonaws.com"]]}
    )
    assert statement["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": arn(
                "logs", f"log-group:/aws/sagemaker/Endpoints/{ENDPOINT}"
            )
        }
    }


def test_endpoint_log_group_is_the_one_sagemaker_writes_with_retention_and_the_key(stack, ids):
    group = stack.resources("AWS::Logs::LogGroup")[ids["endpoint_logs"]]
    # Tags are the app's (project, refarch:pattern), added to every taggable resource.
    properties = {k: v for k, v in group["Properties"].items() if k != "Tags"}
    assert properties == {
        "LogGroupName": f"/aws/sagemaker/Endpoints/{ENDPOINT}",
        "RetentionInDays": 30,
        "KmsKeyId": getatt(ids["key"]),
    }
    assert group["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["artifacts", "capture", "access_logs"])
def test_buckets_are_encrypted_private_versioned_and_retained(stack, ids, bucket):
    resource = stack.resources("AWS::S3::Bucket")[ids[bucket]]
    props = resource["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == SSE_S3
    assert props["PublicAccessBlockConfiguration"] == ALL_PUBLIC_ACCESS_BLOCKED
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["artifacts", "capture", "access_logs"])
def test_buckets_deny_requests_without_tls(stack, ids, bucket):
    stack.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": ref(ids[bucket]),
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


@pytest.mark.parametrize(
    ("bucket", "prefix"), [("artifacts", "artifacts/"), ("capture", "capture/")]
)
def test_data_buckets_send_access_logs_to_the_log_bucket(stack, ids, bucket, prefix):
    props = stack.resources("AWS::S3::Bucket")[ids[bucket]]["Properties"]
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": ref(ids["access_logs"]),
        "LogFilePrefix": prefix,
    }


def test_captured_data_expires_after_a_year(stack, ids):
    rules = stack.resources("AWS::S3::Bucket")[ids["capture"]]["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    (capture,) = (r for r in rules if r.get("Prefix") == "datacapture/")
    assert capture["ExpirationInDays"] == 365


def test_image_repository_scans_on_push_keeps_tags_immutable_and_is_kept(stack, ids):
    repository = stack.resources("AWS::ECR::Repository")[ids["repository"]]
    assert repository["Properties"]["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert repository["Properties"]["ImageTagMutability"] == "IMMUTABLE"
    assert repository["Properties"]["EmptyOnDelete"] is False
    assert repository["DeletionPolicy"] == "Retain"


def test_endpoint_and_its_autoscaling_are_left_to_the_deployer(stack):
    # Created at runtime from the registry: none of them is a CloudFormation resource.
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    ):
        assert not stack.resources(resource_type), resource_type


# ---------------------------------------------------------------------------------------------
# Outputs


def test_outputs_name_what_a_deployer_uses(stack, ids):
    outputs = {name: output["Value"] for name, output in stack.json["Outputs"].items()}
    assert outputs["ModelPackageGroupName"] == group_name(stack)
    assert outputs["EndpointName"] == ENDPOINT
    assert outputs["ArtifactsBucketName"] == ref(ids["artifacts"])
    assert outputs["ArtifactsLocation"] == {
        "Fn::Join": ["", ["s3://", ref(ids["artifacts"]), "/models/"]]
    }
    assert outputs["DataCaptureLocation"] == {
        "Fn::Join": ["", ["s3://", ref(ids["capture"]), "/datacapture"]]
    }
    assert ref(ids["repository"]) in outputs["ImageRepositoryUri"]["Fn::Join"][1]
    assert outputs["ExecutionRoleArn"] == getatt(ids["execution_role"])
    assert outputs["AlarmTopicArn"] == ref(ids["topic"])
    assert outputs["ApproveCommand"] == {
        "Fn::Join": [
            "",
            [
                "aws sagemaker update-model-package --model-package-arn arn:",
                ref("AWS::Partition"),
                ":sagemaker:",
                ref("AWS::Region"),
                ":",
                ref("AWS::AccountId"),
                ":model-package/",
                group_name(stack),
                "/<version> --model-approval-status Approved",
            ],
        ]
    }
