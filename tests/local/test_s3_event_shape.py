"""The S3 source builds the event S3 documents, and delivers it only where the filter says."""

from aws_lambda_powertools.utilities.data_classes import S3Event

from refarch.local import deploy, emulator
from refarch.local.sources.s3 import ObjectCreated, matches, s3_event

PATTERN = "s3-event-processing"

#: The example record of the S3 docs ("Event message structure"), for its shape.
DOCUMENTED = {
    "eventVersion": "2.1",
    "eventSource": "aws:s3",
    "awsRegion": "us-west-2",
    "eventTime": "1970-01-01T00:00:00.000Z",
    "eventName": "ObjectCreated:Put",
    "userIdentity": {"principalId": "AIDAJDPLRKLG7UEXAMPLE"},
    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
    "responseElements": {
        "x-amz-request-id": "C3D13FE58DE4C810",
        "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
    },
    "s3": {
        "s3SchemaVersion": "1.0",
        "configurationId": "testConfigRule",
        "bucket": {
            "name": "mybucket",
            "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
            "arn": "arn:aws:s3:::mybucket",
        },
        "object": {
            "key": "HappyFace.jpg",
            "size": 1024,
            "eTag": "d41d8cd98f00b204e9800998ecf8427e",
            "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
            "sequencer": "0055AED6DCD90281E5",
        },
    },
}


def _shape(value):
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return type(value).__name__


def _created(key="incoming/a b.csv", version_id="v1"):
    return ObjectCreated(
        bucket="in",
        key=key,
        size=3,
        etag="abc",
        version_id=version_id,
        sequencer="0000000000000000A1",
        event_name="ObjectCreated:Put",
        event_time="2024-01-01T00:00:00.000Z",
        request_id="R",
        host_id="H",
        principal_id="AWS:AIDAEXAMPLE",
    )


def test_event_has_the_documented_shape():
    event = s3_event(
        _created(), region="us-east-1", partition="aws", owner_id="O", configuration_id="C"
    )
    assert _shape(event["Records"][0]) == _shape(DOCUMENTED)


def test_key_is_url_encoded_like_s3_does():
    event = s3_event(
        _created("incoming/Bestellungen März (1)+x.csv"),
        region="us-east-1",
        partition="aws",
        owner_id="O",
        configuration_id="C",
    )
    assert event["Records"][0]["s3"]["object"]["key"] == (
        "incoming/Bestellungen+M%C3%A4rz+%281%29%2Bx.csv"
    )
    # What the handler's library reads back: the decoded key.
    assert S3Event(event).object_key == "incoming/Bestellungen März (1)+x.csv"


def test_unversioned_object_has_no_version_id():
    event = s3_event(
        _created(version_id=None), region="r", partition="aws", owner_id="O", configuration_id="C"
    )
    assert "versionId" not in event["Records"][0]["s3"]["object"]


def test_filter_matching():
    config = {
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {
            "Key": {
                "FilterRules": [
                    {"Name": "Suffix", "Value": ".csv"},
                    {"Name": "prefix", "Value": "incoming/"},
                ]
            }
        },
    }
    assert matches(config, "ObjectCreated:Put", "incoming/a.csv")
    assert matches(config, "ObjectCreated:CompleteMultipartUpload", "incoming/x/y.csv")
    assert not matches(config, "ObjectCreated:Put", "other/a.csv")
    assert not matches(config, "ObjectCreated:Put", "incoming/a.csv.gz")
    assert not matches(config, "ObjectRemoved:Delete", "incoming/a.csv")
    exact = {"Events": ["s3:ObjectCreated:Copy"]}
    assert matches(exact, "ObjectCreated:Copy", "anything")
    assert not matches(exact, "ObjectCreated:Put", "anything")


def test_events_of_a_real_upload_carry_version_etag_size_and_growing_sequencers(
    s3_event_processing,
):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=s3_event_processing)
        source = stack.s3_source("InputBucket")
        bodies = [b"order_id\n", b"order_id,customer_id\n", b"x\n"]
        uploads = [source.put_object("incoming/same key.csv", body) for body in bodies]
        s3 = aws.client("s3")
        versions = {
            v["VersionId"]: v for v in s3.list_object_versions(Bucket=source.bucket)["Versions"]
        }

    records = [upload.events[0][1]["Records"][0] for upload in uploads]
    sequencers = [r["s3"]["object"]["sequencer"] for r in records]
    assert all(int(s, 16) for s in sequencers)
    assert sequencers == sorted(sequencers, key=lambda s: int(s, 16))
    assert len(set(sequencers)) == 3
    for record, body in zip(records, bodies, strict=True):
        s3_object = record["s3"]["object"]
        assert s3_object["key"] == "incoming/same+key.csv"
        assert s3_object["size"] == len(body)
        stored = versions[s3_object["versionId"]]
        assert stored["ETag"].strip('"') == s3_object["eTag"]
        assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{source.bucket}"
        assert record["awsRegion"] == "us-east-1"
        assert record["userIdentity"]["principalId"].startswith("AWS:")
        assert record["s3"]["configurationId"]
