"""Shortcuts the runner takes for speed change nothing a caller can observe through AWS's APIs."""

import fnmatch

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from refarch.local.identities import ClientCachingSession
from refarch.local.moto_kms_keys import symmetric_keys_share_one_key_pair
from refarch.local.policy_conditions import glob_match


@pytest.fixture
def kms():
    with mock_aws(), symmetric_keys_share_one_key_pair():
        yield boto3.client("kms", region_name="us-east-1")


def test_symmetric_keys_still_encrypt_with_their_own_material(kms):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=first, Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"].endswith(first)
    assert (
        kms.encrypt(KeyId=second, Plaintext=b"secret")["CiphertextBlob"]
        != kms.encrypt(KeyId=first, Plaintext=b"secret")["CiphertextBlob"]
    )


def test_asymmetric_keys_keep_a_key_pair_each(kms):
    keys = [
        kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        for _ in range(2)
    ]
    public = [kms.get_public_key(KeyId=key)["PublicKey"] for key in keys]
    assert public[0] != public[1]
    signature = kms.sign(KeyId=keys[0], Message=b"m", SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")[
        "Signature"
    ]
    verify = {
        key: kms.verify(
            KeyId=key,
            Message=b"m",
            Signature=signature,
            SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256",
        )["SignatureValid"]
        for key in keys
    }
    assert verify == {keys[0]: True, keys[1]: False}


def test_a_role_session_hands_out_one_default_client_per_service():
    session = ClientCachingSession(
        aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
    )
    assert session.client("s3") is session.client("s3")
    assert session.client("s3") is not session.client("sqs")
    # A client with options is the caller's own.
    assert session.client("s3", region_name="eu-west-1") is not session.client("s3")


@given(st.text(alphabet="ab*?\n.", max_size=6), st.text(alphabet="ab\n.", max_size=6))
def test_cached_glob_patterns_match_as_wildcards(pattern, value):
    # IAM's "*" is any run of characters (newlines too, as an S3 key may hold one), "?" one.
    assert glob_match(pattern, value) == fnmatch.fnmatchcase(value, pattern)
