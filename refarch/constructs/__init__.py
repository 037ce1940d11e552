"""Shared building blocks: each pattern is a short composition of these."""

from refarch.constructs.alarm_topic import AlarmTopic, AlarmTopicProps
from refarch.constructs.nag import acknowledge
from refarch.constructs.observed_function import ObservedFunction, ObservedFunctionProps
from refarch.constructs.removal import StatefulRemoval, stateful_removal
from refarch.constructs.secure_bucket import AccessLogBucket, SecureBucket, SecureBucketProps
from refarch.constructs.secure_stream import SecureStream, SecureStreamProps
from refarch.constructs.stream_alarms import FirehoseToS3Alarms, KinesisStreamAlarms
from refarch.constructs.stream_to_s3_delivery import StreamToS3Delivery, StreamToS3DeliveryProps

__all__ = [
    "AccessLogBucket",
    "AlarmTopic",
    "AlarmTopicProps",
    "FirehoseToS3Alarms",
    "KinesisStreamAlarms",
    "ObservedFunction",
    "ObservedFunctionProps",
    "SecureBucket",
    "SecureBucketProps",
    "SecureStream",
    "SecureStreamProps",
    "StatefulRemoval",
    "StreamToS3Delivery",
    "StreamToS3DeliveryProps",
    "acknowledge",
    "stateful_removal",
]
