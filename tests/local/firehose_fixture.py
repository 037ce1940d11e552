"""A small hand-written stack for the Firehose engine: stream → delivery stream (transform) → S3.

It exercises what the stream-to-lake pattern does not: a transform that fails or breaks the
contract, Parquet conversion with a Glue table, plain prefixes. The transform is inline Python
(``Code.ZipFile``); its ``MODE`` variable picks a behaviour:

- ``ok``: JSON with ``event_id``/``event_time`` → ``Ok`` with ``year/month/day/hour`` partition
  keys (duplicates of an ``event_id`` in the batch ``Dropped``); anything else ``ProcessingFailed``;
- ``raise``: the handler raises (``Lambda.FunctionError``);
- ``forget``: the response leaves the last record out (``Lambda.MissingRecordId``);
- ``twice``: the response repeats the first record (``Lambda.DuplicatedRecordId``).
"""

from inline_assembly import inline_assembly

ACCOUNT_ROOT = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}

TRANSFORM = """
import base64, json, os

def handler(event, context):
    mode = os.environ["MODE"]
    if mode == "raise":
        raise RuntimeError("the transform failed")
    out, seen = [], set()
    for record in event["records"]:
        try:
            doc = json.loads(base64.b64decode(record["data"]))
            day, hour = doc["event_time"][:10], doc["event_time"][11:13]
        except (ValueError, KeyError, TypeError):
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": ""})
            continue
        if doc["event_id"] in seen:
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": ""})
            continue
        seen.add(doc["event_id"])
        year, month, dom = day.split("-")
        line = json.dumps({k: v for k, v in doc.items() if k != "email"}) + "\\n"
        out.append({
            "recordId": record["recordId"],
            "result": "Ok",
            "data": base64.b64encode(line.encode()).decode(),
            "metadata": {"partitionKeys": {"year": year, "month": month, "day": dom, "hour": hour}},
        })
    if mode == "forget":
        out = out[:-1]
    if mode == "twice":
        out = out + out[:1]
    return {"records": out}
"""

PARTITIONED = (
    "events/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/"
    "day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/"
)
ERRORS = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"


def _role(service, statements, name):
    principal = {"Service": service} if service else {"AWS": ACCOUNT_ROOT}
    return {
        f"{name}Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}
                    ],
                }
            },
        },
        f"{name}Policy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": f"{name}Policy",
                "Roles": [{"Ref": f"{name}Role"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            },
        },
    }


GLUE_ARN = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"


