"""What a deployer of the Kinesis → Firehose → S3 pattern relies on, asserted on the template."""

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template
from template_queries import actions_on, as_list, getatt, objects_under, statements_of

from refarch.cdk_app import repo_context
from refarch.constructs import SecureStream, SecureStreamProps
from refarch.stacks.stream_to_lake import (
    DATA_OUTPUT_PREFIX,
    ERROR_OUTPUT_PREFIX,
    StreamToLakeProps,
    StreamToLakeStack,
)

PATTERN = "stream-to-lake"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


@pytest.fixture(scope="module")
def parquet(synth):
    return synth(PATTERN, parquet="true")


@pytest.fixture(scope="module")
def fan_out(synth):
    return synth(PATTERN, enhanced_fan_out_consumer="analytics")


def ids_of(synthesized):
    """Logical ids of the resources the assertions talk about."""
    return {
        "stream": synthesized.id_of("AWS::Kinesis::Stream", "ClickstreamStream"),
        "key": synthesized.id_of("AWS::KMS::Key", "ClickstreamKey"),
        "delivery": synthesized.id_of("AWS::KinesisFirehose::DeliveryStream", "Firehose"),
        "function": synthesized.id_of("AWS::Lambda::Function", "TransformFunction"),
        "lake": synthesized.id_of("AWS::S3::Bucket", "LakeBucket"),
        "source_role": synthesized.id_of("AWS::IAM::Role", "FirehoseSourceRole"),
        "destination_role": synthesized.id_of("AWS::IAM::Role", "FirehoseDestinationRole"),
        "producer_role": synthesized.id_of("AWS::IAM::Role", "ProducerRole"),
        "delivery_logs": synthesized.id_of("AWS::Logs::LogGroup", "FirehoseLogs"),
        "topic": synthesized.id_of("AWS::SNS::Topic", "AlarmsTopic"),
    }


@pytest.fixture(scope="module")
def ids(stack):
    return ids_of(stack)


def delivery_props(synthesized):
    (resource,) = synthesized.resources("AWS::KinesisFirehose::DeliveryStream").values()
    return resource["Properties"]


def s3_destination(synthesized):
    return delivery_props(synthesized)["ExtendedS3DestinationConfiguration"]


# ---------------------------------------------------------------------------------------------
# The stream


