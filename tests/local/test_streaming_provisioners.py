"""Kinesis, Firehose, Glue and log-stream resources land in moto as their templates say."""

import json

import firehose_fixture
import pytest
from botocore.exceptions import ClientError

from refarch.local import deploy, emulator
from refarch.local.identities import session_from

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fixture_stack():
    """The hand-written stack with Parquet (Glue) deployed; moto's view of its resources."""
    with emulator() as aws:
        stack = deploy("firehose-fixture", assembly=firehose_fixture.assembly(parquet=True))
        kinesis, glue = aws.client("kinesis"), aws.client("glue")
        stream_name = stack.physical_id("Stream")
        return {
            "stack": stack,
            "summary": kinesis.describe_stream_summary(StreamName=stream_name)[
                "StreamDescriptionSummary"
            ],
            "consumers": kinesis.list_stream_consumers(
                StreamARN=stack.resource("Stream").attributes["Arn"]
            )["Consumers"],
            "table": glue.get_table(DatabaseName="clicks", Name="events")["Table"],
            "delivery": aws.client("firehose").describe_delivery_stream(
                DeliveryStreamName=stack.physical_id("DeliveryStream")
            )["DeliveryStreamDescription"],
            "log_streams": aws.client("logs").describe_log_streams(
                logGroupName=stack.physical_id("FirehoseLogs")
            )["logStreams"],
        }


def test_a_provisioned_stream_has_its_shards_retention_and_key(fixture_stack):
    summary = fixture_stack["summary"]
    key_arn = fixture_stack["stack"].resource("StreamKey").attributes["Arn"]
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert summary["OpenShardCount"] == 2
    assert summary["RetentionPeriodHours"] == 48
    assert (summary["EncryptionType"], summary["KeyId"]) == ("KMS", key_arn)


def test_the_enhanced_fan_out_consumer_is_registered(fixture_stack):
    (consumer,) = fixture_stack["consumers"]
    assert consumer["ConsumerName"] == "fan-out"
    resource = fixture_stack["stack"].resource("Consumer")
    assert resource.physical_id == consumer["ConsumerARN"]
    assert resource.attributes["ConsumerARN"] == consumer["ConsumerARN"]


def test_the_glue_table_has_its_columns_and_partition_keys(fixture_stack):
    table = fixture_stack["table"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert columns == [("event_id", "string"), ("event_time", "timestamp"), ("clicks", "int")]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year"]
    assert table["StorageDescriptor"]["Compressed"] is False  # "false" in the template


def test_the_delivery_stream_exists_in_moto_with_its_configuration(fixture_stack):
    delivery = fixture_stack["delivery"]
    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    (destination,) = delivery["Destinations"]
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 64}
    processor = extended["ProcessingConfiguration"]["Processors"][0]
    assert processor["Type"] == "Lambda"
    assert {"ParameterName": "NumberOfRetries", "ParameterValue": "2"} in processor["Parameters"]


def test_the_log_stream_is_created_in_its_group(fixture_stack):
    names = [s["logStreamName"] for s in fixture_stack["log_streams"]]
    assert names == [fixture_stack["stack"].physical_id("FirehoseLogStream")]


def test_the_stream_pattern_s_stream_is_on_demand_and_encrypted(stream_to_lake):
    with emulator() as aws:
        stack = deploy("stream-to-lake", assembly=stream_to_lake)
        summary = aws.client("kinesis").describe_stream_summary(
            StreamName=stack.output("StreamName")
        )["StreamDescriptionSummary"]
        tags = aws.client("kinesis").list_tags_for_stream(StreamName=stack.output("StreamName"))
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["EncryptionType"] == "KMS"
    assert {"Key": "refarch:pattern", "Value": "stream-to-lake"} in tags["Tags"]


def _role_session(aws, stack, role):
    """A session of one of the fixture's roles, assumed by the deployer (trust: the account)."""
    credentials = aws.client("sts").assume_role(
        RoleArn=stack.resource(role).attributes["Arn"], RoleSessionName="test"
    )["Credentials"]
    return session_from(credentials, aws.region)


def test_writing_to_a_kms_stream_needs_generate_data_key_on_its_key():
    def without_key_grant(template):
        policy = template["Resources"]["ProducerPolicy"]["Properties"]["PolicyDocument"]
        policy["Statement"] = policy["Statement"][:1]

    with emulator() as aws:
        stack = deploy(
            "firehose-fixture",
            assembly=firehose_fixture.assembly(),
            template_hook=without_key_grant,
        )
        kinesis = _role_session(aws, stack, "ProducerRole").client("kinesis")
        with pytest.raises(ClientError) as denied:
            kinesis.put_record(StreamName=stack.physical_id("Stream"), PartitionKey="k", Data=b"x")
        key_arn = stack.resource("StreamKey").attributes["Arn"]
    assert denied.value.response["Error"]["Code"] == "KMSAccessDeniedException"
    assert [(d.action, d.resource) for d in aws.denials] == [("kms:GenerateDataKey", key_arn)]


def test_a_key_scoped_grant_covers_decrypt_without_a_key_id():
    def producer_may_decrypt(template):
        policy = template["Resources"]["ProducerPolicy"]["Properties"]["PolicyDocument"]
        policy["Statement"][1]["Action"] = ["kms:Encrypt", "kms:Decrypt"]

    with emulator() as aws:
        stack = deploy(
            "firehose-fixture",
            assembly=firehose_fixture.assembly(),
            template_hook=producer_may_decrypt,
        )
        kms = _role_session(aws, stack, "ProducerRole").client("kms")
        blob = kms.encrypt(KeyId=stack.physical_id("StreamKey"), Plaintext=b"secret")
        plain = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"])["Plaintext"]
    assert plain == b"secret"
    assert aws.denials == []


def test_invoke_through_the_lambda_api_runs_the_function_in_the_runner():
    with emulator() as aws:
        stack = deploy("firehose-fixture", assembly=firehose_fixture.assembly(mode="raise"))
        response = aws.client("lambda").invoke(
            FunctionName=stack.resource("Transform").attributes["Arn"],
            Payload=json.dumps({"records": []}).encode(),
        )
        payload = json.loads(response["Payload"].read())
        (invocation,) = aws.lambda_service.invocations
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "RuntimeError"
    assert payload["errorMessage"] == "the transform failed"
    assert invocation.error is not None


def test_invoke_is_authorized_as_invoke_function_on_the_function():
    with emulator() as aws:
        stack = deploy("firehose-fixture", assembly=firehose_fixture.assembly())
        producer = _role_session(aws, stack, "ProducerRole").client("lambda")
        function_arn = stack.resource("Transform").attributes["Arn"]
        with pytest.raises(ClientError) as denied:
            producer.invoke(FunctionName=function_arn, Payload=b"{}")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [(d.action, d.resource) for d in aws.denials] == [
        ("lambda:InvokeFunction", function_arn)
    ]
