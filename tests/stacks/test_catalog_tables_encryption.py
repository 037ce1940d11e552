"""Across the catalog: no Glue table over server-side encrypted data claims client-side encryption.

``has_encrypted_data`` tells Athena a table's objects are client-side (CSE-KMS) encrypted; S3
decrypts SSE-S3 and SSE-KMS objects itself and such tables need no property
(https://docs.aws.amazon.com/athena/latest/ug/creating-tables-based-on-encrypted-datasets-in-s3.html).
Every pattern is checked with its defaults and with each context switch that adds or changes a
Glue table, so a new pattern or variant is covered by adding it here.
"""

import pytest
from assemblies import synthesized

from refarch.catalog import PATTERNS

#: Context switches that change a pattern's Glue tables (the defaults are always checked).
VARIANTS: dict[str, tuple[dict[str, str], ...]] = {
    "stream-to-lake": ({"parquet": "true"},),
    "glue-partitioned-etl": ({"flex": "true"},),
}

CASES = [
    pytest.param(pattern.id, context, id="-".join([pattern.id, *context.values()]))
    for pattern in PATTERNS
    for context in ({}, *VARIANTS.get(pattern.id, ()))
]

#: What S3 applies server-side (``SSEAlgorithm`` of a bucket's default encryption).
SERVER_SIDE = {"AES256", "aws:kms", "aws:kms:dsse"}


def _bucket_of(location, resources):
    """The logical id of the template bucket a table's ``Location`` names, if any."""
    text = repr(location)
    return next(
        (i for i, r in resources.items() if r["Type"] == "AWS::S3::Bucket" and f"'{i}'" in text),
        None,
    )


def _server_side_algorithm(bucket):
    rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (rule,) = rules
    return rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]


def tables_over_server_side_encrypted_buckets(pattern_id, context):
    resources = synthesized(pattern_id, **context).template["Resources"]
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Glue::Table":
            continue
        table_input = resource["Properties"]["TableInput"]
        bucket = _bucket_of(table_input["StorageDescriptor"]["Location"], resources)
        assert bucket is not None, f"{logical_id}: its location names no bucket of the stack"
        assert _server_side_algorithm(resources[bucket]) in SERVER_SIDE
        yield logical_id, table_input.get("Parameters", {})


@pytest.mark.parametrize(("pattern_id", "context"), CASES)
def test_no_table_over_sse_data_claims_client_side_encryption(pattern_id, context):
    claims = {
        logical_id: parameters["has_encrypted_data"]
        for logical_id, parameters in tables_over_server_side_encrypted_buckets(pattern_id, context)
        if "has_encrypted_data" in parameters
    }
    assert claims == {}


def test_the_variants_checked_do_define_glue_tables():
    # Guards the test above from passing vacuously: the table-defining variants are synthesized.
    assert list(tables_over_server_side_encrypted_buckets("stream-to-lake", {"parquet": "true"}))
    assert list(tables_over_server_side_encrypted_buckets("glue-partitioned-etl", {}))
