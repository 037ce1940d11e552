"""Shared building blocks: each pattern is a short composition of these.

Each name is imported from its module on first use (PEP 562 ``__getattr__``): a pattern's stack
module loads the building blocks it uses, not every pattern's (each aws-cdk-lib service module a
building block imports costs its load in Python and in the jsii kernel at synthesis).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module under ``refarch.constructs`` that defines it.
_MODULES = {
    "AccessLogBucket": "secure_bucket",
    "acknowledge": "nag",
    "acknowledge_notifications_handler": "bucket_notifications",
    "AlarmTopic": "alarm_topic",
    "AlarmTopicProps": "alarm_topic",
    "alarm_on_failure_queue": "stream_failures",
    "alarm_on_iterator_age": "stream_failures",
    "allow_logs_to_encrypt": "log_encryption",
    "deployment_unique_name": "removal",
    "EndpointRollbackAlarms": "endpoint_alarms",
    "EndpointRollbackAlarmsProps": "endpoint_alarms",
    "FirehoseToS3Alarms": "stream_alarms",
    "GlueEncryption": "glue_encryption",
    "grant_shard_reads": "secure_stream",
    "grant_sagemaker_logs": "sagemaker_logs",
    "GlueFailureAlarms": "glue_alarms",
    "KinesisStreamAlarms": "stream_alarms",
    "ModelPackageGroup": "model_package_group",
    "ModelPackageGroupProps": "model_package_group",
    "ObservedFunction": "observed_function",
    "ObservedFunctionProps": "observed_function",
    "on_failure_queue": "stream_failures",
    "OnFailureQueue": "stream_failures",
    "QueryWorkgroup": "athena_workgroup",
    "QueryWorkgroupProps": "athena_workgroup",
    "S3ToCatalogCrawler": "s3_crawler",
    "S3ToCatalogCrawlerProps": "s3_crawler",
    "SecureBucket": "secure_bucket",
    "SecureBucketProps": "secure_bucket",
    "SecureStream": "secure_stream",
    "SecureStreamProps": "secure_stream",
    "stateful_removal": "removal",
    "StatefulRemoval": "removal",
    "StreamToS3Delivery": "stream_to_s3_delivery",
    "StreamToS3DeliveryProps": "stream_to_s3_delivery",
    "undelivered_events_queue": "event_delivery",
}

__all__ = [
    "AccessLogBucket",
    "AlarmTopic",
    "AlarmTopicProps",
    "EndpointRollbackAlarms",
    "EndpointRollbackAlarmsProps",
    "FirehoseToS3Alarms",
    "GlueEncryption",
    "GlueFailureAlarms",
    "KinesisStreamAlarms",
    "ModelPackageGroup",
    "ModelPackageGroupProps",
    "ObservedFunction",
    "ObservedFunctionProps",
    "OnFailureQueue",
    "QueryWorkgroup",
    "QueryWorkgroupProps",
    "S3ToCatalogCrawler",
    "S3ToCatalogCrawlerProps",
    "SecureBucket",
    "SecureBucketProps",
    "SecureStream",
    "SecureStreamProps",
    "StatefulRemoval",
    "StreamToS3Delivery",
    "StreamToS3DeliveryProps",
    "acknowledge",
    "acknowledge_notifications_handler",
    "alarm_on_failure_queue",
    "alarm_on_iterator_age",
    "allow_logs_to_encrypt",
    "deployment_unique_name",
    "grant_sagemaker_logs",
    "grant_shard_reads",
    "on_failure_queue",
    "stateful_removal",
    "undelivered_events_queue",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})


if TYPE_CHECKING:
    from refarch.constructs.alarm_topic import AlarmTopic, AlarmTopicProps
    from refarch.constructs.athena_workgroup import QueryWorkgroup, QueryWorkgroupProps
    from refarch.constructs.bucket_notifications import acknowledge_notifications_handler
    from refarch.constructs.endpoint_alarms import (
        EndpointRollbackAlarms,
        EndpointRollbackAlarmsProps,
    )
    from refarch.constructs.event_delivery import undelivered_events_queue
    from refarch.constructs.glue_alarms import GlueFailureAlarms
    from refarch.constructs.glue_encryption import GlueEncryption
    from refarch.constructs.log_encryption import allow_logs_to_encrypt
    from refarch.constructs.model_package_group import ModelPackageGroup, ModelPackageGroupProps
    from refarch.constructs.nag import acknowledge
    from refarch.constructs.observed_function import ObservedFunction, ObservedFunctionProps
    from refarch.constructs.removal import StatefulRemoval, deployment_unique_name, stateful_removal
    from refarch.constructs.s3_crawler import S3ToCatalogCrawler, S3ToCatalogCrawlerProps
    from refarch.constructs.sagemaker_logs import grant_sagemaker_logs
    from refarch.constructs.secure_bucket import AccessLogBucket, SecureBucket, SecureBucketProps
    from refarch.constructs.secure_stream import (
        SecureStream,
        SecureStreamProps,
        grant_shard_reads,
    )
    from refarch.constructs.stream_alarms import FirehoseToS3Alarms, KinesisStreamAlarms
    from refarch.constructs.stream_failures import (
        OnFailureQueue,
        alarm_on_failure_queue,
        alarm_on_iterator_age,
        on_failure_queue,
    )
    from refarch.constructs.stream_to_s3_delivery import StreamToS3Delivery, StreamToS3DeliveryProps