def test_stream_is_encrypted_with_its_own_rotated_key(stack, ids):
    props = stack.resources("AWS::Kinesis::Stream")[ids["stream"]]["Properties"]
    assert props["StreamEncryption"] == {"EncryptionType": "KMS", "KeyId": getatt(ids["key"])}
    key = stack.resources("AWS::KMS::Key")[ids["key"]]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_stream_is_on_demand_keeps_records_24_hours_and_is_retained(stack, ids):
    resource = stack.resources("AWS::Kinesis::Stream")[ids["stream"]]
    assert resource["Properties"]["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert "ShardCount" not in resource["Properties"]
    assert resource["Properties"]["RetentionPeriodHours"] == 24
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"


@pytest.fixture(scope="module")
def provisioned():
    # Props a deployer sets in code: one extra synthesis, with cdk.json's feature flags.
    app = cdk.App(context=repo_context())
    built = StreamToLakeStack(
        app,
        "Provisioned",
        props=StreamToLakeProps(shard_count=3, retention=Duration.days(7)),
    )
    return Template.from_stack(built).to_json()


def test_shard_count_switches_to_provisioned_mode_with_the_given_retention(provisioned):
    (stream,) = (
        r["Properties"]
        for r in provisioned["Resources"].values()
        if r["Type"] == "AWS::Kinesis::Stream"
    )
    assert stream["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert stream["ShardCount"] == 3
    assert stream["RetentionPeriodHours"] == 7 * 24


def test_shard_count_context_switch_provisions_the_stream(synth):
    # `cdk deploy -c shard_count=1`: the cheapest way to keep the stream running idle.
    one_shard = synth(PATTERN, shard_count="1")
    (stream,) = one_shard.resources("AWS::Kinesis::Stream").values()
    assert stream["Properties"]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert stream["Properties"]["ShardCount"] == 1


def test_a_stream_needs_at_least_one_shard():
    with pytest.raises(ValueError, match="shard_count"):
        SecureStream(cdk.Stack(), "Stream", props=SecureStreamProps(shard_count=0))


def test_destroy_context_deletes_the_stream_and_its_key(synth):
    destroyable = synth(PATTERN, destroy="true")
    for resource_type in ("AWS::Kinesis::Stream", "AWS::KMS::Key", "AWS::S3::Bucket"):
        for resource in destroyable.resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Delete", resource_type


# ---------------------------------------------------------------------------------------------
# The transform function


def test_transform_runs_the_clickstream_handler_briefly_on_little_memory(stack, ids):
    props = stack.resources("AWS::Lambda::Function")[ids["function"]]["Properties"]
    assert props["Handler"] == "handler.lambda_handler"
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 256
    assert props["Timeout"] == 60  # Firehose allows up to 5 minutes
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "clickstream-transform"


def test_transform_is_synchronous_so_it_has_no_dlq_or_async_retry_config(stack, ids):
    props = stack.resources("AWS::Lambda::Function")[ids["function"]]["Properties"]
    assert "DeadLetterConfig" not in props
    assert not stack.resources("AWS::Lambda::EventInvokeConfig")
    assert not stack.resources("AWS::SQS::Queue")
    namespaces = {
        a["Properties"]["Namespace"] for a in stack.resources("AWS::CloudWatch::Alarm").values()
    }
    assert "AWS/SQS" not in namespaces


def test_transform_logs_to_its_own_group_with_retention(stack, ids):
    props = stack.resources("AWS::Lambda::Function")[ids["function"]]["Properties"]
    log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert (
        stack.resources("AWS::Logs::LogGroup")[log_group_id]["Properties"]["RetentionInDays"] == 30
    )


# ---------------------------------------------------------------------------------------------
# The delivery stream


def test_firehose_reads_the_stream_under_its_source_role(stack, ids):
    props = delivery_props(stack)
    assert props["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert props["KinesisStreamSourceConfiguration"] == {
        "KinesisStreamARN": getatt(ids["stream"]),
        "RoleARN": getatt(ids["source_role"]),
    }
    # With a Kinesis source Firehose keeps nothing at rest: the stream's key encrypts the data.
    assert "DeliveryStreamEncryptionConfigurationInput" not in props


def test_firehose_writes_to_the_lake_bucket_under_its_destination_role(stack, ids):
    destination = s3_destination(stack)
    assert destination["BucketARN"] == getatt(ids["lake"])
    assert destination["RoleARN"] == getatt(ids["destination_role"])


def test_each_batch_of_1_mib_goes_through_the_transform_with_3_retries(stack, ids):
    (processor,) = s3_destination(stack)["ProcessingConfiguration"]["Processors"]
    assert processor["Type"] == "Lambda"
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters == {
        "LambdaArn": getatt(ids["function"]),
        "RoleArn": getatt(ids["destination_role"]),
        "BufferSizeInMBs": "1",
        "BufferIntervalInSeconds": "60",
        "NumberOfRetries": "3",
    }
    assert s3_destination(stack)["ProcessingConfiguration"]["Enabled"] is True


def test_records_are_partitioned_hive_style_by_the_keys_the_transform_returns(stack):
    destination = s3_destination(stack)
    assert destination["DynamicPartitioningConfiguration"] == {
        "Enabled": True,
        "RetryOptions": {"DurationInSeconds": 300},
    }
    assert destination["Prefix"] == (
        "events/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/"
        "day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/"
    )
    assert destination["Prefix"] == DATA_OUTPUT_PREFIX


def test_failed_records_land_under_an_error_prefix_per_error_type(stack):
    assert s3_destination(stack)["ErrorOutputPrefix"] == (
        "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
        "day=!{timestamp:dd}/"
    )
    assert s3_destination(stack)["ErrorOutputPrefix"] == ERROR_OUTPUT_PREFIX


def test_buffers_128_mib_or_5_minutes_and_gzips_json(stack):
    destination = s3_destination(stack)
    assert destination["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}
    assert destination["CompressionFormat"] == "GZIP"
    assert "DataFormatConversionConfiguration" not in destination


def test_objects_take_the_lake_buckets_default_sse_s3_encryption(stack, ids):
    assert "EncryptionConfiguration" not in s3_destination(stack)
    bucket = stack.resources("AWS::S3::Bucket")[ids["lake"]]
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"


def test_delivery_errors_are_logged_with_retention(stack, ids):
    logging = s3_destination(stack)["CloudWatchLoggingOptions"]
    assert logging["Enabled"] is True
    assert logging["LogGroupName"] == {"Ref": ids["delivery_logs"]}
    log_group = stack.resources("AWS::Logs::LogGroup")[ids["delivery_logs"]]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert log_group["DeletionPolicy"] == "Retain"


def test_delivery_stream_is_created_after_its_destination_grants(stack):
    (resource,) = stack.resources("AWS::KinesisFirehose::DeliveryStream").values()
    depends_on = resource["DependsOn"]
    assert any(d.startswith("FirehoseDestinationRoleDefaultPolicy") for d in depends_on)
    assert any(d.startswith("FirehoseSourceRoleDefaultPolicy") for d in depends_on)


def test_no_unreferenced_firehose_cidr_mapping(stack):
    assert not any("Firehose" in name for name in stack.json.get("Mappings", {}))


# ---------------------------------------------------------------------------------------------
# Parquet


def test_parquet_converts_json_with_the_glue_tables_schema(parquet):
    destination = s3_destination(parquet)
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert conversion["OutputFormatConfiguration"] == {
        "Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}
    }
    assert conversion["InputFormatConfiguration"] == {
        "Deserializer": {
            "HiveJsonSerDe": {
                "TimestampFormats": [
                    "yyyy-MM-dd'T'HH:mm:ss.SSSZZ",
                    "yyyy-MM-dd'T'HH:mm:ssZZ",
                    "millis",
                ]
            }
        }
    }
    table_id = parquet.id_of("AWS::Glue::Table", "EventsTable")
    database_id = parquet.id_of("AWS::Glue::Database", "Catalog")
    schema = conversion["SchemaConfiguration"]
    assert schema["TableName"] == {"Ref": table_id}
    assert schema["DatabaseName"] == {"Ref": database_id}
    assert schema["RoleARN"] == getatt(ids_of(parquet)["destination_role"])
    # Parquet compresses its pages itself: no GZIP around the files.
    assert destination.get("CompressionFormat", "UNCOMPRESSED") == "UNCOMPRESSED"
    # The partitioning is the same as for JSON.
    assert destination["Prefix"] == DATA_OUTPUT_PREFIX
    assert destination["BufferingHints"]["SizeInMBs"] >= 64


def test_glue_table_holds_the_transform_output_schema_partitioned_by_hour(parquet):
    table_id = parquet.id_of("AWS::Glue::Table", "EventsTable")
    table = parquet.resources("AWS::Glue::Table")[table_id]["Properties"]["TableInput"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == {
        "event_id": "string",
        "event_type": "string",
        "event_time": "timestamp",
        "user_key": "string",
        "session_id": "string",
        "page": "string",
        "ingested_at": "timestamp",
    }
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day", "hour"]
    descriptor = table["StorageDescriptor"]
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    lake = ids_of(parquet)["lake"]
    assert descriptor["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": lake}, "/events/"]]}


def test_firehose_may_read_only_the_schema_table_from_the_catalog(parquet):
    ids = ids_of(parquet)
    table_id = parquet.id_of("AWS::Glue::Table", "EventsTable")
    glue = [
        s
        for s in statements_of(parquet, ids["destination_role"])
        if any(a.startswith("glue:") for a in as_list(s["Action"]))
    ]
    assert len(glue) == 1
    assert set(glue[0]["Action"]) == {
        "glue:GetTable",
        "glue:GetTableVersion",
        "glue:GetTableVersions",
    }
    assert any(table_id in str(r) for r in glue[0]["Resource"])
    assert "*" not in glue[0]["Resource"]


def test_json_lake_has_no_catalog_or_conversion_alarm(stack):
    assert not stack.resources("AWS::Glue::Database")
    assert not stack.resources("AWS::Glue::Table")
    metrics = {
        a["Properties"]["MetricName"] for a in stack.resources("AWS::CloudWatch::Alarm").values()
    }
    assert "FailedConversion.Records" not in metrics


# ---------------------------------------------------------------------------------------------
# Enhanced fan-out


def test_enhanced_fan_out_consumer_is_registered_on_the_stream(fan_out):
    (consumer,) = fan_out.resources("AWS::Kinesis::StreamConsumer").values()
    assert consumer["Properties"]["ConsumerName"] == "analytics"
    assert consumer["Properties"]["StreamARN"] == getatt(ids_of(fan_out)["stream"])
    assert "FanOutConsumerArn" in fan_out.json["Outputs"]


def test_no_fan_out_consumer_by_default(stack):
    assert not stack.resources("AWS::Kinesis::StreamConsumer")
    assert "FanOutConsumerArn" not in stack.json["Outputs"]


# ---------------------------------------------------------------------------------------------
# Alarms


ALARMS = [
    # metric, namespace, statistic, operator, threshold, periods, watched resource
    (
        "GetRecords.IteratorAgeMilliseconds",
        "AWS/Kinesis",
        "Maximum",
        "GreaterThanThreshold",
        600_000,
        3,
        "stream",
    ),
    (
        "ReadProvisionedThroughputExceeded",
        "AWS/Kinesis",
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
        1,
        "stream",
    ),
    (
        "WriteProvisionedThroughputExceeded",
        "AWS/Kinesis",
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
        1,
        "stream",
    ),
    # Twice (60 s transform buffer + 300 s S3 buffer).
    (
        "DeliveryToS3.DataFreshness",
        "AWS/Firehose",
        "Maximum",
        "GreaterThanThreshold",
        720,
        1,
        "delivery",
    ),
    ("DeliveryToS3.Success", "AWS/Firehose", "Minimum", "LessThanThreshold", 1, 1, "delivery"),
    ("ExecuteProcessing.Success", "AWS/Firehose", "Minimum", "LessThanThreshold", 1, 1, "delivery"),
    (
        "PartitionCountExceeded",
        "AWS/Firehose",
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
        1,
        "delivery",
    ),
    ("Errors", "AWS/Lambda", "Sum", "GreaterThanOrEqualToThreshold", 1, 1, "function"),
    ("Throttles", "AWS/Lambda", "Sum", "GreaterThanOrEqualToThreshold", 1, 1, "function"),
]


@pytest.mark.parametrize(
    ("metric", "namespace", "statistic", "operator", "threshold", "periods", "watched"), ALARMS
)
def test_failure_signal_alarms_to_the_topic(
    stack, ids, metric, namespace, statistic, operator, threshold, periods, watched
):
    (alarm,) = (
        a["Properties"]
        for a in stack.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric
    )
    assert alarm["Namespace"] == namespace
    assert alarm["Statistic"] == statistic
    assert alarm["ComparisonOperator"] == operator
    assert alarm["Threshold"] == threshold
    assert alarm["EvaluationPeriods"] == periods
    assert alarm["Period"] == 300
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": ids["topic"]}]
    assert alarm["OKActions"] == [{"Ref": ids["topic"]}]
    assert {"Ref": ids[watched]} in [d["Value"] for d in alarm["Dimensions"]]


def test_every_alarm_is_listed(stack):
    assert len(stack.resources("AWS::CloudWatch::Alarm")) == len(ALARMS)


def test_parquet_adds_an_alarm_on_failed_conversions(parquet):
    (alarm,) = (
        a["Properties"]
        for a in parquet.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "FailedConversion.Records"
    )
    assert alarm["Namespace"] == "AWS/Firehose"
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


# ---------------------------------------------------------------------------------------------
# IAM


@pytest.mark.parametrize("role", ["source_role", "destination_role"])
def test_firehose_roles_trust_only_firehose_acting_for_this_account(stack, ids, role):
    trust = stack.resources("AWS::IAM::Role")[ids[role]]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
        }
    ]


