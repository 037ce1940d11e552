"""The nodes: the resources worth drawing, each with the settings a reader should see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from refarch.diagram.model import _GENERIC, KINDS, NAMED_TYPES, Kind, Node, Template
from refarch.diagram.template import (
    _as_list,
    _is_hidden,
    _props,
    _providers,
    _reference,
    _runtime_resources,
    readable_name,
)


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
            resource_type=resource["Type"],
        )
        for logical_id, resource in sorted(resources.items())
        if not _is_hidden(logical_id, resource, providers)
    ] + [runtime.node for runtime in _runtime_resources(resources)]
