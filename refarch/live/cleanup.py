"""Delete what a run left behind, found by its tag; never a resource without that tag.

After ``cdk destroy``, the Resource Groups Tagging API lists every resource still carrying the
run's tag (``GetResources`` with a tag filter,
https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html):
stack resources a failed destroy left, and whatever the scenario created at runtime with
``target.tags``. Each is deleted with its own service's API; a type this module does not know,
or a delete that fails, is reported, not guessed at. The tag is checked once more on each
resource before it is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from refarch.live.account import Account
from refarch.scenarios.target import RUN_TAG

#: How long a KMS key waits before deletion (the minimum; it is not billed meanwhile:
#: https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html).
KMS_PENDING_DAYS = 7


@dataclass
class Cleanup:
    """What the tag-scoped cleanup deleted, and what it could not."""

    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """``<arn>: <why>`` for each tagged resource still there."""


def tagged(account: Account, run_id: str) -> list[str]:
    """ARNs of the resources carrying ``refarch:run-id = run_id`` (and that tag verified)."""
    api = account.client("resourcegroupstaggingapi")
    arns = []
    for page in api.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": RUN_TAG, "Values": [run_id]}]
    ):
        for mapping in page.get("ResourceTagMappingList", []):
            tags = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
            if tags.get(RUN_TAG) == run_id:
                arns.append(mapping["ResourceARN"])
    return arns


def _empty_and_delete_bucket(account: Account, arn: str) -> None:
    s3, bucket = account.client("s3"), arn.split(":::", 1)[1]
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def _delete_queue(account: Account, arn: str) -> None:
    sqs = account.client("sqs")
    _, _, _, _, owner, name = arn.split(":", 5)
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=owner)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)


def _resource(arn: str) -> str:
    return arn.split(":", 5)[5]


#: SageMaker resources a scenario creates at runtime (an endpoint with its configuration and
#: model, model package groups and versions), each deleted by its name. SageMaker ARNs carry the
#: name lowercased (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html),
#: so the name is found by listing; the run's tag is read again (``ListTags``) before deleting.
_SAGEMAKER_LISTERS: dict[str, tuple[str, str, str, str]] = {
    # resource type: (list operation, its result key, the name field, the delete operation)
    "endpoint": ("list_endpoints", "Endpoints", "EndpointName", "delete_endpoint"),
    "endpoint-config": (
        "list_endpoint_configs",
        "EndpointConfigs",
        "EndpointConfigName",
        "delete_endpoint_config",
    ),
    "model": ("list_models", "Models", "ModelName", "delete_model"),
    "model-package-group": (
        "list_model_package_groups",
        "ModelPackageGroupSummaryList",
        "ModelPackageGroupName",
        "delete_model_package_group",
    ),
}


def _delete_sagemaker(account: Account, arn: str) -> None:
    sagemaker = account.client("sagemaker")
    tags = {t["Key"] for t in sagemaker.list_tags(ResourceArn=arn).get("Tags", [])}
    if RUN_TAG not in tags:
        raise PermissionError(f"{arn} does not carry {RUN_TAG}: not deleted")
    kind, _, name = _resource(arn).partition("/")
    if kind == "model-package":  # model-package/<group>/<version>: deleted by its ARN
        sagemaker.delete_model_package(ModelPackageName=arn)
        return
    lister, key, field_name, deleter = _SAGEMAKER_LISTERS[kind]
    found = [
        item[field_name]
        for page in sagemaker.get_paginator(lister).paginate(NameContains=name)
        for item in page.get(key, [])
        if item[field_name].lower() == name.lower()
    ]
    for actual in found or [name]:
        if kind == "endpoint":
            _deregister_scaling(account, actual)
        getattr(sagemaker, deleter)(**{field_name: actual})


def _deregister_scaling(account: Account, endpoint: str) -> None:
    """Deregister an endpoint's autoscaling targets before deleting it.

    Deleting the endpoint deregisters them only if the caller may call DeregisterScalableTarget
    (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-delete-with-scaling.html): done
    first, explicitly. The targets are the endpoint's, which carries the run's tag.
    """
    autoscaling = account.client("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    for target in targets["ScalableTargets"]:
        if target["ResourceId"].startswith(f"endpoint/{endpoint}/variant/"):
            autoscaling.deregister_scalable_target(
                ServiceNamespace="sagemaker",
                ResourceId=target["ResourceId"],
                ScalableDimension=target["ScalableDimension"],
            )


#: The order SageMaker accepts deletes in: an endpoint before its configuration and model, a
#: group's versions before the group (``DeleteModelPackageGroup`` answers ``ConflictException``:
#: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteModelPackageGroup.html).
DELETE_FIRST: dict[tuple[str, str], int] = {
    ("sagemaker", "endpoint"): -3,
    ("sagemaker", "endpoint-config"): -2,
    ("sagemaker", "model-package"): -2,
    ("sagemaker", "model"): -1,
    ("sagemaker", "model-package-group"): 1,
}


def _delete_rule(account: Account, arn: str) -> None:
    """Remove a rule's targets, then the rule.

    A rule's targets must be removed before it can be deleted
    (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DeleteRule.html).
    """
    events = account.client("events")
    path = _resource(arn).split("/", 1)[1]  # rule/<name> (default bus) or rule/<bus>/<name>
    bus, _, name = path.rpartition("/")
    bus = bus or "default"
    targets = events.list_targets_by_rule(Rule=name, EventBusName=bus).get("Targets", [])
    if targets:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=name, EventBusName=bus)


DELETERS: dict[tuple[str, str], Callable[[Account, str], Any]] = {
    ("s3", ""): _empty_and_delete_bucket,
    ("sqs", ""): _delete_queue,
    ("lambda", "function"): lambda a, arn: a.client("lambda").delete_function(FunctionName=arn),
    ("logs", "log-group"): lambda a, arn: a.client("logs").delete_log_group(
        logGroupName=_resource(arn).split(":")[1]
    ),
    ("sns", ""): lambda a, arn: a.client("sns").delete_topic(TopicArn=arn),
    ("cloudwatch", "alarm"): lambda a, arn: a.client("cloudwatch").delete_alarms(
        AlarmNames=[_resource(arn).split(":", 1)[1]]
    ),
    ("kms", "key"): lambda a, arn: a.client("kms").schedule_key_deletion(
        KeyId=arn, PendingWindowInDays=KMS_PENDING_DAYS
    ),
    ("dynamodb", "table"): lambda a, arn: a.client("dynamodb").delete_table(
        TableName=_resource(arn).split("/", 1)[1]
    ),
    ("kinesis", "stream"): lambda a, arn: a.client("kinesis").delete_stream(
        StreamName=_resource(arn).split("/", 1)[1], EnforceConsumerDeletion=True
    ),
    ("firehose", "deliverystream"): lambda a, arn: a.client("firehose").delete_delivery_stream(
        DeliveryStreamName=_resource(arn).split("/", 1)[1]
    ),
    ("lambda", "event-source-mapping"): lambda a, arn: a.client(
        "lambda"
    ).delete_event_source_mapping(UUID=_resource(arn).split(":", 1)[1]),
    **{("sagemaker", kind): _delete_sagemaker for kind in (*_SAGEMAKER_LISTERS, "model-package")},
    # Glue's taggable resources (https://docs.aws.amazon.com/glue/latest/dg/monitor-tags.html);
    # deleting a database deletes its tables and their partitions (DeleteDatabase).
    ("glue", "crawler"): lambda a, arn: a.client("glue").delete_crawler(
        Name=_resource(arn).split("/", 1)[1]
    ),
    ("glue", "job"): lambda a, arn: a.client("glue").delete_job(
        JobName=_resource(arn).split("/", 1)[1]
    ),
    ("glue", "trigger"): lambda a, arn: a.client("glue").delete_trigger(
        Name=_resource(arn).split("/", 1)[1]
    ),
    ("glue", "workflow"): lambda a, arn: a.client("glue").delete_workflow(
        Name=_resource(arn).split("/", 1)[1]
    ),
    ("glue", "database"): lambda a, arn: a.client("glue").delete_database(
        Name=_resource(arn).split("/", 1)[1]
    ),
    ("events", "rule"): _delete_rule,
}


#: What a scenario's run creates at runtime inside a stack's resources, deleted by tag before
#: ``cdk destroy``: SageMaker refuses to delete a model package group that still has versions
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteModelPackageGroup.html),
#: and an endpoint runs on volumes encrypted with the stack's key.
BEFORE_DESTROY = frozenset(
    {
        ("sagemaker", "endpoint"),
        ("sagemaker", "endpoint-config"),
        ("sagemaker", "model"),
        ("sagemaker", "model-package"),
    }
)


def _kind(arn: str) -> tuple[str, str]:
    """Return an ARN's (service, resource type): ``("s3", "")``, ``("lambda", "function")``."""
    service, resource = arn.split(":")[2], _resource(arn)
    for separator in (":", "/"):
        head, found, _ = resource.partition(separator)
        if found and (service, head) in DELETERS:
            return service, head
    return service, ""


def delete_tagged(
    account: Account, run_id: str, *, only: frozenset[tuple[str, str]] | None = None
) -> Cleanup:
    """Delete every resource tagged with ``run_id``; report what could not be deleted.

    ``only`` limits it to those (service, resource type) kinds (``BEFORE_DESTROY``).
    """
    report = Cleanup()
    arns = [a for a in tagged(account, run_id) if only is None or _kind(a) in only]
    for arn in sorted(arns, key=lambda a: DELETE_FIRST.get(_kind(a), 0)):
        deleter = DELETERS.get(_kind(arn))
        if deleter is None:
            report.failed.append(f"{arn}: no deleter for this type; delete it by hand")
            continue
        try:
            deleter(account, arn)
        except Exception as error:  # reported, and the next resource still gets its turn
            if "NotFound" in type(error).__name__ or "does not exist" in str(error):
                continue  # gone already (the tagging index lags deletions)
            report.failed.append(f"{arn}: {error}")
        else:
            report.deleted.append(arn)
    return report