def test_firehose_source_role_reads_the_stream_and_decrypts_with_its_key_only(stack, ids):
    statements = statements_of(stack, ids["source_role"])
    stream_actions = actions_on(statements, getatt(ids["stream"]))
    assert {
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    } <= stream_actions
    assert all(a.startswith("kinesis:") and not a.startswith("kinesis:Put") for a in stream_actions)
    # A reader of a KMS-encrypted stream needs kms:Decrypt on its key:
    # https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
    assert actions_on(statements, getatt(ids["key"])) == {"kms:Decrypt"}
    resources = [r for s in statements for r in as_list(s["Resource"])]
    assert sorted(map(str, resources)) == sorted(
        map(str, [getatt(ids["stream"]), getatt(ids["key"])])
    )


def test_firehose_destination_role_writes_only_under_the_data_and_error_prefixes(stack, ids):
    statements = statements_of(stack, ids["destination_role"])
    lake = ids["lake"]
    object_resources = {
        str(r)
        for s in statements
        if any(a in ("s3:PutObject", "s3:GetObject") for a in as_list(s["Action"]))
        for r in as_list(s["Resource"])
    }
    assert object_resources == {
        str(objects_under(lake, "events/")),
        str(objects_under(lake, "errors/")),
    }
    for prefix in ("events/", "errors/"):
        assert actions_on(statements, objects_under(lake, prefix)) == {
            "s3:PutObject",
            "s3:GetObject",
            "s3:AbortMultipartUpload",
        }
    assert actions_on(statements, getatt(lake)) == {
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
    }
    every_action = {a for s in statements for a in as_list(s["Action"])}
    assert not any(a.startswith("s3:Delete") or a.endswith("*") for a in every_action)
    assert not any(a.startswith("kinesis:") for a in every_action)


