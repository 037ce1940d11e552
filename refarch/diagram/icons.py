"""AWS Architecture Icons on the diagram, embedded in the SVG so any viewer shows them.

The icons are AWS's service icons (``icons/``, see its README for where they come from and
their terms). A resource's icon is its service's: the CloudFormation type's namespace
(``AWS::Lambda::Function`` -> ``Lambda``) picks it, so a new resource type of a known service
needs no code here; a type of another service is drawn without an icon.

Graphviz reads an icon's size from the file, so `materialize` writes copies that state it; the
DOT text names icons by file name only (no machine's path), and `embed` replaces each image
Graphviz links with the icon's own SVG elements, inline. The diagram then loads nothing: no file
beside it, no ``data:`` URI (which a strict Content-Security-Policy, such as the one GitHub
serves images with, may block), so any viewer shows the icons.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Where the vendored icons are.
ICON_DIR = Path(__file__).resolve().parent / "icons"

#: CloudFormation service namespace -> the icon's file name (without ``.svg``).
SERVICE_ICONS: dict[str, str] = {
    "ApiGateway": "AmazonAPIGateway",
    "ApiGatewayV2": "AmazonAPIGateway",
    "AppFlow": "AmazonAppFlow",
    "Athena": "AmazonAthena",
    "Batch": "AWSBatch",
    "Bedrock": "AmazonBedrock",
    "CloudFormation": "AWSCloudFormation",
    "CloudTrail": "AWSCloudTrail",
    "CloudWatch": "AmazonCloudWatch",
    "DataZone": "AmazonDataZone",
    "DMS": "AWSDatabaseMigrationService",
    "DynamoDB": "AmazonDynamoDB",
    "EC2": "AmazonEC2",
    "ECR": "AmazonElasticContainerRegistry",
    "ECS": "AmazonElasticContainerService",
    "EMR": "AmazonEMR",
    "EMRServerless": "AmazonEMR",
    "Events": "AmazonEventBridge",
    "Glue": "AWSGlue",
    "IAM": "AWSIdentityandAccessManagement",
    "Kinesis": "AmazonKinesisDataStreams",
    "KinesisAnalyticsV2": "AmazonManagedServiceforApacheFlink",
    "KinesisFirehose": "AmazonDataFirehose",
    "KMS": "AWSKeyManagementService",
    "LakeFormation": "AWSLakeFormation",
    "Lambda": "AWSLambda",
    "Logs": "AmazonCloudWatch",
    "AmazonMQ": "AmazonMQ",
    "MSK": "AmazonManagedStreamingforApacheKafka",
    "MWAA": "AmazonManagedWorkflowsforApacheAirflow",
    "OpenSearchService": "AmazonOpenSearchService",
    "Pipes": "AmazonEventBridge",
    "RDS": "AmazonRDS",
    "Redshift": "AmazonRedshift",
    "RedshiftServerless": "AmazonRedshift",
    "S3": "AmazonSimpleStorageService",
    "SageMaker": "AmazonSageMakerAI",
    "Scheduler": "AmazonEventBridge",
    "SecretsManager": "AWSSecretsManager",
    "SES": "AmazonSimpleEmailService",
    "SNS": "AmazonSimpleNotificationService",
    "SQS": "AmazonSimpleQueueService",
    "SSM": "AWSSystemsManager",
    "StepFunctions": "AWSStepFunctions",
}

#: An image Graphviz draws for an icon named by file name (its attributes in Graphviz's order).
_IMAGE = re.compile(
    rb'<image xlink:href="(?P<name>[A-Za-z0-9]+)\.svg" width="(?P<width>[^"]+)"'
    rb' height="(?P<height>[^"]+)" preserveAspectRatio="(?P<aspect>[^"]+)"'
    rb' x="(?P<x>[^"]+)" y="(?P<y>[^"]+)"/>'
)


def icon_for(resource_type: str) -> str | None:
    """The icon's file name for a CloudFormation type (``AWSLambda.svg``), or None."""
    parts = resource_type.split("::")
    if len(parts) != 3 or parts[0] != "AWS":
        return None
    name = SERVICE_ICONS.get(parts[1])
    return f"{name}.svg" if name else None


def materialize(directory: Path) -> None:
    """Write every icon to `directory` in a form Graphviz can size.

    An XML declaration and a width and height on the root element: the originals have only a
    ``viewBox``, and Graphviz takes an SVG file without the declaration for no image at all.
    """
    for icon in sorted(ICON_DIR.glob("*.svg")):
        text = icon.read_text()
        sized = text.replace("<svg ", '<svg width="64" height="64" ', 1)
        (directory / icon.name).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + sized)


def embed(svg: bytes) -> bytes:
    """Replace each icon image Graphviz linked in `svg` with the icon's SVG, inline.

    The icon's root element becomes a nested ``<svg>`` at the image's place and size; the icons
    have no ids, so several copies in one document cannot clash.
    """

    def inline(match: re.Match[bytes]) -> bytes:
        icon = (ICON_DIR / f"{match['name'].decode()}.svg").read_bytes().strip()
        placed = b'<svg x="%s" y="%s" width="%s" height="%s" preserveAspectRatio="%s" ' % (
            match["x"],
            match["y"],
            match["width"],
            match["height"],
            match["aspect"],
        )
        return icon.replace(b"<svg ", placed, 1)

    return _IMAGE.sub(inline, svg)