def _allow(actions, resource):
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def template(
    *,
    mode="ok",
    parquet=False,
    prefix=PARTITIONED,
    error_prefix=ERRORS,
    retries=2,
    processor_buffer_mb=1,
    compression="GZIP",
):
    """The fixture stack's template (see the module docstring)."""
    stream_arn = {"Fn::GetAtt": ["Stream", "Arn"]}
    key_arn = {"Fn::GetAtt": ["StreamKey", "Arn"]}
    bucket_arn = {"Fn::GetAtt": ["Lake", "Arn"]}
    function_arn = {"Fn::GetAtt": ["Transform", "Arn"]}
    firehose_logs = {"Fn::GetAtt": ["FirehoseLogs", "Arn"]}
    destination = {
        "BucketARN": bucket_arn,
        "RoleARN": {"Fn::GetAtt": ["DeliveryRole", "Arn"]},
        "Prefix": prefix,
        "ErrorOutputPrefix": error_prefix,
        "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
        "CompressionFormat": "UNCOMPRESSED" if parquet else compression,
        "CloudWatchLoggingOptions": {
            "Enabled": True,
            "LogGroupName": {"Ref": "FirehoseLogs"},
            "LogStreamName": {"Ref": "FirehoseLogStream"},
        },
        "DynamicPartitioningConfiguration": {"Enabled": "!{partitionKey" in (prefix or "")},
        "ProcessingConfiguration": {
            "Enabled": True,
            "Processors": [
                {
                    "Type": "Lambda",
                    "Parameters": [
                        {"ParameterName": "LambdaArn", "ParameterValue": function_arn},
                        {"ParameterName": "NumberOfRetries", "ParameterValue": str(retries)},
                        {
                            "ParameterName": "BufferSizeInMBs",
                            "ParameterValue": str(processor_buffer_mb),
                        },
                        {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "60"},
                    ],
                }
            ],
        },
    }
    if prefix is None:
        del destination["Prefix"]
    if error_prefix is None:
        del destination["ErrorOutputPrefix"]
    delivery_statements = [
        _allow(
            ["s3:PutObject", "s3:GetBucketLocation"], [bucket_arn, {"Fn::Sub": "${Lake.Arn}/*"}]
        ),
        _allow("lambda:InvokeFunction", function_arn),
        _allow(["logs:PutLogEvents"], firehose_logs),
    ]
    resources = {
        "StreamKey": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": ACCOUNT_ROOT},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            },
        },
        "Stream": {
            "Type": "AWS::Kinesis::Stream",
            "Properties": {
                "ShardCount": 2,
                "RetentionPeriodHours": 48,
                "StreamModeDetails": {"StreamMode": "PROVISIONED"},
                "StreamEncryption": {"EncryptionType": "KMS", "KeyId": key_arn},
            },
        },
        "Consumer": {
            "Type": "AWS::Kinesis::StreamConsumer",
            "Properties": {"ConsumerName": "fan-out", "StreamARN": stream_arn},
        },
        "Lake": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                }
            },
        },
        "TransformLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        **_role(
            "lambda.amazonaws.com",
            [
                _allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    {"Fn::GetAtt": ["TransformLogs", "Arn"]},
                )
            ],
            "Transform",
        ),
        "Transform": {
            "Type": "AWS::Lambda::Function",
            "DependsOn": ["TransformPolicy"],
            "Properties": {
                "Code": {"ZipFile": TRANSFORM},
                "Handler": "index.handler",
                "Runtime": "python3.12",
                "Timeout": 60,
                "Role": {"Fn::GetAtt": ["TransformRole", "Arn"]},
                "Environment": {"Variables": {"MODE": mode}},
                "LoggingConfig": {"LogGroup": {"Ref": "TransformLogs"}},
            },
        },
        "FirehoseLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "FirehoseLogStream": {
            "Type": "AWS::Logs::LogStream",
            "Properties": {"LogGroupName": {"Ref": "FirehoseLogs"}},
        },
        **_role(
            "firehose.amazonaws.com",
            [
                _allow(
                    [
                        "kinesis:DescribeStreamSummary",
                        "kinesis:ListShards",
                        "kinesis:GetShardIterator",
                        "kinesis:GetRecords",
                    ],
                    stream_arn,
                ),
                _allow("kms:Decrypt", key_arn),
            ],
            "Source",
        ),
        **_role("firehose.amazonaws.com", delivery_statements, "Delivery"),
        **_role(
            None,
            [
                _allow(
                    ["kinesis:ListShards", "kinesis:PutRecord", "kinesis:PutRecords"], stream_arn
                ),
                _allow(["kms:Encrypt", "kms:GenerateDataKey*"], key_arn),
            ],
            "Producer",
        ),
        "DeliveryStream": {
            "Type": "AWS::KinesisFirehose::DeliveryStream",
            "DependsOn": ["SourcePolicy", "DeliveryPolicy"],
            "Properties": {
                "DeliveryStreamType": "KinesisStreamAsSource",
                "KinesisStreamSourceConfiguration": {
                    "KinesisStreamARN": stream_arn,
                    "RoleARN": {"Fn::GetAtt": ["SourceRole", "Arn"]},
                },
                "ExtendedS3DestinationConfiguration": destination,
            },
        },
    }
    if parquet:
        resources["Database"] = {
            "Type": "AWS::Glue::Database",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseInput": {"Name": "clicks"},
            },
        }
        resources["Table"] = {
            "Type": "AWS::Glue::Table",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseName": {"Ref": "Database"},
                "TableInput": {
                    "Name": "events",
                    "TableType": "EXTERNAL_TABLE",
                    "PartitionKeys": [{"Name": "year", "Type": "string"}],
                    "StorageDescriptor": {
                        "Columns": [
                            {"Name": "event_id", "Type": "string"},
                            {"Name": "event_time", "Type": "timestamp"},
                            {"Name": "clicks", "Type": "int"},
                        ],
                        "Location": {"Fn::Sub": "s3://${Lake}/events/"},
                        "Compressed": False,
                    },
                },
            },
        }
        resources["DeliveryPolicy"]["Properties"]["PolicyDocument"]["Statement"].append(
            _allow(
                ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
                [
                    {"Fn::Sub": f"{GLUE_ARN}:catalog"},
                    {"Fn::Sub": f"{GLUE_ARN}:database/${{Database}}"},
                    {"Fn::Sub": f"{GLUE_ARN}:table/${{Database}}/${{Table}}"},
                ],
            )
        )
        destination["DataFormatConversionConfiguration"] = {
            "Enabled": True,
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {
                "Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}
            },
            "SchemaConfiguration": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseName": {"Ref": "Database"},
                "TableName": {"Ref": "Table"},
                "Region": {"Ref": "AWS::Region"},
                "RoleARN": {"Fn::GetAtt": ["DeliveryRole", "Arn"]},
                "VersionId": "LATEST",
            },
        }
    return {
        "Resources": resources,
        "Outputs": {
            "ProducerRoleArn": {"Value": {"Fn::GetAtt": ["ProducerRole", "Arn"]}},
            "LakeBucketName": {"Value": {"Ref": "Lake"}},
        },
    }


def assembly(**options):
    """A cloud assembly of the fixture stack (no assets: the transform is inline)."""
    return inline_assembly("firehose-fixture", "FirehoseFixture", template(**options))
