"""S3 buckets and bucket policies, created with every configuration the template gives them."""

from __future__ import annotations

import json
from typing import Any

from refarch.local.errors import UnsupportedPropertyError
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

_BUCKET_NAME_MAX = 63

# CloudFormation rule field -> how it maps to the S3 API's lifecycle rule.
_LIFECYCLE_PASSTHROUGH = {
    "Id": "ID",
    "Status": "Status",
    "AbortIncompleteMultipartUpload": "AbortIncompleteMultipartUpload",
}


def _lifecycle_rule(request: ProvisionRequest, rule: dict[str, Any]) -> dict[str, Any]:
    api: dict[str, Any] = {}
    expiration: dict[str, Any] = {}
    for name, value in rule.items():
        if name in _LIFECYCLE_PASSTHROUGH:
            api[_LIFECYCLE_PASSTHROUGH[name]] = value
        elif name == "Prefix":
            api["Filter"] = {"Prefix": value}
        elif name == "ExpirationInDays":
            expiration["Days"] = int(value)
        elif name == "ExpirationDate":
            expiration["Date"] = value
        elif name == "ExpiredObjectDeleteMarker":
            expiration["ExpiredObjectDeleteMarker"] = bool(value)
        elif name == "Transitions":
            api["Transitions"] = [
                {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
                if "TransitionInDays" in t
                else {"Date": t["TransitionDate"], "StorageClass": t["StorageClass"]}
                for t in value
            ]
        elif name == "NoncurrentVersionExpiration":
            api["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(value["NoncurrentDays"]),
                **(
                    {"NewerNoncurrentVersions": int(value["NewerNoncurrentVersions"])}
                    if "NewerNoncurrentVersions" in value
                    else {}
                ),
            }
        elif name == "NoncurrentVersionTransitions":
            api["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
                for t in value
            ]
        else:
            raise UnsupportedPropertyError(
                request.resource_type, request.logical_id, [f"LifecycleConfiguration.Rules.{name}"]
            )
    if expiration:
        api["Expiration"] = expiration
    api.setdefault("Filter", {"Prefix": ""})
    return api


def _notification_filter(cfn_filter: dict[str, Any] | None) -> dict[str, Any]:
    if not cfn_filter:
        return {}
    rules = cfn_filter.get("S3Key", {}).get("Rules", [])
    return {
        "Filter": {
            "Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
        }
    }


def notification_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """Convert a bucket's CloudFormation ``NotificationConfiguration`` to the S3 API's shape."""
    api: dict[str, Any] = {}
    for cfn_key, api_key, target_key, api_target in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ):
        if cfn_key in cfn:
            api[api_key] = [
                {
                    "Events": [c["Event"]],
                    api_target: c[target_key],
                    **_notification_filter(c.get("Filter")),
                }
                for c in cfn[cfn_key]
            ]
    if cfn.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        api["EventBridgeConfiguration"] = {}
    return api


@provisioner("AWS::S3::Bucket")
def bucket(request: ProvisionRequest) -> Provisioned:
    """Create the bucket, then apply each configuration with its own S3 API call."""
    request.only(
        [
            "BucketName",
            "BucketEncryption",
            "VersioningConfiguration",
            "PublicAccessBlockConfiguration",
            "OwnershipControls",
            "LifecycleConfiguration",
            "LoggingConfiguration",
            "NotificationConfiguration",
            "CorsConfiguration",
            "Tags",
        ]
    )
    props = request.properties
    name = request.name("BucketName", max_length=_BUCKET_NAME_MAX, lowercase=True)
    s3 = request.client("s3")
    region = request.emulator.region
    create: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if "BucketEncryption" in props:
        # CloudFormation says ServerSideEncryptionByDefault where the API says Apply…ByDefault.
        rules = [
            {
                (
                    "ApplyServerSideEncryptionByDefault"
                    if k == "ServerSideEncryptionByDefault"
                    else k
                ): v
                for k, v in rule.items()
            }
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration=props["VersioningConfiguration"]
        )
    if "LifecycleConfiguration" in props:
        rules = [_lifecycle_rule(request, r) for r in props["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    deferred = None
    if "LoggingConfiguration" in props:
        logging = props["LoggingConfiguration"]
        status = {
            "LoggingEnabled": {
                "TargetBucket": logging["DestinationBucketName"],
                "TargetPrefix": logging.get("LogFilePrefix", ""),
            }
        }

        # moto checks at PutBucketLogging that the target's bucket policy already lets
        # logging.s3.amazonaws.com write; AWS does not, and CDK creates that policy after this
        # bucket (it names the bucket's ARN). So logging is configured once the stack exists.
        def deferred() -> None:
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus=status)

    if "CorsConfiguration" in props:
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={"CORSRules": props["CorsConfiguration"]["CorsRules"]},
        )
    if "NotificationConfiguration" in props:
        s3.put_bucket_notification_configuration(
            Bucket=name,
            NotificationConfiguration=notification_configuration(
                props["NotificationConfiguration"]
            ),
        )
    if request.tags():
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": request.tags()})
    return Provisioned(
        physical_id=name,
        attributes={
            "Arn": f"arn:{request.emulator.partition}:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
        },
        deferred=deferred,
    )


@provisioner("AWS::S3::BucketPolicy")
def bucket_policy(request: ProvisionRequest) -> Provisioned:
    """Attach the policy: moto evaluates it on object requests (see ``moto_patches``)."""
    request.only(["Bucket", "PolicyDocument"])
    bucket_name = request.properties["Bucket"]
    request.client("s3").put_bucket_policy(
        Bucket=bucket_name, Policy=json.dumps(request.properties["PolicyDocument"])
    )
    return Provisioned(physical_id=bucket_name)
