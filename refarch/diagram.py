"""Architecture diagrams drawn from a pattern's synthesized CloudFormation template.

The diagram is derived, never drawn by hand: it shows what `cdk synth` produced, so it cannot
drift from the stack. Nodes are the resources a reader cares about (buckets, functions, queues,
topics, alarms, streams, ...); plumbing (IAM, resource policies, Lambda permissions, CDK's
custom-resource providers) is hidden. Edges come from the template's own wiring:

- S3 notification configuration: bucket -> destination, labelled with the events and the
  prefix/suffix filter (``Custom::S3BucketNotifications`` or the bucket's own property);
- a function's environment variable referencing a resource: function -> resource, labelled
  "writes" or "reads" from the function role's IAM statements on that resource;
- ``DeadLetterConfig`` and on-failure destinations: function -> queue "on failure", with the
  retry settings of its ``EventInvokeConfig``;
- an alarm's ``AlarmActions``/``OKActions`` (alarm -> topic) and its metric's dimensions
  (alarm -> the watched resource);
- S3 server access logging: bucket -> log bucket; a function's log group; a topic's KMS key.
- Firehose: source stream -> delivery stream -> destination bucket (the data flow), delivery
  stream <-> its transform Lambda (a synchronous call, with its buffer and retries), its Glue
  schema table and error log group; a stream's enhanced fan-out consumers and KMS key.
- Glue: a job's arguments naming buckets and tables (bucket -> job -> bucket for the data,
  labelled from the job role's IAM statements; job -> table for the catalog update); a
  crawler's S3 targets and database; workflow triggers (schedule -> crawler -> condition ->
  job); security configurations and the log groups Glue names after a job's or crawler's role.
- EventBridge rules: rule -> what its event pattern names ("watches"), -> its targets, and
  -> its dead-letter queue. An Athena workgroup -> the bucket of its query results.

`diagram_dot` is a pure function of the template, and its output is sorted, so regenerating an
unchanged stack rewrites an identical file. `render_svg` runs Graphviz's ``dot``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
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

# CDK appends an 8-character hexadecimal hash of the construct path to every logical id, also
# after a digit (``ModelLatencyP99E45D2A8C``).
_HASH_SUFFIX = re.compile(r"(?<=[A-Za-z0-9])[0-9A-F]{8}$")
# Words start at a capital after a lowercase letter (``DeadLetter``), at a capitalised word after
# a digit or an acronym (``S3Bucket``, ``XXErrors``); a digit keeps the acronym it starts
# (``Invocation5XXErrors`` -> ``Invocation5XX Errors``).
_WORD_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")
# IAM action verbs that change the resource: the function "writes" to it.
_WRITE_VERBS = ("Put", "Send", "Publish", "Write", "Create", "Update", "Delete", "Abort")


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


@dataclass(frozen=True, order=True)
class Edge:
    """A derived relationship between two nodes."""

    source: str
    target: str
    label: str
    kind: str
    """One of `EDGE_STYLES`."""


# --------------------------------------------------------------------------------------------
# Reading the template


def readable_name(logical_id: str) -> str:
    """Make a logical id readable: drop CDK's hash suffix and split the words.

    Example:
        >>> readable_name("CsvValidatorDeadLetterQueue3F370580")
        'Csv Validator Dead Letter Queue'
    """
    return _WORD_BOUNDARY.sub(" ", _HASH_SUFFIX.sub("", logical_id))


def references(value: Any) -> set[str]:
    """Every logical id a template value refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) else str(item).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)))
                found.update(references(item))
            else:
                found.update(references(item))
    elif isinstance(value, list):
        for item in value:
            found.update(references(item))
    return found


def _reference(value: Any, resources: Mapping[str, Any]) -> str | None:
    """The single resource a value refers to, if it refers to exactly one of the template's."""
    ids = sorted(r for r in references(value) if r in resources)
    return ids[0] if len(ids) == 1 else None


def _props(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("Properties") or {}


def _of_type(resources: Mapping[str, Any], *types: str) -> Iterator[tuple[str, Mapping]]:
    for logical_id in sorted(resources):
        if resources[logical_id].get("Type") in types:
            yield logical_id, resources[logical_id]


_PROVIDER_PARTS = ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")


def _providers(resources: Mapping[str, Any]) -> set[str]:
    """What backs custom resources (CDK's notification handler, auto-delete, ...).

    The function a custom resource's ``ServiceToken`` names and, for CDK's provider framework,
    what that function names in its environment (the user handlers, the waiter state machine)
    and the functions the waiter's definition names; then the log groups of all of these.
    """
    found: set[str] = set()
    for resource in resources.values():
        resource_type = resource.get("Type", "")
        if resource_type.startswith("Custom::") or resource_type == (
            "AWS::CloudFormation::CustomResource"
        ):
            found.update(references(_props(resource).get("ServiceToken")))
    pending = sorted(found)
    while pending:
        props = _props(resources.get(pending.pop(), {}))
        linked = references((props.get("Environment") or {}).get("Variables"))
        linked |= references(props.get("DefinitionString")) | references(props.get("Definition"))
        for target in sorted(linked - found):
            if resources.get(target, {}).get("Type") in _PROVIDER_PARTS:
                found.add(target)
                pending.append(target)
    for logical_id, resource in _of_type(resources, "AWS::Logs::LogGroup"):
        if references(_props(resource).get("LogGroupName")) & found:
            found.add(logical_id)
    for logical_id in sorted(found):
        log_config = _props(resources.get(logical_id, {})).get("LoggingConfig") or {}
        found.update(references(log_config.get("LogGroup")) & set(resources))
    return found


def _is_hidden(logical_id: str, resource: Mapping[str, Any], providers: set[str]) -> bool:
    resource_type = resource.get("Type", "")
    return (
        resource_type in HIDDEN_TYPES
        or resource_type.startswith("Custom::")
        or logical_id in providers
    )


def _named(resources: Mapping[str, Any]) -> dict[str, Any]:
    """Logical id -> name value of every resource of `NAMED_TYPES` that has one."""
    names = {}
    for logical_id, resource in sorted(resources.items()):
        named = NAMED_TYPES.get(resource.get("Type", ""))
        if named and _props(resource).get(named.name_property) not in (None, ""):
            names[logical_id] = _props(resource)[named.name_property]
    return names


def _mentions(value: Any, name: Any) -> bool:
    """Whether a template value names `name` anywhere inside it.

    The same value (a literal, or the intrinsic that builds the name), or a literal name between
    ARN separators (``model-package/<name>/*``).
    """
    if value == name:
        return True
    if isinstance(value, str):
        return isinstance(name, str) and bool(
            re.search(rf"(?:^|[/:]){re.escape(name)}(?:$|[/:])", value)
        )
    if isinstance(value, Mapping):
        return any(_mentions(item, name) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, name) for item in value)
    return False


@dataclass(frozen=True)
class _Runtime:
    """A resource created at runtime: its node, its name and the functions that create it."""

    node: Node
    name: str
    spec: RuntimeKind
    creators: tuple[str, ...]


