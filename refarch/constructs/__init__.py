"""Shared building blocks: each pattern is a short composition of these."""

from refarch.constructs.alarm_topic import AlarmTopic, AlarmTopicProps
from refarch.constructs.nag import acknowledge
from refarch.constructs.observed_function import ObservedFunction, ObservedFunctionProps
from refarch.constructs.removal import StatefulRemoval, stateful_removal
from refarch.constructs.secure_bucket import AccessLogBucket, SecureBucket, SecureBucketProps

__all__ = [
    "AccessLogBucket",
    "AlarmTopic",
    "AlarmTopicProps",
    "ObservedFunction",
    "ObservedFunctionProps",
    "SecureBucket",
    "SecureBucketProps",
    "StatefulRemoval",
    "acknowledge",
    "stateful_removal",
]
