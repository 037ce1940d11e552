"""A Glue job's code in S3, readable by the job's role with ``s3:GetObject`` on that object only."""

from typing import Any

from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs.s3_object_grants import grant_object_actions


class GlueObjectCode(glue.Code):
    """``glue.Code.from_bucket`` without ``grant_read``'s action groups.

    Glue reads the script and ``--extra-py-files`` with the job's role: ``s3:GetObject`` on each
    object is all it needs (https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html);
    ``grant_read`` would add ``s3:GetBucket*`` and ``s3:List*`` on the whole asset bucket.
    """

    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        super().__init__()
        self._bucket = bucket
        self._key = key

    def bind(self, scope: Construct, grantable: iam.IGrantable) -> Any:
        """Grant ``s3:GetObject`` on the object; return its location for the job."""
        grant_object_actions(self._bucket, grantable, self._key, ["s3:GetObject"])
        return glue.CodeConfig(
            s3_location=s3.Location(bucket_name=self._bucket.bucket_name, object_key=self._key)
        )
