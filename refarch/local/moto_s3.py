"""S3's answer to a read of a key that does not exist: 404 only to a caller allowed to list.

AWS (API reference, ``GetObject`` and ``HeadObject``, "Permissions",
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html): "If the object that you
request doesn't exist, the error that Amazon S3 returns depends on whether you also have the
s3:ListBucket permission. If you have the s3:ListBucket permission on the bucket, Amazon S3
returns an HTTP status code 404 Not Found error. If you don't have the s3:ListBucket
permission, Amazon S3 returns an HTTP status code 403 Access Denied error" (``Forbidden`` for
HEAD, which carries no body). moto 5.2.5 answers 404 ``NoSuchKey`` to everyone.

Here, when a ``GetObject`` or ``HeadObject`` finds no object (none stored, a delete marker,
which S3 treats as deleted, or no version of the ``versionId`` requested), the caller's
``s3:ListBucket`` on the bucket's ARN is evaluated with the same IAM evaluation as every other
request (the patched statement check of ``moto_patches``): the caller's identity policies
together with the bucket policy's statements that name the caller (same account: an Allow in
either suffices, a Deny in either wins;
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
Denied, the request fails with S3's ``AccessDenied`` and the denial is recorded like any other
(``s3:ListBucket`` on the bucket), so the trace names the missing grant; allowed, it is recorded
as a use of the statement that allowed it, and the 404 stands.

A request with ``versionId`` is under the same rule: the "Permissions" section states it for
every request of the operation, right after the paragraph on requests that name a version (which
need ``s3:GetObjectVersion`` instead of ``s3:GetObject``), so a version that does not exist is
answered 404 ``NoSuchVersion`` to a caller allowed to list, 403 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from moto.core.responses import BaseResponse
from moto.iam.access_control import S3IAMRequest
from moto.s3.exceptions import MissingKey, MissingVersion
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from refarch.local.moto_resources import _enforcing
from refarch.local.policy_conditions import as_list

#: The action S3 checks before it tells a caller that a key does not exist.
LIST_BUCKET = "s3:ListBucket"


def _session_role_arn(caller_arn: str) -> str | None:
    """``arn:aws:iam::<acct>:role/<name>`` for an ``assumed-role/<name>/<session>`` caller."""
    parts = caller_arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("assumed-role/"):
        return None
    name = parts[5].split("/")[1]
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"


def _names_caller(statement: dict[str, Any], caller_arn: str) -> bool:
    """Return True if a bucket policy statement's principal is the caller (or everyone).

    A statement naming the caller's account (``:root`` or the bare id) only delegates to the
    account's IAM policies, so it grants nothing by itself; its Deny still applies to every
    principal of the account.
    """
    named = statement.get("Principal")
    if named == "*":
        return True
    aws = as_list(named.get("AWS", [])) if isinstance(named, dict) else []
    if "*" in aws:
        return True
    if caller_arn in aws or _session_role_arn(caller_arn) in aws:
        return True
    parts = caller_arn.split(":")
    account = parts[4] if len(parts) > 4 else ""
    names_account = account in aws or f"arn:{parts[1]}:iam::{account}:root" in aws
    return names_account and statement.get("Effect") == "Deny"


class _WithBucketPolicy:
    """The caller's credentials, whose policies include the bucket policy's statements for it."""

    def __init__(self, access_key: Any, statements: list[dict[str, Any]]) -> None:
        self._key = access_key
        self._statements = statements

    def __getattr__(self, name: str) -> Any:
        return getattr(self._key, name)

    def collect_policies(self) -> list[Any]:
        """The identity policies, and the bucket policy's statements as one more policy."""
        policies = list(self._key.collect_policies())
        if self._statements:
            policies.append(json.dumps({"Statement": self._statements}))
        return policies


def _bucket_statements(self: BaseResponse, bucket_name: str, caller_arn: str) -> list[Any]:
    """The bucket policy's statements that apply to the caller, without their ``Principal``."""
    bucket = s3_backends[self.current_account][get_partition(self.region)].buckets.get(bucket_name)
    if bucket is None or not bucket.policy:
        return []
    statements = as_list(json.loads(bucket.policy).get("Statement", []))
    return [
        {k: v for k, v in s.items() if k != "Principal"}
        for s in statements
        if _names_caller(s, caller_arn)
    ]


def authorize_list_bucket(self: BaseResponse, bucket_name: str) -> None:
    """Raise S3's AccessDenied (recorded) unless the caller may ``s3:ListBucket`` the bucket."""
    if not _enforcing():
        return
    parsed = urlparse(self.uri)
    request = S3IAMRequest(
        account_id=self.current_account,
        method=self.method,
        path=self.raw_path + (f"?{parsed.query}" if parsed.query else ""),
        data=self.data,
        body=self.raw_body,
        headers=self.headers,
        action="ListBucket",
    )
    request._action = LIST_BUCKET
    caller = request._access_key
    request._access_key = _WithBucketPolicy(
        caller, _bucket_statements(self, bucket_name, caller.arn)
    )
    bucket_arn = f"arn:{get_partition(self.region)}:s3:::{bucket_name}"
    request.check_action_permitted(bucket_arn)


def get_object(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``S3Response.get_object``: a missing key is 404 only to a caller allowed to list."""

    def get(self: BaseResponse) -> Any:
        try:
            return original(self)
        except (MissingKey, MissingVersion):
            authorize_list_bucket(self, self.bucket_name)
            raise

    return get


def head_object(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``S3Response.head_object``: the same rule, for HEAD's bodiless 404."""

    def head(
        self: BaseResponse,
        bucket_name: str,
        query: dict[str, Any],
        key_name: str,
        headers: dict[str, Any],
    ) -> Any:
        response = original(self, bucket_name, query, key_name, headers=headers)
        if response[0] == 404:
            authorize_list_bucket(self, bucket_name)
        return response

    return head