def _literal_arn_name(resource: Any, arn_type: str) -> str | None:
    """The literal name at the end of an ARN ``...:<arn_type>/<name>``, if it has one.

    None when the ARN is of another type, or its name holds a wildcard or an intrinsic.
    """
    if isinstance(resource, Mapping) and "Fn::Join" in resource:
        separator, parts = resource["Fn::Join"]
        text = separator.join(p if isinstance(p, str) else "\0" for p in parts)
    elif isinstance(resource, str):
        text = resource
    else:
        return None
    marker = f":{arn_type}/"
    if marker not in text:
        return None
    name = text.rsplit(marker, 1)[1]
    return name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", name) else None


def _actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in _as_list(statement.get("Action") or [])]


def _runtime_resources(resources: Mapping[str, Any]) -> list[_Runtime]:
    """Resources of `RUNTIME_KINDS` that a drawn function's role may create by a literal name."""
    providers = _providers(resources)
    found: dict[tuple[RuntimeKind, str], list[str]] = {}
    for logical_id, resource in _of_type(resources, "AWS::Lambda::Function"):
        if _is_hidden(logical_id, resource, providers):
            continue
        role = _reference(_props(resource).get("Role"), resources)
        for statement in _role_statements(resources, role):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            actions = _actions(statement)
            for spec in RUNTIME_KINDS:
                if spec.action not in actions:
                    continue
                for arn in _as_list(statement.get("Resource")):
                    name = _literal_arn_name(arn, spec.arn_type)
                    creators = found.setdefault((spec, name), []) if name else None
                    if creators is not None and logical_id not in creators:
                        creators.append(logical_id)
    return [
        _Runtime(
            node=Node(
                id=f"runtime:{spec.arn_type}/{name}",
                name=name,
                kind=spec.kind,
                details=("created at runtime,", "not by CloudFormation"),
            ),
            name=name,
            spec=spec,
            creators=tuple(sorted(creators)),
        )
        for (spec, name), creators in sorted(
            found.items(), key=lambda item: (item[0][0].arn_type, item[0][1])
        )
    ]


# --------------------------------------------------------------------------------------------
# Nodes


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _function_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    arch = "/".join(props.get("Architectures", ["x86_64"]))
    first = f"{props.get('Runtime', 'container')} · {arch} · {props.get('MemorySize', 128)} MB"
    features = [f"timeout {_duration(int(props.get('Timeout', 3)))}"]
    if (props.get("TracingConfig") or {}).get("Mode") == "Active":
        features.append("X-Ray")
    if "lambdainsights" in str(props.get("Layers", "")).lower():
        features.append("Lambda Insights")
    return (first, " · ".join(features))


