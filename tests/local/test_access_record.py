"""The emulator records each request IAM allows a role, with the statements that allowed it."""

import json

import pytest
from botocore.exceptions import ClientError

from refarch.iam_unused import StatementRef
from refarch.local import emulator
from refarch.local.access_record import role_name
from refarch.local.identities import assume_role_as_service

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def test_role_name_of_an_assumed_role_session_only():
    assert role_name("arn:aws:sts::1:assumed-role/Worker-ABC/session-1") == "Worker-ABC"
    assert role_name("arn:aws:iam::1:user/deployer") is None


def test_each_allowed_request_names_the_statements_that_allowed_it():
    with emulator() as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="data")
        s3.put_object(Bucket="data", Key="in/a.csv", Body=b"x")
        iam = aws.client("iam")
        arn = iam.create_role(RoleName="Reader", AssumeRolePolicyDocument=json.dumps(TRUST))[
            "Role"
        ]["Arn"]
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Read",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:DeleteObject"],
                    "Resource": "arn:aws:s3:::data/in/*",
                },
                {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::data/*"},
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            ],
        }
        iam.put_role_policy(
            RoleName="Reader", PolicyName="ReaderPolicy", PolicyDocument=json.dumps(document)
        )
        session = assume_role_as_service(
            aws.deployer,
            arn,
            service="lambda.amazonaws.com",
            session_name="test",
            account_id=aws.account_id,
        )
        reader = session.client("s3")
        reader.get_object(Bucket="data", Key="in/a.csv")
        reader.get_object(Bucket="data", Key="in/a.csv")
        with pytest.raises(ClientError):
            reader.put_object(Bucket="data", Key="in/b.csv", Body=b"y")  # denied: not recorded

        (access,) = aws.access.of_role("Reader")
        assert (access.action, access.resource) == ("s3:GetObject", "arn:aws:s3:::data/in/a.csv")
        # Both statements that allow it are named (the first by its Sid), and the count is kept.
        assert access.statements == (
            StatementRef("ReaderPolicy", 0, "Read"),
            StatementRef("ReaderPolicy", 1),
        )
        assert aws.access.accesses[access] == 2
        # The deployer (an IAM user) is not recorded.
        assert {a.role for a in aws.access.accesses} == {"Reader"}
