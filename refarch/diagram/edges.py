"""The edges: every relationship the template states between drawn resources."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from refarch.diagram.model import NAMED_TYPES, Edge, Template
from refarch.diagram.nodes import _duration, _kind, diagram_nodes
from refarch.diagram.template import (
    _access,
    _access_label,
    _actions,
    _as_list,
    _literal_arn_name,
    _mentions,
    _named,
    _of_type,
    _props,
    _reference,
    _role_statements,
    _Runtime,
    _runtime_resources,
    references,
)


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


#: Rule targets that a rule starts (the control path); the retry policy is shown.
_STARTED_TARGETS = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::StepFunctions::StateMachine",
        "AWS::CodeBuild::Project",
        "AWS::Batch::JobQueue",
        "AWS::ECS::Cluster",
    }
)

#: Rule targets that receive the events as data (a rule routing S3's events onto a queue).
_DATA_TARGETS = frozenset(
    {
        "AWS::SQS::Queue",
        "AWS::Kinesis::Stream",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::Events::EventBus",
    }
)


def _target_edge(rule: str, target: Mapping[str, Any], destination: str, kind: str) -> Edge:
    """The edge from a rule to one target: what the rule does with it, by the target's type."""
    if kind in _STARTED_TARGETS:
        retry = target.get("RetryPolicy") or {}
        settings = []
        if "MaximumRetryAttempts" in retry:
            settings.append(f"{retry['MaximumRetryAttempts']} retries")
        if "MaximumEventAgeInSeconds" in retry:
            settings.append(f"max age {_duration(int(retry['MaximumEventAgeInSeconds']))}")
        verb = "invokes" if kind == "AWS::Lambda::Function" else "starts"
        return Edge(
            rule, destination, verb + (f"\n({', '.join(settings)})" if settings else ""), "control"
        )
    if kind in _DATA_TARGETS:
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        label = "sends events" + (f"\n(message group {group})" if isinstance(group, str) else "")
        return Edge(rule, destination, label, "data")
    return Edge(rule, destination, "notifies", "monitor")


def _rule_and_query_edges(
    resources: Mapping[str, Any], shown: set[str], runtime: list[_Runtime]
) -> Iterator[Edge]:
    """EventBridge rules: what they watch, start, feed, notify and fail over to; workgroups.

    A rule watches what its pattern references, names (`NAMED_TYPES`), or names in its detail
    by a runtime resource's key (``"EndpointName": ["<name>"]``). A function, state machine or
    job target is started, with the target's retry policy; a queue or stream target receives
    the events as data, and then what the rule watches is where that data comes from; other
    targets (a topic) are notified.
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
        targets = []
        for target in props.get("Targets") or []:
            destination = _reference(target.get("Arn"), resources)
            if destination in shown:
                kind = resources[destination]["Type"]
                targets.append(_target_edge(logical_id, target, destination, kind))
            dead_letters = _reference((target.get("DeadLetterConfig") or {}).get("Arn"), resources)
            if dead_letters in shown:
                yield Edge(logical_id, dead_letters, "undelivered events", "failure")
        routes_data = any(edge.kind == "data" for edge in targets)
        for source in sorted(watched):
            if routes_data:
                yield Edge(source, logical_id, "emits events", "data")
            else:
                yield Edge(logical_id, source, "watches", "monitor")
        yield from targets
    for logical_id, resource in _of_type(resources, "AWS::Athena::WorkGroup"):
        results = (
            (_props(resource).get("WorkGroupConfiguration") or {}).get("ResultConfiguration") or {}
        ).get("OutputLocation")
        bucket = _reference(results, resources)
        if bucket in shown:
            yield Edge(
                logical_id, bucket, f"query results {_s3_prefix(results)}".rstrip(), "support"
            )


def _state_machine_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """What a state machine's definition names: functions it invokes, topics it publishes to.

    Anything else the definition names (a bucket, a table) is drawn as used; its logging
    configuration's log group as where it logs.
    """
    for logical_id, resource in _of_type(resources, "AWS::StepFunctions::StateMachine"):
        props = _props(resource)
        named = references(props.get("DefinitionString")) | references(props.get("Definition"))
        for target in sorted((named & shown) - {logical_id}):
            target_type = resources[target]["Type"]
            if target_type == "AWS::Lambda::Function":
                yield Edge(logical_id, target, "invokes", "control")
            elif target_type == "AWS::SNS::Topic":
                yield Edge(logical_id, target, "publishes", "control")
            else:
                yield Edge(logical_id, target, "uses", "support")
        logging = props.get("LoggingConfiguration") or {}
        for log_group in sorted(references(logging.get("Destinations")) & shown):
            yield Edge(logical_id, log_group, "logs", "support")


#: Types whose wiring the functions above read property by property. A drawn resource of any
#: other type still gets an edge to each drawn resource its properties reference ("uses"), so
#: a type no pattern had before is connected without code of its own.
_DERIVED_TYPES = frozenset(
    {
        "AWS::Athena::WorkGroup",
        "AWS::CloudWatch::Alarm",
        "AWS::Events::Rule",
        "AWS::Glue::Crawler",
        "AWS::Glue::Database",
        "AWS::Glue::Job",
        "AWS::Glue::SecurityConfiguration",
        "AWS::Glue::Table",
        "AWS::Glue::Trigger",
        "AWS::Glue::Workflow",
        "AWS::Kinesis::Stream",
        "AWS::Kinesis::StreamConsumer",
        "AWS::KinesisFirehose::DeliveryStream",
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
        "AWS::S3::Bucket",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
        "AWS::StepFunctions::StateMachine",
    }
)


def _reference_edges(resources: Mapping[str, Any], shown: set[str]) -> Iterator[Edge]:
    """A resource of a type not in `_DERIVED_TYPES` -> each drawn resource it references."""
    for logical_id, resource in sorted(resources.items()):
        if logical_id not in shown or resource.get("Type") in _DERIVED_TYPES:
            continue
        for target in sorted((references(_props(resource)) & shown) - {logical_id}):
            yield Edge(logical_id, target, "uses", "support")


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
            *_state_machine_edges(resources, shown),
            *_reference_edges(resources, shown),
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
