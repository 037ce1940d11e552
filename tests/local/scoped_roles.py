"""Roles of the local account with exactly the statements a test gives, and sessions of them."""

import json

from refarch.local.identities import session_from

ACCOUNT = "123456789012"
REGION = "us-east-1"


def role_session(aws, name, statements):
    """A session of a new role of this account with exactly ``statements``; and the role ARN.

    The role trusts the account (``arn:aws:iam::<account>:root``), so the deployer assumes it.
    """
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="scoped",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    credentials = aws.client("sts").assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"]
    return session_from(credentials, REGION), arn
