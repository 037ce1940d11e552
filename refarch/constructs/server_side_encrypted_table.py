"""Glue tables over server-side encrypted S3 data, without the client-side-encryption flag."""

from aws_cdk import aws_glue as glue

#: The table property that tells Athena the files are client-side (CSE-KMS) encrypted.
CSE_TABLE_PROPERTY = "has_encrypted_data"


def declare_server_side_encrypted(table: glue.S3Table) -> glue.S3Table:
    """Drop ``has_encrypted_data`` from a table whose files S3 encrypts server-side.

    aws-cdk-lib's ``S3Table`` sets ``has_encrypted_data`` on every table over an encrypted
    bucket. To Athena that property is one of the two ways to declare CSE-KMS (client-side)
    encrypted data; for SSE-S3 and SSE-KMS data "No additional table properties need to be
    specified ... Amazon S3 handles decrypting the SSE objects automatically" (Athena,
    https://docs.aws.amazon.com/athena/latest/ug/creating-tables-based-on-encrypted-datasets-in-s3.html).
    Returns the table, for chaining.
    """
    table.node.default_child.add_property_deletion_override(
        f"TableInput.Parameters.{CSE_TABLE_PROPERTY}"
    )
    return table
