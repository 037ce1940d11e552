"""S3 grants of the actions a reader or writer calls, instead of aws-cdk-lib's action groups.

``bucket.grant_read`` grants ``s3:GetObject*``, ``s3:GetBucket*`` and ``s3:List*``;
``grant_put`` adds ``s3:Abort*``, legal hold, retention and tagging to ``s3:PutObject``. The
local run shows which of them each role calls (``tests/local/test_iam_unused_access.py``);
these helpers grant only those, each on the ARN form its request is authorized on (Service
Authorization Reference, Amazon S3:
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html):
object actions on ``<bucket ARN>/<key pattern>``, ``s3:ListBucket`` on the bucket ARN.

How S3 authorizes each request: ``GetObject`` and ``HeadObject`` need ``s3:GetObject``, with a
``VersionId`` ``s3:GetObjectVersion``; ``PutObject`` and every step of a multipart upload
(create, upload part, complete) need ``s3:PutObject``, aborting one
``s3:AbortMultipartUpload``; ``DeleteObject`` without a version ``s3:DeleteObject``
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).

The buckets here are SSE-S3 (``SecureBucket``): no key to grant. A bucket with a KMS key is
refused, so its key's grant is never left out silently.
"""

from collections.abc import Sequence

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3


def grant_object_actions(
    bucket: s3.IBucket, grantee: iam.IGrantable, key_pattern: str, actions: Sequence[str]
) -> iam.Grant:
    """Allow ``actions`` on the objects of ``bucket`` whose keys match ``key_pattern``.

    Example:
        >>> grant_object_actions(bucket, function, "incoming/*",
        ...                      ["s3:GetObjectVersion"])  # doctest: +SKIP
    """
    _refuse_kms(bucket)
    return iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(actions),
        resource_arns=[bucket.arn_for_objects(key_pattern)],
    )


def grant_list_bucket(bucket: s3.IBucket, grantee: iam.IGrantable) -> iam.Grant:
    """Allow ``s3:ListBucket`` (``ListObjectsV2``) on ``bucket``.

    Also what lets S3 answer a read of a missing key with 404 rather than 403
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    """
    _refuse_kms(bucket)
    return iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:ListBucket"], resource_arns=[bucket.bucket_arn]
    )


def _refuse_kms(bucket: s3.IBucket) -> None:
    if bucket.encryption_key is not None:
        raise ValueError(
            f"{bucket.node.path} is encrypted with a KMS key: grant the key's actions too "
            "(these helpers cover SSE-S3 buckets only)"
        )
