"""What a deployer of the S3 → Lambda pattern relies on, asserted on the synthesized template."""

import pytest
from aws_cdk.assertions import Match
from template_queries import ALL_PUBLIC_ACCESS_BLOCKED, SSE_S3, as_list

PATTERN = "s3-event-processing"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


@pytest.fixture(scope="module")
def ids(stack):
    """Logical ids of the resources the assertions talk about."""
    buckets = stack.resources("AWS::S3::Bucket")

    def bucket(prefix: str) -> str:
        return next(logical_id for logical_id in buckets if logical_id.startswith(prefix))

    functions = stack.resources("AWS::Lambda::Function")
    return {
        "input": bucket("InputBucket"),
        "output": bucket("OutputBucket"),
        "logs": bucket("AccessLogsBucket"),
        "function": next(f for f in functions if f.startswith("CsvValidatorFunction")),
        "dlq": next(iter(stack.resources("AWS::SQS::Queue"))),
        "topic": next(iter(stack.resources("AWS::SNS::Topic"))),
    }


def function_props(stack, ids):
    return stack.resources("AWS::Lambda::Function")[ids["function"]]["Properties"]


@pytest.mark.parametrize("bucket", ["input", "output", "logs"])
def test_every_bucket_is_encrypted_private_versioned_and_retained(stack, ids, bucket):
    resource = stack.resources("AWS::S3::Bucket")[ids[bucket]]
    props = resource["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == SSE_S3
    assert props["PublicAccessBlockConfiguration"] == ALL_PUBLIC_ACCESS_BLOCKED
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert resource["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["input", "output", "logs"])
def test_every_bucket_denies_requests_without_tls(stack, ids, bucket):
    stack.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": ids[bucket]},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Principal": {"AWS": "*"},
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


@pytest.mark.parametrize(("bucket", "prefix"), [("input", "input/"), ("output", "output/")])
def test_data_buckets_send_access_logs_to_the_log_bucket(stack, ids, bucket, prefix):
    props = stack.resources("AWS::S3::Bucket")[ids[bucket]]["Properties"]
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": ids["logs"]},
        "LogFilePrefix": prefix,
    }


def test_processed_uploads_move_to_infrequent_access_after_30_days_then_expire(stack, ids):
    rules = stack.resources("AWS::S3::Bucket")[ids["input"]]["Properties"][
        "LifecycleConfiguration"
    ]["Rules"]
    uploads = next(rule for rule in rules if rule.get("Prefix") == "incoming/")
    assert uploads["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    assert uploads["ExpirationInDays"] == 365
    housekeeping = next(rule for rule in rules if "AbortIncompleteMultipartUpload" in rule)
    assert housekeeping["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert housekeeping["ExpiredObjectDeleteMarker"] is True


def test_only_csv_uploads_under_incoming_trigger_the_function(stack, ids):
    notifications = stack.resources("Custom::S3BucketNotifications")
    assert len(notifications) == 1
    props = next(iter(notifications.values()))["Properties"]
    assert props["BucketName"] == {"Ref": ids["input"]}
    (config,) = props["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["LambdaFunctionArn"] == {"Fn::GetAtt": [ids["function"], "Arn"]}
    rules = {rule["Name"]: rule["Value"] for rule in config["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "incoming/", "suffix": ".csv"}


def test_function_is_told_the_bucket_prefix_and_suffix_it_serves(stack, ids):
    """The handler refuses records outside these, so they must match the notification filter."""
    env = function_props(stack, ids)["Environment"]["Variables"]
    assert env["INPUT_BUCKET"] == {"Ref": ids["input"]}
    assert (env["INPUT_PREFIX"], env["INPUT_SUFFIX"]) == ("incoming/", ".csv")


def test_function_writes_to_another_bucket_so_its_output_cannot_retrigger_it(stack, ids):
    env = function_props(stack, ids)["Environment"]["Variables"]
    assert env["OUTPUT_BUCKET"] == {"Ref": ids["output"]}
    assert ids["output"] != ids["input"]
    policy = next(
        p
        for p in stack.resources("AWS::IAM::Policy").values()
        if p["Properties"]["PolicyName"].startswith("CsvValidatorRoleDefaultPolicy")
    )
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if any(action.startswith("s3:Put") for action in actions):
            assert ids["input"] not in str(statement["Resource"])


def test_function_runtime_architecture_tracing_and_layers(stack, ids):
    props = function_props(stack, ids)
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 1769  # one full vCPU for the CPU-bound parsing
    assert props["Timeout"] == 15 * 60
    assert props["TracingConfig"] == {"Mode": "Active"}
    layers = [str(layer) for layer in props["Layers"]]
    assert any(
        ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:" in layer
        for layer in layers
    ), layers
    assert any("lambdainsights" in layer.lower() for layer in layers), layers
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "csv-validator"


def test_function_logs_to_its_own_group_with_retention(stack, ids):
    props = function_props(stack, ids)
    (log_group_id,) = stack.resources("AWS::Logs::LogGroup")
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    log_group = stack.resources("AWS::Logs::LogGroup")[log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["DeletionPolicy"] == "Retain"


def test_failed_async_events_are_retried_twice_then_kept_in_the_dlq(stack, ids):
    props = function_props(stack, ids)
    assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [ids["dlq"], "Arn"]}}
    stack.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": ids["function"]},
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 6 * 3600,
        },
    )
    queue = stack.resources("AWS::SQS::Queue")[ids["dlq"]]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    stack.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": ids["dlq"]}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


@pytest.mark.parametrize(
    ("metric", "namespace"),
    [
        ("Errors", "AWS/Lambda"),
        ("Throttles", "AWS/Lambda"),
        ("ApproximateNumberOfMessagesVisible", "AWS/SQS"),
    ],
)
def test_failure_signals_alarm_to_the_topic(stack, ids, metric, namespace):
    stack.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": metric,
            "Namespace": namespace,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ids["topic"]}],
            "OKActions": [{"Ref": ids["topic"]}],
        },
    )


def test_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(stack, ids):
    (key_id,) = stack.resources("AWS::KMS::Key")
    key = stack.resources("AWS::KMS::Key")[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    topic = stack.resources("AWS::SNS::Topic")[ids["topic"]]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    statements = key["KeyPolicy"]["Statement"]
    (cloudwatch,) = [
        s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    # Only this account's alarms: no confused deputy.
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }


def test_destroy_context_deletes_data_with_the_stack(synth):
    destroyable = synth(PATTERN, destroy="true")
    for resource in destroyable.resources("AWS::S3::Bucket").values():
        assert resource["DeletionPolicy"] == "Delete"
    assert destroyable.resources("Custom::S3AutoDeleteObjects")


def test_the_role_holds_the_s3_actions_the_handler_calls_and_no_group(stack, ids):
    # The exact version that triggered the event (GetObjectVersion); on outputs PutObject (and
    # AbortMultipartUpload for a failed multipart write), HeadObject (GetObject), DeleteObject.
    policy = next(
        p
        for p in stack.resources("AWS::IAM::Policy").values()
        if p["Properties"]["PolicyName"].startswith("CsvValidatorRoleDefaultPolicy")
    )
    s3_actions = {
        action
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in as_list(statement["Action"])
        if action.startswith("s3:")
    }
    assert s3_actions == {
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:DeleteObject",
        "s3:ListBucket",
    }