def _bucket_details(resource: Mapping[str, Any]) -> tuple[str, ...]:
    props = _props(resource)
    features = []
    rules = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration", [])
    algorithms = {r.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    features.extend(
        {"AES256": "SSE-S3", "aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}.get(a, str(a))
        for a in sorted(a for a in algorithms if a)
    )
    if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        features.append("versioned")
    if resource.get("DeletionPolicy") == "Retain":
        features.append("retained")
    return (" · ".join(features),) if features else ()


def _alarm_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    operators = {
        "GreaterThanOrEqualToThreshold": "≥",
        "GreaterThanThreshold": ">",
        "LessThanThreshold": "<",
        "LessThanOrEqualToThreshold": "≤",
    }
    if "MetricName" not in props:
        return ("metric math",)
    threshold = props.get("Threshold")
    if isinstance(threshold, float) and threshold.is_integer():
        threshold = int(threshold)
    operator = operators.get(props.get("ComparisonOperator", ""), "?")
    period = _duration(int(props.get("Period", 60)))
    return (
        f"{props.get('Namespace', '')} {props['MetricName']}",
        f"{props.get('Statistic', props.get('ExtendedStatistic', ''))} {operator} {threshold}"
        f" per {period}",
    )


def _details(resource_type: str, resource: Mapping[str, Any]) -> tuple[str, ...]:
    props = _props(resource)
    if resource_type == "AWS::Lambda::Function":
        return _function_details(props)
    if resource_type == "AWS::S3::Bucket":
        return _bucket_details(resource)
    if resource_type == "AWS::CloudWatch::Alarm":
        return _alarm_details(props)
    if resource_type == "AWS::SQS::Queue":
        retention = _duration(int(props.get("MessageRetentionPeriod", 345600)))
        encrypted = props.get("SqsManagedSseEnabled") or "KmsMasterKeyId" in props
        return (f"retention {retention}" + (" · encrypted" if encrypted else ""),)
    if resource_type == "AWS::SNS::Topic" and "KmsMasterKeyId" in props:
        return ("KMS-encrypted",)
    if resource_type == "AWS::Logs::LogGroup" and "RetentionInDays" in props:
        return (f"retention {props['RetentionInDays']} d",)
    if resource_type == "AWS::KMS::Key" and props.get("EnableKeyRotation"):
        return ("rotation on",)
    if resource_type == "AWS::SNS::Subscription":
        return (str(props.get("Protocol", "")),)
    if resource_type == "AWS::Kinesis::Stream":
        return _stream_details(resource)
    if resource_type == "AWS::KinesisFirehose::DeliveryStream":
        return _delivery_stream_details(props)
    if resource_type == "AWS::Glue::Table":
        return _glue_table_details(props)
    if resource_type == "AWS::Glue::Job":
        return _glue_job_details(props)
    if resource_type == "AWS::Glue::Crawler":
        return _crawler_details(props)
    if resource_type == "AWS::Glue::Trigger":
        return _trigger_details(props)
    if resource_type == "AWS::Glue::Workflow" and "MaxConcurrentRuns" in props:
        runs = props["MaxConcurrentRuns"]
        return ("one run at a time" if runs == 1 else f"up to {runs} runs at a time",)
    if resource_type == "AWS::Glue::SecurityConfiguration":
        return _security_configuration_details(props)
    if resource_type == "AWS::Athena::WorkGroup":
        return _workgroup_details(props)
    if resource_type == "AWS::Events::Rule":
        return _rule_details(props)
    if resource_type == "AWS::ECR::Repository":
        return _repository_details(resource)
    if resource_type in NAMED_TYPES and resource.get("DeletionPolicy") == "Retain":
        return ("retained",)
    return ()


def _repository_details(resource: Mapping[str, Any]) -> tuple[str, ...]:
    props = _props(resource)
    features = []
    if (props.get("ImageScanningConfiguration") or {}).get("ScanOnPush"):
        features.append("scan on push")
    if str(props.get("ImageTagMutability", "")).startswith("IMMUTABLE"):
        features.append("immutable tags")
    if resource.get("DeletionPolicy") == "Retain":
        features.append("retained")
    return (" · ".join(features),) if features else ()


def _stream_details(resource: Mapping[str, Any]) -> tuple[str, ...]:
    props = _props(resource)
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    capacity = "on-demand" if mode == "ON_DEMAND" else f"{props.get('ShardCount', 1)} shards"
    retention = _duration(int(props.get("RetentionPeriodHours", 24)) * 3600)
    features = []
    if (props.get("StreamEncryption") or {}).get("EncryptionType") == "KMS":
        features.append("KMS")
    if resource.get("DeletionPolicy") == "Retain":
        features.append("retained")
    return (f"{capacity} · retention {retention}", *([" · ".join(features)] if features else []))


def _delivery_stream_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    s3 = props.get("ExtendedS3DestinationConfiguration") or {}
    if not s3:
        return ()
    hints = s3.get("BufferingHints") or {}
    interval = _duration(int(hints.get("IntervalInSeconds", 300)))
    buffer = f"buffer {hints.get('SizeInMBs', 5)} MiB / {interval}"
    converted = (s3.get("DataFormatConversionConfiguration") or {}).get("Enabled")
    serializer = (
        (s3.get("DataFormatConversionConfiguration") or {})
        .get("OutputFormatConfiguration", {})
        .get("Serializer", {})
    )
    if converted:
        output = "Parquet" if "ParquetSerDe" in serializer else "ORC"
    else:
        output = str(s3.get("CompressionFormat", "UNCOMPRESSED"))
    features = [output]
    if (s3.get("DynamicPartitioningConfiguration") or {}).get("Enabled"):
        features.append("dynamic partitioning")
    return (buffer, " · ".join(features))


def _glue_table_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    table = props.get("TableInput") or {}
    columns = (table.get("StorageDescriptor") or {}).get("Columns") or []
    keys = [str(k.get("Name")) for k in table.get("PartitionKeys") or []]
    details = [f"{len(columns)} columns"]
    if keys:
        details.append(f"partitions {'/'.join(keys)}")
    return (" · ".join(details),)


def _bytes(size: int) -> str:
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size:,} bytes"


def _glue_job_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    arguments = props.get("DefaultArguments") or {}
    capacity = (
        f"{props['NumberOfWorkers']} {props.get('WorkerType', '?')} workers"
        if "NumberOfWorkers" in props
        else f"{props.get('MaxCapacity', '?')} DPU"
    )
    execution = str(props.get("ExecutionClass", "STANDARD")).capitalize()
    if str(arguments.get("--enable-auto-scaling", "")).lower() == "true":
        execution += ", auto scaling"
    features = []
    if arguments.get("--job-bookmark-option") == "job-bookmark-enable":
        features.append("bookmarks")
    if "Timeout" in props:
        features.append(f"timeout {_duration(int(props['Timeout']) * 60)}")
    if "MaxRetries" in props:
        retries = int(props["MaxRetries"])
        features.append(f"{retries} retr{'y' if retries == 1 else 'ies'}")
    first = f"Glue {props.get('GlueVersion', '?')} · {capacity} ({execution})"
    return (first, " · ".join(features)) if features else (first,)


def _crawler_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    recrawl = (props.get("RecrawlPolicy") or {}).get("RecrawlBehavior", "CRAWL_EVERYTHING")
    policy = props.get("SchemaChangePolicy") or {}
    first = ["new folders only" if recrawl == "CRAWL_NEW_FOLDERS_ONLY" else "every folder"]
    if policy.get("UpdateBehavior") == "LOG":
        first.append("schema changes logged")
    second = []
    if props.get("TablePrefix"):
        second.append(f"tables {props['TablePrefix']}*")
    exclusions = sum(
        len(target.get("Exclusions") or [])
        for target in (props.get("Targets") or {}).get("S3Targets") or []
    )
    if exclusions:
        second.append(f"{exclusions} exclusions")
    return (" · ".join(first), *([" · ".join(second)] if second else []))


def _trigger_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    trigger_type = props.get("Type", "")
    if trigger_type == "SCHEDULED":
        return (str(props.get("Schedule", "scheduled")),)
    return (str(trigger_type).lower().replace("_", " "),) if trigger_type else ()


def _security_configuration_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    configuration = props.get("EncryptionConfiguration") or {}
    s3 = {str(e.get("S3EncryptionMode", "")) for e in configuration.get("S3Encryptions") or []} - {
        "",
        "DISABLED",
    }
    kms = [
        name
        for name, key, mode in (
            ("logs", "CloudWatchEncryption", "CloudWatchEncryptionMode"),
            ("bookmarks", "JobBookmarksEncryption", "JobBookmarksEncryptionMode"),
        )
        if (configuration.get(key) or {}).get(mode, "DISABLED") != "DISABLED"
    ]
    parts = [f"S3 {'/'.join(sorted(s3))}"] if s3 else []
    if kms:
        parts.append(f"{', '.join(kms)} KMS")
    return (" · ".join(parts),) if parts else ()


def _workgroup_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    configuration = props.get("WorkGroupConfiguration") or {}
    first = []
    if configuration.get("EnforceWorkGroupConfiguration"):
        first.append("settings enforced")
    encryption = (
        (configuration.get("ResultConfiguration") or {}).get("EncryptionConfiguration") or {}
    ).get("EncryptionOption")
    if encryption:
        first.append(f"results {str(encryption).replace('_', '-')}")
    details = [" · ".join(first)] if first else []
    if "BytesScannedCutoffPerQuery" in configuration:
        cutoff = _bytes(int(configuration["BytesScannedCutoffPerQuery"]))
        details.append(f"scan limit {cutoff} per query")
    return tuple(details)


def _rule_details(props: Mapping[str, Any]) -> tuple[str, ...]:
    pattern = props.get("EventPattern") or {}
    if not isinstance(pattern, Mapping):
        return ()
    details = [", ".join(str(t) for t in _as_list(pattern.get("detail-type") or []))]
    states = (pattern.get("detail") or {}).get("state") if isinstance(pattern, Mapping) else None
    if states:
        details.append("state " + ", ".join(str(s) for s in _as_list(states)))
    if "ScheduleExpression" in props:
        details.append(str(props["ScheduleExpression"]))
    return tuple(d for d in details if d)


def _partition_indexes(resources: Mapping[str, Any]) -> dict[str, list[str]]:
    """Table -> the names of its partition indexes (created through a custom resource by CDK)."""
    indexes: dict[str, list[str]] = {}
    for _, resource in sorted(resources.items()):
        if resource.get("Type", "").endswith("PartitionIndex"):
            props = _props(resource)
            table = _reference(props.get("TableName"), resources)
            if table:
                indexes.setdefault(table, []).append(str(props.get("IndexName", "")))
    return indexes


def _kind(resource_type: str) -> Kind:
    if resource_type in KINDS:
        return KINDS[resource_type]
    service, _, name = resource_type.removeprefix("AWS::").partition("::")
    return Kind(f"{service} {name}", "box", *_GENERIC)


def diagram_nodes(template: Template) -> list[Node]:
    """The resources worth drawing, sorted by logical id, then those created at runtime."""
    resources = template.get("Resources", {})
    providers = _providers(resources)
    indexes = _partition_indexes(resources)
    return [
        Node(
            id=logical_id,
            name=readable_name(logical_id),
            kind=_kind(resource["Type"]),
            details=_details(resource["Type"], resource)
            + (
                ("partition index " + ", ".join(indexes[logical_id]),)
                if logical_id in indexes
                else ()
            ),
        )
        for logical_id, resource in sorted(resources.items())
        if not _is_hidden(logical_id, resource, providers)
    ] + [runtime.node for runtime in _runtime_resources(resources)]


# --------------------------------------------------------------------------------------------
# Edges


def _notification_edges(resources: Mapping[str, Any]) -> Iterator[Edge]:
    """S3 notification configuration: bucket -> destination, with events and key filter."""
    configured: list[tuple[str, Mapping[str, Any]]] = []
    for _, resource in _of_type(resources, "Custom::S3BucketNotifications"):
        bucket = _reference(_props(resource).get("BucketName"), resources)
        if bucket:
            configured.append((bucket, _props(resource).get("NotificationConfiguration") or {}))
    for logical_id, resource in _of_type(resources, "AWS::S3::Bucket"):
        if "NotificationConfiguration" in _props(resource):
            configured.append((logical_id, _props(resource)["NotificationConfiguration"]))
    for bucket, configuration in configured:
        for section in _NOTIFICATION_SECTIONS:
            for entry in configuration.get(section, []):
                destination = next((entry[k] for k in _DESTINATION_KEYS if k in entry), None)
                target = _reference(destination, resources)
                if target:
                    yield Edge(bucket, target, _notification_label(entry), "data")


# The custom resource uses the S3 API's names; AWS::S3::Bucket's own property uses others.
_NOTIFICATION_SECTIONS = (
    "LambdaFunctionConfigurations",
    "LambdaConfigurations",
    "QueueConfigurations",
    "TopicConfigurations",
)
_DESTINATION_KEYS = ("LambdaFunctionArn", "Function", "QueueArn", "Queue", "TopicArn", "Topic")


def _notification_label(entry: Mapping[str, Any]) -> str:
    """The events, then the key filter: "s3:ObjectCreated:*" / "prefix incoming/ · suffix .csv"."""
    events = entry.get("Events") or [entry.get("Event", "")]
    key = (entry.get("Filter") or {}).get("Key") or (entry.get("Filter") or {}).get("S3Key") or {}
    rules = key.get("FilterRules") or key.get("Rules") or []
    filters = {str(rule.get("Name", "")).lower(): rule.get("Value", "") for rule in rules}
    lines = sorted(events)
    key_filter = [f"{name} {filters[name]}" for name in ("prefix", "suffix") if name in filters]
    if key_filter:
        lines.append(" · ".join(key_filter))
    return "\n".join(lines)


def _role_statements(resources: Mapping[str, Any], role: str | None) -> list[Mapping[str, Any]]:
    """The IAM statements granted to a role, inline or through attached AWS::IAM::Policy."""
    if role is None:
        return []
    documents = [
        policy.get("PolicyDocument", {})
        for policy in _props(resources.get(role, {})).get("Policies", [])
    ]
    for _, policy in _of_type(resources, "AWS::IAM::Policy"):
        if role in references(_props(policy).get("Roles")):
            documents.append(_props(policy).get("PolicyDocument", {}))
    statements: list[Mapping[str, Any]] = []
    for document in documents:
        found = document.get("Statement", [])
        statements.extend(found if isinstance(found, list) else [found])
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class _Access:
    """What a role's IAM statements allow on one resource."""

    writes: bool
    reads: bool
    write_patterns: frozenset[str]
    """Key patterns of the write grants on the resource (``curated/*``)."""
    read_patterns: frozenset[str]
    write_actions: frozenset[str]
    """The write actions, without their service prefix (``CreatePartition``)."""


def _access(statements: list[Mapping[str, Any]], target: str) -> _Access:
    """Read and write grants on the target, with their key patterns (from ``Fn::Join`` ARNs)."""
    writes = reads = False
    patterns: dict[bool, set[str]] = {True: set(), False: set()}
    write_actions: set[str] = set()
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        on_target = [r for r in _as_list(statement.get("Resource")) if target in references(r)]
        if not on_target:
            continue
        actions = [str(a).split(":", 1)[-1] for a in _as_list(statement.get("Action"))]
        # ``BatchCreatePartition`` creates, like ``CreatePartition``.
        written = [a for a in actions if a.removeprefix("Batch").startswith(_WRITE_VERBS)]
        is_write = bool(written)
        writes, reads = writes or is_write, reads or not is_write
        write_actions.update(written)
        for resource in on_target:
            parts = resource.get("Fn::Join", ["", []])[1] if isinstance(resource, dict) else []
            patterns[is_write].update(
                p.lstrip("/") for p in parts if isinstance(p, str) and p != ""
            )
    return _Access(
        writes=writes,
        reads=reads,
        write_patterns=frozenset(patterns[True]),
        read_patterns=frozenset(p for p in patterns[False] if ":" not in p),
        write_actions=frozenset(write_actions),
    )


def _access_label(statements: list[Mapping[str, Any]], target: str) -> str | None:
    """The access IAM grants on the target: "writes" or "reads", plus the key patterns."""
    access = _access(statements, target)
    if not (access.writes or access.reads):
        return None
    verb = "writes" if access.writes else "reads"
    return f"{verb} {', '.join(sorted(access.write_patterns))}".rstrip()


def _environment_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """A function's environment naming a resource: function -> resource, writes or reads.

    A resource the function's role has no grant on is only named (the function hands it on to
    what it creates), and a key or log group is used, not written: both are drawn as support.
    """
    for logical_id, resource in _of_type(resources, "AWS::Lambda::Function"):
        props = _props(resource)
        variables = (props.get("Environment") or {}).get("Variables") or {}
        statements = _role_statements(resources, _reference(props.get("Role"), resources))
        targets: dict[str, list[str]] = {}
        for name, value in variables.items():
            for target in references(value):
                if target in shown and target != logical_id:
                    targets.setdefault(target, []).append(name)
        for target, names in sorted(targets.items()):
            named = f"({', '.join(sorted(names))})"
            access = _access_label(statements, target)
            if access is None or _kind(resources[target]["Type"]).minor:
                verb = "uses" if access else "names"
                yield Edge(logical_id, target, f"{verb}\n{named}", "support")
            elif access.startswith("reads"):
                # Data flows from what the function only reads into the function.
                yield Edge(target, logical_id, f"{access}\n{named}", "data")
            else:
                yield Edge(logical_id, target, f"{access}\n{named}", "data")


def _failure_edges(resources: Mapping[str, Any]) -> Iterator[Edge]:
    """Dead-letter queues and on-failure destinations, with the async retry settings."""
    retries: dict[str, str] = {}
    destinations: list[tuple[str, str]] = []
    for _, config in _of_type(resources, "AWS::Lambda::EventInvokeConfig"):
        props = _props(config)
        function = _reference(props.get("FunctionName"), resources)
        if function is None:
            continue
        settings = []
        if "MaximumRetryAttempts" in props:
            settings.append(f"{props['MaximumRetryAttempts']} retries")
        if "MaximumEventAgeInSeconds" in props:
            settings.append(f"max age {_duration(int(props['MaximumEventAgeInSeconds']))}")
        retries[function] = ", ".join(settings)
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        target = _reference(on_failure, resources)
        if target:
            destinations.append((function, target))
    for logical_id, resource in _of_type(resources, "AWS::Lambda::Function"):
        target = _reference(
            (_props(resource).get("DeadLetterConfig") or {}).get("TargetArn"), resources
        )
        if target:
            destinations.append((logical_id, target))
    for function, target in destinations:
        label = "on failure" + (f"\n(after {retries[function]})" if retries.get(function) else "")
        yield Edge(function, target, label, "failure")
    for logical_id, resource in _of_type(resources, "AWS::SQS::Queue"):
        redrive = _props(resource).get("RedrivePolicy") or {}
        target = _reference(redrive.get("deadLetterTargetArn"), resources)
        if target:
            receives = redrive.get("maxReceiveCount")
            yield Edge(logical_id, target, f"after {receives} receives", "failure")


def _alarm_edges(
    resources: Mapping[str, Any], shown: set[str], runtime: list[_Runtime]
) -> Iterator[Edge]:
    """Alarm -> the resource its metric watches; alarm -> the topics it notifies.

    A dimension references the watched resource, or names a runtime resource by its key
    (``EndpointName``).
    """
    for logical_id, resource in _of_type(resources, "AWS::CloudWatch::Alarm"):
        props = _props(resource)
        dimensions = _as_list(props.get("Dimensions") or [])
        watched = references(dimensions) & shown
        watched |= {
            r.node.id for r in runtime if {"Name": r.spec.name_key, "Value": r.name} in dimensions
        }
        for target in sorted(watched):
            yield Edge(logical_id, target, "watches", "monitor")
        states: dict[str, list[str]] = {}
        for key, state in (
            ("AlarmActions", "ALARM"),
            ("OKActions", "OK"),
            ("InsufficientDataActions", "INSUFFICIENT_DATA"),
        ):
            for target in references(props.get(key)) & shown:
                states.setdefault(target, []).append(state)
        for target, names in sorted(states.items()):
            yield Edge(logical_id, target, "notifies on " + ", ".join(names), "monitor")


def _support_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """Access logs, log groups, encryption keys and subscriptions."""
    for logical_id, resource in _of_type(resources, "AWS::S3::Bucket"):
        logging = _props(resource).get("LoggingConfiguration") or {}
        target = _reference(logging.get("DestinationBucketName"), resources)
        if target in shown:
            prefix = logging.get("LogFilePrefix", "")
            yield Edge(logical_id, target, f"access logs {prefix}".rstrip(), "support")
    for logical_id, resource in _of_type(resources, "AWS::Lambda::Function"):
        log_group = _reference(
            (_props(resource).get("LoggingConfig") or {}).get("LogGroup"), resources
        )
        if log_group in shown and logical_id in shown:
            yield Edge(logical_id, log_group, "logs", "support")
    for logical_id, resource in _of_type(resources, "AWS::SNS::Topic", "AWS::SQS::Queue"):
        key = _reference(_props(resource).get("KmsMasterKeyId"), resources)
        if key in shown:
            yield Edge(logical_id, key, "encrypted with", "support")
    for logical_id, resource in _of_type(resources, "AWS::Kinesis::Stream"):
        key = _reference((_props(resource).get("StreamEncryption") or {}).get("KeyId"), resources)
        if key in shown:
            yield Edge(logical_id, key, "encrypted with", "support")
    for logical_id, resource in _of_type(resources, "AWS::SNS::Subscription"):
        topic = _reference(_props(resource).get("TopicArn"), resources)
        if topic in shown:
            yield Edge(topic, logical_id, "delivers to", "support")


def _event_source_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """Event source mappings (streams, queues): source -> function, with the batch size."""
    for _, mapping in _of_type(resources, "AWS::Lambda::EventSourceMapping"):
        props = _props(mapping)
        source = _reference(props.get("EventSourceArn"), resources)
        function = _reference(props.get("FunctionName"), resources)
        if source in shown and function in shown:
            batch = f"batches of {props['BatchSize']}" if "BatchSize" in props else "polls"
            yield Edge(source, function, batch, "data")
        failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        target = _reference(failure, resources)
        if function in shown and target in shown:
            yield Edge(function, target, "discarded batches\n(their shard position)", "failure")


def _firehose_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """Source stream -> Firehose -> bucket; Firehose -> transform Lambda and schema table."""
    for logical_id, resource in _of_type(resources, "AWS::KinesisFirehose::DeliveryStream"):
        props = _props(resource)
        source = (props.get("KinesisStreamSourceConfiguration") or {}).get("KinesisStreamARN")
        stream = _reference(source, resources)
        if stream in shown:
            yield Edge(stream, logical_id, "reads\n(shared throughput)", "data")
        s3 = props.get("ExtendedS3DestinationConfiguration") or {}
        bucket = _reference(s3.get("BucketARN"), resources)
        if bucket in shown:
            prefixes = [
                _static_folders(s3[key]) for key in ("Prefix", "ErrorOutputPrefix") if s3.get(key)
            ]
            label = "writes " + ", ".join(p for p in prefixes if p) if prefixes else "writes"
            yield Edge(logical_id, bucket, label, "data")
        for processor in (s3.get("ProcessingConfiguration") or {}).get("Processors") or []:
            parameters = {
                p.get("ParameterName"): p.get("ParameterValue")
                for p in processor.get("Parameters") or []
            }
            function = _reference(parameters.get("LambdaArn"), resources)
            if function in shown:
                settings = []
                if "BufferSizeInMBs" in parameters:
                    settings.append(f"{parameters['BufferSizeInMBs']} MiB")
                if "BufferIntervalInSeconds" in parameters:
                    settings.append(_duration(int(parameters["BufferIntervalInSeconds"])))
                if "NumberOfRetries" in parameters:
                    settings.append(f"{parameters['NumberOfRetries']} retries")
                label = "transforms batches" + (f"\n({', '.join(settings)})" if settings else "")
                yield Edge(logical_id, function, label, "call")
        schema = (s3.get("DataFormatConversionConfiguration") or {}).get(
            "SchemaConfiguration"
        ) or {}
        table = _reference(schema.get("TableName"), resources)
        if table in shown:
            yield Edge(logical_id, table, "schema for Parquet", "support")
        log_group = _reference(
            (s3.get("CloudWatchLoggingOptions") or {}).get("LogGroupName"), resources
        )
        if log_group in shown:
            yield Edge(logical_id, log_group, "delivery errors", "support")
    for logical_id, resource in _of_type(resources, "AWS::Kinesis::StreamConsumer"):
        stream = _reference(_props(resource).get("StreamARN"), resources)
        if stream in shown:
            yield Edge(stream, logical_id, "pushes\n(enhanced fan-out)", "data")
    for logical_id, resource in _of_type(resources, "AWS::Glue::Table"):
        database = _reference(_props(resource).get("DatabaseName"), resources)
        if database in shown:
            yield Edge(database, logical_id, "holds", "support")


def _named_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """A named resource (`NAMED_TYPES`) -> each function whose role may read what it holds.

    The grant names the resource (``model-package/<group>/*``), as does the function's
    environment; the label says which variables.
    """
    for resource_id, name in _named(resources).items():
        if resource_id not in shown:
            continue
        members = NAMED_TYPES[resources[resource_id]["Type"]].members
        for logical_id, function in _of_type(resources, "AWS::Lambda::Function"):
            if logical_id not in shown:
                continue
            props = _props(function)
            statements = _role_statements(resources, _reference(props.get("Role"), resources))
            actions = {
                action.split(":", 1)[-1]
                for statement in statements
                if statement.get("Effect", "Allow") == "Allow"
                and any(_mentions(arn, name) for arn in _as_list(statement.get("Resource")))
                for action in _actions(statement)
            }
            if not actions:
                continue
            variables = (props.get("Environment") or {}).get("Variables") or {}
            naming = sorted(key for key, value in variables.items() if _mentions(value, name))
            reads = any(a.startswith(("List", "Describe", "Get")) for a in actions)
            label = (f"reads {members}" if reads else "uses") + (
                f"\n({', '.join(naming)})" if naming else ""
            )
            yield Edge(resource_id, logical_id, label, "data")


#: How the actions a function may take on a runtime resource read on its edge.
_LIFECYCLE_VERBS = (("Create", "creates"), ("Update", "updates"), ("Delete", "deletes"))


def _passes_to(statement: Mapping[str, Any], service: str) -> bool:
    """Whether an ``iam:PassRole`` statement lets the role be passed to `service`."""
    if "iam:PassRole" not in _actions(statement):
        return False
    allowed = [
        value
        for operator in (statement.get("Condition") or {}).values()
        if isinstance(operator, Mapping)
        for key, value in operator.items()
        if key == "iam:PassedToService"
    ]
    return not allowed or any(service in _as_list(value) for value in allowed)


def _runtime_edges(
    resources: Mapping[str, Any], shown: set[str], runtime: list[_Runtime]
) -> Iterator[Edge]:
    """Function -> what it creates at runtime, and what that resource does in turn.

    The resource acts as the role the function may pass to its service (``iam:PassRole`` with
    ``iam:PassedToService``): it reads and writes buckets, pulls images, logs, uses keys.
    """
    for item in runtime:
        for creator in item.creators:
            props = _props(resources[creator])
            statements = [
                s
                for s in _role_statements(resources, _reference(props.get("Role"), resources))
                if s.get("Effect", "Allow") == "Allow"
            ]
            actions: set[str] = set()
            passed: set[str] = set()
            for statement in statements:
                arns = _as_list(statement.get("Resource"))
                if any(_literal_arn_name(a, item.spec.arn_type) == item.name for a in arns):
                    actions.update(a.split(":", 1)[-1] for a in _actions(statement))
                if _passes_to(statement, item.spec.service):
                    passed.update(
                        r
                        for r in references(arns)
                        if resources.get(r, {}).get("Type") == "AWS::IAM::Role"
                    )
            verbs = [
                word for verb, word in _LIFECYCLE_VERBS if any(a.startswith(verb) for a in actions)
            ]
            variables = (props.get("Environment") or {}).get("Variables") or {}
            naming = sorted(key for key, value in variables.items() if value == item.name)
            label = ", ".join(verbs) or "uses"
            if naming:
                label += f"\n({', '.join(naming)})"
            yield Edge(creator, item.node.id, label, "data")
            for role in sorted(passed):
                yield from _acting_as(resources, shown, item.node.id, role)


def _acting_as(
    resources: Mapping[str, Any], shown: set[str], node: str, role: str
) -> Iterator[Edge]:
    """What a resource running as `role` reads, writes and uses, from the role's statements."""
    statements = _role_statements(resources, role)
    allowed = [s for s in statements if s.get("Effect", "Allow") == "Allow"]
    targets = {target for s in allowed for target in references(s.get("Resource"))}
    # Log groups are granted by name (``…:log-group:NAME``, the form IAM matches), not by Ref.
    granted_text = json.dumps([s.get("Resource") for s in allowed])
    targets |= {
        logical_id
        for logical_id, group in _of_type(resources, "AWS::Logs::LogGroup")
        if isinstance(name := _props(group).get("LogGroupName"), str)
        and f"log-group:{name}" in granted_text
    }
    for target in sorted(targets & shown):
        target_type = resources[target]["Type"]
        access = _access(statements, target)
        if target_type == "AWS::S3::Bucket" and access.writes:
            yield Edge(node, target, f"writes {', '.join(sorted(access.write_patterns))}", "data")
        elif target_type == "AWS::S3::Bucket":
            yield Edge(target, node, f"reads {', '.join(sorted(access.read_patterns))}", "data")
        elif target_type == "AWS::ECR::Repository":
            yield Edge(target, node, "pulls images", "data")
        elif target_type == "AWS::KMS::Key":
            yield Edge(node, target, "encrypted with", "support")
        elif target_type == "AWS::Logs::LogGroup":
            yield Edge(node, target, "logs", "support")
        else:
            yield Edge(node, target, "uses", "support")


def _static_folders(prefix: str) -> str:
    """The fixed folders of an S3 prefix before its first `!{...}` expression: ``events/``."""
    fixed = str(prefix).split("!{", 1)[0]
    return fixed[: fixed.rfind("/") + 1]


#: Job arguments Glue itself reads that name scratch space, not the job's data.
_GLUE_SCRATCH_ARGUMENTS = frozenset({"--TempDir", "--spark-event-logs-path"})


def _s3_prefix(value: Any) -> str:
    """The key prefix of an ``s3://bucket/prefix/`` value built with ``Fn::Join``: ``prefix/``."""
    parts = value.get("Fn::Join", ["", []])[1] if isinstance(value, Mapping) else []
    return "".join(p for p in parts[2:] if isinstance(p, str)).lstrip("/")


def _glue_job_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """A job's arguments naming buckets and tables: the data it reads and writes, its catalog."""
    for logical_id, resource in _of_type(resources, "AWS::Glue::Job"):
        props = _props(resource)
        role = _reference(props.get("Role"), resources)
        statements = _role_statements(resources, role)
        named: dict[str, list[str]] = {}
        for name, value in sorted((props.get("DefaultArguments") or {}).items()):
            for target in sorted(references(value) & shown - {logical_id}):
                named.setdefault(target, []).append(name)
        tables = {t for t in named if resources[t]["Type"] == "AWS::Glue::Table"}
        databases_of_tables = {
            _reference(_props(resources[t]).get("DatabaseName"), resources) for t in tables
        }
        for target, names in sorted(named.items()):
            target_type = resources[target]["Type"]
            arguments = f"({', '.join(names)})"
            access = _access(statements, target)
            if target_type == "AWS::S3::Bucket":
                if set(names) <= _GLUE_SCRATCH_ARGUMENTS:
                    prefixes = ", ".join(sorted(access.write_patterns))
                    yield Edge(
                        logical_id, target, f"temporary files {prefixes}\n{arguments}", "support"
                    )
                elif access.writes:
                    prefixes = ", ".join(sorted(access.write_patterns))
                    yield Edge(logical_id, target, f"writes {prefixes}\n{arguments}", "data")
                else:
                    prefixes = ", ".join(sorted(access.read_patterns))
                    yield Edge(target, logical_id, f"read {prefixes}\n{arguments}", "data")
            elif target_type == "AWS::Glue::Table":
                if any("Partition" in a for a in access.write_actions):
                    verb = "adds partitions"
                else:
                    verb = "updates" if access.writes else "reads"
                yield Edge(logical_id, target, f"{verb}\n{arguments}", "catalog")
            elif target not in databases_of_tables:
                yield Edge(logical_id, target, f"uses\n{arguments}", "catalog")


def _glue_catalog_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """Crawlers: bucket -> crawler -> database. Security configurations and Glue's log groups."""
    for logical_id, resource in _of_type(resources, "AWS::Glue::Crawler"):
        props = _props(resource)
        recrawl = (props.get("RecrawlPolicy") or {}).get("RecrawlBehavior")
        for target in (props.get("Targets") or {}).get("S3Targets") or []:
            bucket = _reference(target.get("Path"), resources)
            if bucket in shown:
                label = f"crawls {_s3_prefix(target.get('Path'))}".rstrip()
                if recrawl == "CRAWL_NEW_FOLDERS_ONLY":
                    label += "\n(new folders)"
                yield Edge(bucket, logical_id, label, "catalog")
        database = _reference(props.get("DatabaseName"), resources)
        if database in shown:
            prefix = f" {props['TablePrefix']}*" if props.get("TablePrefix") else ""
            yield Edge(logical_id, database, f"creates tables{prefix}", "catalog")
    runners = [
        (logical_id, resource, key)
        for resource_type, key in (
            ("AWS::Glue::Job", "SecurityConfiguration"),
            ("AWS::Glue::Crawler", "CrawlerSecurityConfiguration"),
        )
        for logical_id, resource in _of_type(resources, resource_type)
    ]
    log_groups = list(_of_type(resources, "AWS::Logs::LogGroup"))
    for logical_id, resource, key in runners:
        props = _props(resource)
        configuration = _reference(props.get(key), resources)
        if configuration in shown:
            yield Edge(logical_id, configuration, "security configuration", "support")
        # With encrypted logs, Glue names a run's log groups after its role (AWS docs).
        role = _reference(props.get("Role"), resources)
        continuous = (
            str((props.get("DefaultArguments") or {}).get("--enable-continuous-cloudwatch-log"))
            == "true"
        )
        for group_id, group in log_groups:
            name = _props(group).get("LogGroupName")
            if role and role in references(name):
                yield Edge(logical_id, group_id, "logs", "support")
            elif continuous and "/aws-glue/jobs/logs-v2" in str(name):
                yield Edge(logical_id, group_id, "continuous logs", "support")
    for logical_id, resource in _of_type(resources, "AWS::Glue::SecurityConfiguration"):
        for key in sorted(references(_props(resource).get("EncryptionConfiguration")) & shown):
            yield Edge(logical_id, key, "encrypted with", "support")


def _glue_trigger_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """Workflow -> its triggers; a trigger's conditions -> trigger -> what it starts."""
    for logical_id, resource in _of_type(resources, "AWS::Glue::Trigger"):
        props = _props(resource)
        workflow = _reference(props.get("WorkflowName"), resources)
        if workflow in shown:
            yield Edge(workflow, logical_id, "holds", "support")
        for action in props.get("Actions") or []:
            for target in sorted(references(action) & shown):
                yield Edge(logical_id, target, "starts", "control")
        for condition in (props.get("Predicate") or {}).get("Conditions") or []:
            state = condition.get("State") or condition.get("CrawlState") or ""
            for source in sorted(references(condition) & shown):
                yield Edge(source, logical_id, f"when {str(state).lower()}".rstrip(), "control")


def _rule_and_query_edges(
    resources: Mapping[str, Any], shown: set[str], runtime: list[_Runtime]
) -> Iterator[Edge]:
    """EventBridge rules: what they watch, invoke, notify and fail over to; workgroup results.

    A rule watches what its pattern references, names (`NAMED_TYPES`), or names in its detail
    by a runtime resource's key (``"EndpointName": ["<name>"]``). A Lambda target is invoked,
    with the target's retry policy; other targets are notified.
    """
    named = {i: name for i, name in _named(resources).items() if i in shown}
    for logical_id, resource in _of_type(resources, "AWS::Events::Rule"):
        props = _props(resource)
        pattern = props.get("EventPattern")
        watched = references(pattern) & shown
        watched |= {i for i, name in named.items() if _mentions(pattern, name)}
        detail = pattern.get("detail") if isinstance(pattern, Mapping) else None
        if isinstance(detail, Mapping):
            watched |= {
                r.node.id for r in runtime if r.name in _as_list(detail.get(r.spec.name_key) or [])
            }
        for target in sorted(watched):
            yield Edge(logical_id, target, "watches", "monitor")
        for target in props.get("Targets") or []:
            destination = _reference(target.get("Arn"), resources)
            if destination in shown and resources[destination]["Type"] == "AWS::Lambda::Function":
                retry = target.get("RetryPolicy") or {}
                settings = []
                if "MaximumRetryAttempts" in retry:
                    settings.append(f"{retry['MaximumRetryAttempts']} retries")
                if "MaximumEventAgeInSeconds" in retry:
                    settings.append(f"max age {_duration(int(retry['MaximumEventAgeInSeconds']))}")
                label = "invokes" + (f"\n({', '.join(settings)})" if settings else "")
                yield Edge(logical_id, destination, label, "control")
            elif destination in shown:
                yield Edge(logical_id, destination, "notifies", "monitor")
            dead_letters = _reference((target.get("DeadLetterConfig") or {}).get("Arn"), resources)
            if dead_letters in shown:
                yield Edge(logical_id, dead_letters, "undelivered events", "failure")
    for logical_id, resource in _of_type(resources, "AWS::Athena::WorkGroup"):
        results = (
            (_props(resource).get("WorkGroupConfiguration") or {}).get("ResultConfiguration") or {}
        ).get("OutputLocation")
        bucket = _reference(results, resources)
        if bucket in shown:
            yield Edge(
                logical_id, bucket, f"query results {_s3_prefix(results)}".rstrip(), "support"
            )


def diagram_edges(template: Template) -> list[Edge]:
    """Every relationship the template states between drawn resources, sorted."""
    resources = template.get("Resources", {})
    shown = {node.id for node in diagram_nodes(template)}
    runtime = _runtime_resources(resources)
    edges = {
        edge
        for edge in (
            *_notification_edges(resources),
            *_environment_edges(resources, shown),
            *_failure_edges(resources),
            *_alarm_edges(resources, shown, runtime),
            *_support_edges(resources, shown),
            *_event_source_edges(resources, shown),
            *_firehose_edges(resources, shown),
            *_glue_job_edges(resources, shown),
            *_glue_catalog_edges(resources, shown),
            *_glue_trigger_edges(resources, shown),
            *_rule_and_query_edges(resources, shown, runtime),
            *_named_edges(resources, shown),
            *_runtime_edges(resources, shown, runtime),
        )
        if edge.source in shown and edge.target in shown
    }
    # A function reading what already feeds it (its trigger's bucket) is one flow, not two.
    feeds = {(e.source, e.target) for e in edges if e.kind == "data" and not _is_env_read(e)}
    return sorted(e for e in edges if not (_is_env_read(e) and (e.source, e.target) in feeds))


def _is_env_read(edge: Edge) -> bool:
    """A read edge drawn because a function's environment names the resource."""
    return edge.kind == "data" and edge.label.startswith("reads\n(")


# --------------------------------------------------------------------------------------------
# DOT


#: Where objects come from: drawn in front of every bucket that notifies a function or queue.
PRODUCER = Kind("any S3 client", "plaintext", "#232f3e", "#ffffff")

#: Where records come from: drawn in front of every stream the stack only reads.
STREAM_PRODUCER = Kind("any Kinesis producer", "plaintext", "#232f3e", "#ffffff")


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _wrap(text: str, width: int = 20) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [text]


def _node_line(node: Node) -> str:
    kind = node.kind
    size = 8 if kind.minor else 10
    rows = [f"<b>{html.escape(line)}</b>" for line in _wrap(node.name)]
    rows.append(f'<font point-size="{size - 1}">{html.escape(kind.label)}</font>')
    rows.extend(
        f'<font point-size="{size - 2}" color="#545b64">{html.escape(d)}</font>'
        for d in node.details
    )
    label = "<" + "<br/>".join(rows) + ">"
    attributes = [
        f"label={label}",
        f"shape={kind.shape}",
        f'color="{kind.color}"',
        f'fillcolor="{kind.fill}"',
        f"fontsize={size}",
    ]
    if kind.style != "filled":
        attributes.append(f'style="{kind.style}"')
    if kind.minor:
        attributes.append("margin=0.05")
    return f"  {_quote(node.id)} [{', '.join(attributes)}];"


def _edge_line(edge: Edge, *, constraint: bool = True) -> str:
    if _is_watch(edge):
        # Next to the alarm, not mid-edge: the edges into a watched function converge there.
        label = f"taillabel={_quote(edge.label)}, labelangle=20, labeldistance=2, labelfontsize=8"
    else:
        label = f"label={_quote(edge.label)}"
    attributes = [label, EDGE_STYLES[edge.kind]]
    if not constraint:
        attributes.append("constraint=false")
    return f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attributes)}];"


