"""The AWS-published Powertools for AWS Lambda (Python) layer, referenced by ARN."""

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: The AWS account that publishes the Powertools layers in every commercial region.
POWERTOOLS_PUBLISHER_ACCOUNT = "017000801446"

#: Layer version 27 of the V3 layer; the same Powertools release is pinned for tests in
#: pyproject.toml, so the handlers are tested against the code they run with.
POWERTOOLS_LAYER_VERSION = 27


def powertools_layer(
    scope: Construct,
    construct_id: str,
    *,
    runtime: lambda_.Runtime,
    architecture: lambda_.Architecture,
) -> lambda_.ILayerVersion:
    """Reference the Powertools layer for this runtime and architecture in the stack's region.

    Using the published layer keeps asset directories pure Python (no Docker bundling of
    dependencies) and separates the libraries from the handler code
    (https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html). The layer ARNs are listed
    at https://docs.aws.amazon.com/powertools/python/latest/.
    """
    python = runtime.name.replace(".", "")  # python3.13 -> python313
    arch = architecture.name  # "arm64" or "x86_64", as in the layer names
    arn = Stack.of(scope).format_arn(
        service="lambda",
        account=POWERTOOLS_PUBLISHER_ACCOUNT,
        resource="layer",
        resource_name=f"AWSLambdaPowertoolsPythonV3-{python}-{arch}:{POWERTOOLS_LAYER_VERSION}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
