"""Shared building blocks: each pattern is a short composition of these."""

from refarch.constructs.alarm_topic import AlarmTopic, AlarmTopicProps
from refarch.constructs.athena_workgroup import QueryWorkgroup, QueryWorkgroupProps
from refarch.constructs.bucket_notifications import acknowledge_notifications_handler
from refarch.constructs.endpoint_alarms import EndpointRollbackAlarms, EndpointRollbackAlarmsProps
from refarch.constructs.event_delivery import undelivered_events_queue
from refarch.constructs.glue_alarms import GlueFailureAlarms
from refarch.constructs.glue_encryption import GlueEncryption
from refarch.constructs.log_encryption import allow_logs_to_encrypt
from refarch.constructs.model_package_group import ModelPackageGroup, ModelPackageGroupProps
from refarch.constructs.nag import acknowledge
from refarch.constructs.observed_function import ObservedFunction, ObservedFunctionProps
from refarch.constructs.removal import StatefulRemoval, deployment_unique_name, stateful_removal
from refarch.constructs.s3_crawler import S3ToCatalogCrawler, S3ToCatalogCrawlerProps
from refarch.constructs.secure_bucket import AccessLogBucket, SecureBucket, SecureBucketProps
from refarch.constructs.secure_stream import SecureStream, SecureStreamProps
from refarch.constructs.stream_alarms import FirehoseToS3Alarms, KinesisStreamAlarms
from refarch.constructs.stream_to_s3_delivery import StreamToS3Delivery, StreamToS3DeliveryProps

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
    "allow_logs_to_encrypt",
    "deployment_unique_name",
    "stateful_removal",
    "undelivered_events_queue",
]