def _flow(nodes: list[Node], edges: list[Edge]) -> list[str]:
    """The nodes on the data flow: the ends of "data" edges, drawn in one row."""
    ends = {e.source for e in edges if e.kind == "data"} | {
        e.target for e in edges if e.kind == "data"
    }
    return [n.id for n in nodes if n.id in ends]


#: Where versions come from, and who approves them: in front of a model package group.
REGISTRY_CLIENT = Kind("any SageMaker client", "plaintext", "#232f3e", "#ffffff")

#: Where images come from: in front of an image repository the stack only reads.
IMAGE_PRODUCER = Kind("any Docker client", "plaintext", "#232f3e", "#ffffff")

#: Resources whose data always comes from outside the stack when nothing in it writes them.
_FED_FROM_OUTSIDE = (
    "AWS::Kinesis::Stream",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::ECR::Repository",
)


def _producers(template: Template, edges: list[Edge]) -> list[str]:
    """Buckets, streams, model groups and image repositories whose data comes from outside.

    A bucket that triggers a notification, or that a Glue job or a runtime resource reads; a
    stream, model package group or image repository that is read; and that nothing in the stack
    writes to.
    """
    resources = template.get("Resources", {})
    written = {e.target for e in edges if e.kind == "data"}

    def type_of(logical_id: str) -> str:
        return resources.get(logical_id, {}).get("Type", "")

    return sorted(
        {
            e.source
            for e in edges
            if e.kind == "data"
            and e.source not in written
            and (
                (e.label.startswith("s3:") and type_of(e.source) == "AWS::S3::Bucket")
                or type_of(e.source) in _FED_FROM_OUTSIDE
                or (
                    type_of(e.source) == "AWS::S3::Bucket"
                    and (type_of(e.target) == "AWS::Glue::Job" or e.target.startswith("runtime:"))
                )
            )
        }
    )


