"""A read of a missing key: 404 only to a caller allowed s3:ListBucket, 403 otherwise.

AWS, API reference, GetObject and HeadObject, "Permissions"
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html): "If you have the
s3:ListBucket permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found
error. If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403
Access Denied error." moto answers 404 to everyone; the emulator answers as AWS does, with the
caller's identity policies and the bucket policy, and records the denial.
"""

import json

from botocore.exceptions import ClientError
from scoped_roles import role_session

from refarch.local import emulator

ACCOUNT = "123456789012"
REGION = "us-east-1"
BUCKET = "reads"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET_ARN}/*"}
LIST = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET_ARN}


def _s3_role(aws, name, statements):
    """An S3 client of a new role with exactly ``statements``; and the role ARN."""
    session, arn = role_session(aws, name, statements)
    return session.client("s3"), arn


def _bucket(aws, policy_statements=()):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="present", Body=b"x")
    if policy_statements:
        s3.put_bucket_policy(
            Bucket=BUCKET,
            Policy=json.dumps({"Version": "2012-10-17", "Statement": list(policy_statements)}),
        )


def _status(call, **kwargs):
    try:
        call(Bucket=BUCKET, **kwargs)
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"]
    return 200, None


def _denials(aws):
    return [(d.action, d.resource, d.principal.split("/")[1]) for d in aws.denials]


def test_a_reader_without_list_bucket_gets_403_for_a_missing_key_and_the_denial_is_recorded():
    with emulator() as aws:
        _bucket(aws)
        reader, _ = _s3_role(aws, "reader", [READ])
        assert _status(reader.get_object, Key="present") == (200, None)
        assert _status(reader.get_object, Key="missing") == (403, "AccessDenied")
        assert _status(reader.head_object, Key="missing")[0] == 403
        denials = _denials(aws)
    assert denials == [("s3:ListBucket", BUCKET_ARN, "reader")] * 2


def test_a_reader_with_list_bucket_gets_404_and_nothing_is_denied():
    with emulator() as aws:
        _bucket(aws)
        lister, _ = _s3_role(aws, "lister", [READ, LIST])
        assert _status(lister.get_object, Key="missing") == (404, "NoSuchKey")
        assert _status(lister.head_object, Key="missing")[0] == 404
        assert _denials(aws) == []
        used = {(a.role, a.action, a.resource) for a in aws.access.accesses}
    assert ("lister", "s3:ListBucket", BUCKET_ARN) in used


def test_list_bucket_on_the_objects_arn_is_not_list_bucket_on_the_bucket():
    with emulator() as aws:
        _bucket(aws)
        wrong = {**LIST, "Resource": f"{BUCKET_ARN}/*"}
        reader, _ = _s3_role(aws, "wrong-arn", [READ, wrong])
        assert _status(reader.get_object, Key="missing") == (403, "AccessDenied")


def test_the_bucket_policy_counts_its_allow_and_its_deny_for_the_principals_it_names():
    with emulator() as aws:
        granted, granted_arn = _s3_role(aws, "granted", [READ])
        other, _ = _s3_role(aws, "other", [READ])
        denied, denied_arn = _s3_role(aws, "denied", [READ, LIST])
        _bucket(
            aws,
            [
                {**LIST, "Principal": {"AWS": granted_arn}},
                {**LIST, "Effect": "Deny", "Principal": {"AWS": denied_arn}},
            ],
        )
        assert _status(granted.get_object, Key="missing") == (404, "NoSuchKey")
        assert _status(other.get_object, Key="missing") == (403, "AccessDenied")
        assert _status(denied.head_object, Key="missing")[0] == 403
        denials = _denials(aws)
    assert denials == [
        ("s3:ListBucket", BUCKET_ARN, "other"),
        ("s3:ListBucket", BUCKET_ARN, "denied"),
    ]


def test_a_missing_version_is_answered_by_the_same_rule():
    # The rule is stated for every GetObject request, next to the one on requests naming a
    # version: a version that does not exist is 404 NoSuchVersion only to a caller who may list.
    with emulator() as aws:
        _bucket(aws)
        s3 = aws.client("s3")
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        gone = s3.put_object(Bucket=BUCKET, Key="withdrawn", Body=b"x")["VersionId"]
        s3.delete_object(Bucket=BUCKET, Key="withdrawn", VersionId=gone)
        versioned = {**READ, "Action": ["s3:GetObject", "s3:GetObjectVersion"]}
        reader, _ = _s3_role(aws, "reader", [versioned])
        lister, _ = _s3_role(aws, "lister", [versioned, LIST])
        assert _status(lister.get_object, Key="withdrawn", VersionId=gone) == (
            404,
            "NoSuchVersion",
        )
        assert _status(reader.get_object, Key="withdrawn", VersionId=gone) == (403, "AccessDenied")
        assert _status(reader.head_object, Key="withdrawn", VersionId=gone)[0] == 403
        denials = _denials(aws)
    assert denials == [("s3:ListBucket", BUCKET_ARN, "reader")] * 2


def test_a_key_whose_current_version_is_a_delete_marker_counts_as_missing():
    # S3 treats an object whose current version is a delete marker as deleted.
    with emulator() as aws:
        _bucket(aws)
        s3 = aws.client("s3")
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket=BUCKET, Key="deleted", Body=b"x")
        s3.delete_object(Bucket=BUCKET, Key="deleted")
        reader, _ = _s3_role(aws, "reader", [READ])
        lister, _ = _s3_role(aws, "lister", [READ, LIST])
        assert _status(lister.get_object, Key="deleted") == (404, "NoSuchKey")
        assert _status(lister.head_object, Key="deleted")[0] == 404
        assert _status(reader.get_object, Key="deleted") == (403, "AccessDenied")
        assert _status(reader.head_object, Key="deleted")[0] == 403
        denials = _denials(aws)
    assert denials == [("s3:ListBucket", BUCKET_ARN, "reader")] * 2
