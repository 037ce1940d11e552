"""What a diagram is made of: how each resource type is drawn, nodes, edges and edge styles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Template = Mapping[str, Any]


@dataclass(frozen=True)
class Kind:
    """How one CloudFormation resource type is drawn."""

    label: str
    """The type as a reader names it, e.g. "S3 bucket"."""

    shape: str
    """A Graphviz node shape."""

    color: str
    """Border colour (the AWS architecture-icon colour of the service's category)."""

    fill: str
    """Fill colour: a light tint of `color`."""

    minor: bool = False
    """Drawn small: supporting resources (log groups, keys) rather than the architecture."""

    style: str = "filled"
    """Graphviz node style, e.g. ``rounded,filled`` for compute."""


_STORAGE = ("#3f8624", "#eef6e8")
_COMPUTE = ("#d45b07", "#fdf0e6")
_INTEGRATION = ("#b0084d", "#fbe9f1")
_ANALYTICS = ("#693cc5", "#f1ecfa")
_ML = ("#067f68", "#e6f5f2")
_SECURITY = ("#bd0816", "#fbe8e9")
_DATABASE = ("#2e27ad", "#ebeafa")

#: The resource types a reader cares about, and how each is drawn. Add a type when a pattern
#: introduces it; an unknown type is still drawn (generically), never dropped silently.
KINDS: dict[str, Kind] = {
    "AWS::S3::Bucket": Kind("S3 bucket", "cylinder", *_STORAGE),
    "AWS::Lambda::Function": Kind("Lambda function", "box", *_COMPUTE, style="rounded,filled"),
    "AWS::SQS::Queue": Kind("SQS queue", "box3d", *_INTEGRATION),
    "AWS::SNS::Topic": Kind("SNS topic", "hexagon", *_INTEGRATION),
    "AWS::SNS::Subscription": Kind("SNS subscription", "note", *_INTEGRATION, minor=True),
    "AWS::CloudWatch::Alarm": Kind(
        "CloudWatch alarm", "box", *_INTEGRATION, style="filled,diagonals"
    ),
    "AWS::Events::Rule": Kind("EventBridge rule", "cds", *_INTEGRATION),
    "AWS::Logs::LogGroup": Kind("log group", "note", *_INTEGRATION, minor=True),
    "AWS::KMS::Key": Kind("KMS key", "component", *_SECURITY, minor=True),
    "AWS::Kinesis::Stream": Kind("Kinesis data stream", "cds", *_ANALYTICS),
    "AWS::Kinesis::StreamConsumer": Kind("enhanced fan-out consumer", "cds", *_ANALYTICS),
    "AWS::KinesisFirehose::DeliveryStream": Kind("Firehose stream", "cds", *_ANALYTICS),
    "AWS::Glue::Database": Kind("Glue database", "folder", *_ANALYTICS),
    "AWS::Glue::Table": Kind("Glue table", "tab", *_ANALYTICS),
    "AWS::Glue::Crawler": Kind("Glue crawler", "box", *_ANALYTICS, style="rounded,filled"),
    "AWS::Glue::Job": Kind("Glue job", "box", *_ANALYTICS, style="rounded,filled"),
    "AWS::Glue::Trigger": Kind("Glue trigger", "cds", *_ANALYTICS),
    "AWS::Glue::Workflow": Kind("Glue workflow", "octagon", *_ANALYTICS),
    "AWS::Glue::SecurityConfiguration": Kind(
        "Glue security configuration", "component", *_SECURITY
    ),
    "AWS::Athena::WorkGroup": Kind("Athena workgroup", "box", *_ANALYTICS),
    "AWS::DynamoDB::Table": Kind("DynamoDB table", "cylinder", *_DATABASE),
    "AWS::SageMaker::Model": Kind("SageMaker model", "box", *_ML),
    "AWS::SageMaker::EndpointConfig": Kind("SageMaker endpoint config", "note", *_ML),
    "AWS::SageMaker::Endpoint": Kind("SageMaker endpoint", "box", *_ML, style="rounded,filled"),
    "AWS::SageMaker::ModelPackageGroup": Kind("SageMaker model package group", "folder", *_ML),
    "AWS::ECR::Repository": Kind("ECR repository", "box3d", *_COMPUTE),
    "AWS::StepFunctions::StateMachine": Kind(
        "Step Functions state machine", "box", *_INTEGRATION, style="rounded,filled"
    ),
    "AWS::SageMaker::MonitoringSchedule": Kind("SageMaker monitoring schedule", "cds", *_ML),
    "AWS::SageMaker::DataQualityJobDefinition": Kind(
        "SageMaker data-quality job definition", "note", *_ML
    ),
    "AWS::SageMaker::ModelQualityJobDefinition": Kind(
        "SageMaker model-quality job definition", "note", *_ML
    ),
    "AWS::CloudWatch::Dashboard": Kind("CloudWatch dashboard", "box", *_INTEGRATION),
}

_GENERIC = ("#545b64", "#f2f3f3")

#: Plumbing: resources that exist for the wiring or the permissions, not for the reader.
#: Their information is drawn as edges (notifications, retries) or not at all (IAM).
HIDDEN_TYPES: frozenset[str] = frozenset(
    {
        "AWS::CDK::Metadata",
        "AWS::CloudFormation::CustomResource",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::KMS::Alias",
        "AWS::Logs::LogStream",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Permission",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
    }
)


@dataclass(frozen=True)
class NamedType:
    """A resource type that the rest of a template names rather than references."""

    name_property: str
    """The property holding the name, e.g. ``ModelPackageGroupName``."""

    members: str
    """What a grant on ``<name>/*`` reaches, e.g. "versions"."""


#: Resource types whose ``Ref`` is not the name the template's wiring uses: event patterns, IAM
#: ARNs and environments spell the name (a literal, or the intrinsic that builds it), so a
#: mention of the name counts as a reference. A model package group's ``Ref`` is its ARN, and
#: its versions' ARNs are ``model-package/<group>/<version>``.
NAMED_TYPES: dict[str, NamedType] = {
    "AWS::SageMaker::ModelPackageGroup": NamedType("ModelPackageGroupName", "versions"),
}


@dataclass(frozen=True)
class RuntimeKind:
    """A resource a function creates at runtime: named in its role's grants, not in the template.

    Drawn dashed, with what it does as the role the function passes to its service.
    """

    action: str
    """The IAM action that creates it, e.g. ``sagemaker:CreateEndpoint``."""

    arn_type: str
    """The resource type in its ARN (``...:endpoint/<name>``)."""

    name_key: str
    """How alarm dimensions and event details name it, e.g. ``EndpointName``."""

    service: str
    """The service principal the creating function passes a role to (``iam:PassedToService``):
    the created resource acts as that role."""

    resource_type: str
    """The CloudFormation type it would have if the template created it (it picks the icon)."""

    kind: Kind
    """How it is drawn."""


#: Resources created at runtime that a template still names: the function's role may create one
#: with a literal name (``CreateEndpoint`` on ``endpoint/<name>``), alarms watch it by that name,
#: rules match its events. Drawn dashed, so the diagram says it is not a CloudFormation resource.
RUNTIME_KINDS: tuple[RuntimeKind, ...] = (
    RuntimeKind(
        action="sagemaker:CreateEndpoint",
        arn_type="endpoint",
        name_key="EndpointName",
        service="sagemaker.amazonaws.com",
        resource_type="AWS::SageMaker::Endpoint",
        kind=Kind("SageMaker endpoint", "box", *_ML, style="rounded,dashed,filled"),
    ),
)

#: Edge styles by what the edge means; the data flow is drawn heaviest.
EDGE_STYLES: dict[str, str] = {
    "data": 'color="#232f3e", penwidth=1.6',
    # A synchronous call whose result comes back (Firehose -> its transform): off the main row.
    "call": 'color="#232f3e", penwidth=1.1, dir=both',
    # What starts what (Glue triggers): orchestration, not data.
    "control": 'color="#693cc5", penwidth=1.1',
    # Metadata written to or read from a data catalog (tables, partitions).
    "catalog": 'color="#693cc5", style=dashed',
    "failure": 'color="#bd0816", style=dashed',
    "monitor": 'color="#b0084d", style=dotted',
    "support": 'color="#879196", style=dashed, arrowsize=0.6',
}


@dataclass(frozen=True)
class Node:
    """One resource (or an actor outside the stack) in the diagram."""

    id: str
    """The resource's logical id, or a synthetic id for actors outside the stack."""

    name: str
    """Readable name: the logical id without its hash, words split."""

    kind: Kind
    """How it is drawn."""

    details: tuple[str, ...] = ()
    """Settings worth reading on the diagram (runtime, retention, threshold...)."""

    resource_type: str = ""
    """The CloudFormation type (it picks the icon); empty for actors outside the stack."""


@dataclass(frozen=True, order=True)
class Edge:
    """A derived relationship between two nodes."""

    source: str
    target: str
    label: str
    kind: str
    """One of `EDGE_STYLES`."""