def _producer_node(source: str, template: Template) -> Node:
    """The actor outside the stack that feeds a bucket, a stream, a model group or a repository."""
    source_type = template["Resources"][source]["Type"]
    if source_type == "AWS::Kinesis::Stream":
        return Node(f"producer:{source}", "Producer", STREAM_PRODUCER, ("puts records",))
    if source_type == "AWS::SageMaker::ModelPackageGroup":
        return Node(
            f"producer:{source}", "Reviewer", REGISTRY_CLIENT, ("registers, approves versions",)
        )
    if source_type == "AWS::ECR::Repository":
        return Node(f"producer:{source}", "Producer", IMAGE_PRODUCER, ("pushes images",))
    return Node(f"producer:{source}", "Producer", PRODUCER, ("uploads objects",))


def _is_watch(edge: Edge) -> bool:
    return edge.kind == "monitor" and edge.label == "watches"


def diagram_dot(template: Template, title: str) -> str:
    """The Graphviz DOT text of a template's architecture diagram.

    The data flow is one row, left to right (producer -> bucket -> function -> bucket);
    failure handling, monitoring and audit hang below it: DLQs and log groups under their
    function, alarms under what they watch, the alarm topic and its key at the bottom.

    Parameters
    ----------
    template:
        The synthesized CloudFormation template, as parsed JSON.
    title:
        Drawn above the diagram, e.g. "S3 → Lambda event processing (S3EventProcessing)".

    Returns
    -------
    str
        DOT text, deterministic: nodes and edges are sorted, so an unchanged template gives a
        byte-identical file. Edges with ``style=invis`` only steer the layout.

    Example
    -------
    >>> diagram_dot({"Resources": {}}, "empty").startswith("digraph")
    True
    """
    nodes = diagram_nodes(template)
    edges = diagram_edges(template)
    producers = _producers(template, edges)
    flow = _flow(nodes, edges)
    by_id = {node.id: node for node in nodes}
    lines = [
        "digraph architecture {",
        f"  graph [label={_quote(title)}, labelloc=t, fontsize=14, fontname=Helvetica,"
        ' rankdir=TB, newrank=true, nodesep=0.45, ranksep=0.55, pad=0.2, bgcolor="white"];',
        '  node [fontname=Helvetica, style=filled, penwidth=1.2, margin="0.12,0.06"];',
        "  edge [fontname=Helvetica, fontsize=8, arrowsize=0.7];",
    ]
    lines.extend(_node_line(_producer_node(source, template)) for source in producers)
    lines.extend(_node_line(node) for node in nodes)
    row = [f"producer:{source}" for source in producers] + flow
    if row:
        # The data flow is one row: its edges run left to right, everything else hangs below.
        lines.append(f"  {{rank=same; {'; '.join(_quote(i) for i in row)};}}")
    # A small supporting node below the flow (a topic's key) sits beside what it supports.
    for edge in edges:
        if by_id[edge.target].kind.minor and edge.source not in row:
            lines.append(f"  {{rank=same; {_quote(edge.source)}; {_quote(edge.target)};}}")
    lines.extend(
        f"  {_quote('producer:' + source)} -> {_quote(source)} [{EDGE_STYLES['data']}];"
        for source in producers
    )
    # An alarm points up at what it watches; it is laid out below it (the invisible edge).
    lines.extend(_edge_line(e, constraint=not _is_watch(e)) for e in edges)
    lines.extend(
        f"  {_quote(e.target)} -> {_quote(e.source)} [style=invis];" for e in edges if _is_watch(e)
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str) -> bytes:
    """Render DOT text to SVG with Graphviz's ``dot`` (Debian/Ubuntu package ``graphviz``).

    Raises:
        FileNotFoundError: ``dot`` is not installed (``make diagrams`` installs it).
    """
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError("Graphviz 'dot' not found: install graphviz (make diagrams does)")
    result = subprocess.run(
        [dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, check=True
    )
    return result.stdout
