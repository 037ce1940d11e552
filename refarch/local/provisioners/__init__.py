"""One provisioner per resource type; importing this package registers them all."""

from refarch.local.provisioners import (  # noqa: F401  (imported to register)
    athena,
    awslambda,
    cdk_metadata,
    cloudwatch,
    custom_resource,
    dynamodb,
    ecr,
    event_source_mapping,
    events,
    firehose,
    glue,
    iam,
    kinesis,
    kms,
    logs,
    s3,
    sagemaker,
    sagemaker_monitoring,
    sns,
    sqs,
    stepfunctions,
)
from refarch.local.provisioners.registry import (
    Provisioned,
    ProvisionRequest,
    provisioner,
    provisioner_for,
    supported_types,
)

__all__ = ["ProvisionRequest", "Provisioned", "provisioner", "provisioner_for", "supported_types"]