def test_firehose_destination_role_invokes_only_the_transform(stack, ids):
    statements = statements_of(stack, ids["destination_role"])
    invoking = [s for s in statements if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert len(invoking) == 1
    assert invoking[0]["Resource"] == getatt(ids["function"])  # not its versions (`:*`)
    assert actions_on(statements, {"Fn::GetAtt": [ids["delivery_logs"], "Arn"]}) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_producer_role_can_only_put_records_on_the_stream(stack, ids):
    role = stack.resources("AWS::IAM::Role")[ids["producer_role"]]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"  # this account's IAM decides
    statements = statements_of(stack, ids["producer_role"])
    assert actions_on(statements, getatt(ids["stream"])) == {
        "kinesis:PutRecord",
        "kinesis:PutRecords",
        "kinesis:ListShards",
    }
    key_actions = actions_on(statements, getatt(ids["key"]))
    # Writing to a KMS-encrypted stream needs kms:GenerateDataKey on its key, and only that
    # (AWS's example producer policy, same page).
    assert key_actions == {"kms:GenerateDataKey"}
    resources = [r for s in statements for r in as_list(s["Resource"])]
    assert sorted(map(str, resources)) == sorted(
        map(str, [getatt(ids["stream"]), getatt(ids["key"])])
    )


# ---------------------------------------------------------------------------------------------
# Outputs


def test_outputs_name_what_a_deployer_uses(stack, ids):
    outputs = {name: output["Value"] for name, output in stack.json["Outputs"].items()}
    assert outputs["StreamName"] == {"Ref": ids["stream"]}
    assert outputs["StreamArn"] == getatt(ids["stream"])
    assert outputs["DeliveryStreamName"] == {"Ref": ids["delivery"]}
    assert outputs["LakeBucketName"] == {"Ref": ids["lake"]}
    assert outputs["ProducerRoleArn"] == getatt(ids["producer_role"])
    assert outputs["AlarmTopicArn"] == {"Ref": ids["topic"]}


def test_parquet_outputs_the_glue_database_and_table(parquet):
    outputs = parquet.json["Outputs"]
    assert outputs["GlueDatabaseName"]["Value"] == {
        "Ref": parquet.id_of("AWS::Glue::Database", "Catalog")
    }
    assert outputs["GlueTableName"]["Value"] == {
        "Ref": parquet.id_of("AWS::Glue::Table", "EventsTable")
    }


def test_context_switches_are_read_into_props():
    app = cdk.App(context={"parquet": "true", "enhanced_fan_out_consumer": "replay"})
    props = StreamToLakeProps.from_context(app)
    assert props.parquet is True
    assert props.enhanced_fan_out_consumer == "replay"
    assert StreamToLakeProps.from_context(cdk.App()) == StreamToLakeProps()
