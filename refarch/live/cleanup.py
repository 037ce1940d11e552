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


def _sagemaker(operation: str, parameter: str) -> Callable[[Account, str], Any]:
    """Delete a SageMaker resource by its name (the ARN's last part; SageMaker lowercases it).

    An endpoint first: DeleteEndpoint does not delete its configuration or model
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteEndpoint.html).
    """

    def delete(account: Account, arn: str) -> Any:
        name = _resource(arn).split("/", 1)[1]
        return getattr(account.client("sagemaker"), operation)(**{parameter: name})

    return delete


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
    ("sagemaker", "endpoint"): _sagemaker("delete_endpoint", "EndpointName"),
    ("sagemaker", "endpoint-config"): _sagemaker("delete_endpoint_config", "EndpointConfigName"),
    ("sagemaker", "model"): _sagemaker("delete_model", "ModelName"),
    # A version by its ARN (group/version): DeleteModelPackage takes the ARN as its name.
    ("sagemaker", "model-package"): lambda a, arn: a.client("sagemaker").delete_model_package(
        ModelPackageName=arn
    ),
}


def _kind(arn: str) -> tuple[str, str]:
    """Return an ARN's (service, resource type): ``("s3", "")``, ``("lambda", "function")``."""
    service, resource = arn.split(":")[2], _resource(arn)
    for separator in (":", "/"):
        head, found, _ = resource.partition(separator)
        if found and (service, head) in DELETERS:
            return service, head
    return service, ""


def delete_tagged(account: Account, run_id: str) -> Cleanup:
    """Delete every resource tagged with ``run_id``; report what could not be deleted."""
    report = Cleanup()
    for arn in tagged(account, run_id):
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
