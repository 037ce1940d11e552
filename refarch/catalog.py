"""The pattern registry: the one list app.py, the CLI, the docs index and the tests iterate."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_cdk import Stack


@dataclass(frozen=True)
class Pattern:
    """One reference architecture."""

    id: str
    """Stable identifier used on the command line (`-c patterns=<id>`, `refarch demo <id>`)."""

    stack_name: str
    """The CloudFormation stack name, and the name given to `cdk deploy`."""

    stack: str
    """Where the Stack subclass that builds the pattern lives: ``"module:ClassName"`` (or a
    function taking the same arguments that builds it, and any sibling stacks it needs in other
    accounts, and returns the pattern's stack).

    Imported only when the pattern is built, so synthesizing one pattern imports one stack
    module (and the aws-cdk-lib service modules it needs), not every pattern's.
    """

    title: str
    """The architecture in words, e.g. "S3 → Lambda event processing"."""

    summary: str
    """One line: what the pattern shows."""

    references: tuple[str, ...]
    """The public pages a learner should read first (URLs): the AWS documentation of the facts
    the pattern embodies. Every other fact is cited beside the setting that embodies it."""

    needs_java: bool = False
    """True if the local run starts Spark, which needs a Java runtime (see ``java_runtime``)."""

    @property
    def stack_class(self) -> type[Stack]:
        """The Stack subclass, imported on first use."""
        module, _, name = self.stack.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def guide(self) -> str:
        """The worked example, relative to the repository root."""
        return f"docs/patterns/{self.id}.md"


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        id="s3-event-processing",
        stack_name="S3EventProcessing",
        stack="refarch.stacks.s3_event_processing:S3EventProcessingStack",
        title="S3 → Lambda event processing",
        summary=(
            "Uploads under a prefix/suffix filter trigger a streaming Lambda that validates CSV "
            "rows into curated JSON Lines and rejections, with a DLQ, alarms and idempotent output."
        ),
        references=(
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
        ),
    ),
    Pattern(
        id="stream-to-lake",
        stack_name="StreamToLake",
        stack="refarch.stacks.stream_to_lake:StreamToLakeStack",
        title="Kinesis Data Streams → Firehose → S3 (transform Lambda)",
        summary=(
            "Clickstream events on a KMS-encrypted stream are transformed by a Lambda inside "
            "Firehose and land in S3 under Hive-style hourly partitions (GZIP JSON or Parquet), "
            "with failures kept under an error prefix and lag alarms."
        ),
        references=(
            "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html",
            "https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html",
            "https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html",
            "https://docs.aws.amazon.com/firehose/latest/dev/buffering.html",
            "https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html",
        ),
    ),
    Pattern(
        id="glue-partitioned-etl",
        stack_name="GluePartitionedEtl",
        stack="refarch.stacks.glue_partitioned_etl:GluePartitionedEtlStack",
        title="Glue crawler + Spark ETL with partitions",
        summary=(
            "A Glue workflow crawls new raw JSON folders, then a bookmarked PySpark job writes "
            "valid events as Snappy Parquet partitioned by day, quarantines bad rows with a "
            "reason and registers the new partitions; Athena queries them through a "
            "cost-capped workgroup."
        ),
        references=(
            "https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html",
            "https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html",
            "https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html",
            "https://docs.aws.amazon.com/athena/latest/ug/glue-best-practices-partition-index.html",
            "https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html",
        ),
        needs_java=True,
    ),
    Pattern(
        id="approved-model-endpoint",
        stack_name="ApprovedModelEndpoint",
        stack="refarch.stacks.approved_model_endpoint:ApprovedModelEndpointStack",
        title="SageMaker endpoint deployed on model-registry approval",
        summary=(
            "Approving a version in a Model Registry group deploys the group's latest approved "
            "version to a SageMaker endpoint, blue/green with canary traffic shifting and alarm "
            "rollback, data capture and autoscaling; rejecting the live version rolls it back."
        ),
        references=(
            "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-models.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-policy.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html",
        ),
    ),
    Pattern(
        id="staged-model-promotion",
        stack_name="StagedModelPromotion",
        stack="refarch.stacks.staged_model_promotion_app:build_staged_model_promotion",
        title="Model registry approval → staging → test gate → manual promotion → production",
        summary=(
            "An approved version is deployed to a staging endpoint, tested there against "
            "error-rate, p99-latency and accuracy thresholds, promoted by a person through a "
            "Step Functions task token, then rolled out blue/green with alarm rollback."
        ),
        references=(
            "https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html",
            "https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-projects-templates-sm.html",
        ),
    ),
    Pattern(
        id="queue-worker",
        stack_name="QueueWorker",
        stack="refarch.stacks.queue_worker:QueueWorkerStack",
        title="S3 → SQS → Lambda queue worker (partial batch responses)",
        summary=(
            "Uploads are queued by S3 event notifications on a standard queue; Lambda's event "
            "source mapping hands a worker batches, it writes one manifest per object version "
            "and reports only failed messages; poison messages land in a DLQ with their reason; "
            "backlog and message-age alarms."
        ),
        references=(
            "https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-types.html",
        ),
    ),
    Pattern(
        id="model-quality-monitor",
        stack_name="ModelQualityMonitor",
        stack="refarch.stacks.model_quality_monitor:ModelQualityMonitorStack",
        title="SageMaker Model Monitor data quality over captured endpoint traffic",
        summary=(
            "A baseline from the training data per model version, an hourly data-quality "
            "schedule over the endpoint's captured requests (KMS, network isolation), per-feature "
            "drift and completeness alarms, and a retraining event when drift persists."
        ),
        references=(
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html",
            "https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html",
        ),
    ),
    Pattern(
        id="stream-consumer",
        stack_name="StreamConsumer",
        stack="refarch.stacks.stream_consumer:StreamConsumerStack",
        title="Kinesis Data Streams → Lambda consumer (PII scrubbed into DynamoDB once per event)",
        summary=(
            "Lambda's event source mapping reads a KMS-encrypted stream shard by shard; the "
            "consumer drops PII fields and writes each event id once with conditional puts; a "
            "poison record is bisected out and its shard position kept in an on-failure queue; "
            "a second mapping archives the raw stream; iterator-age alarms."
        ),
        references=(
            "https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html",
        ),
    ),
    Pattern(
        id="dynamodb-cdc",
        stack_name="DynamoDbCdc",
        stack="refarch.stacks.dynamodb_cdc:DynamoDbCdcStack",
        title="DynamoDB Streams → Lambda change data capture (change log in S3, aggregate table)",
        summary=(
            "An orders table streams new and old images; Lambda's mapping filters them to inserts "
            "and updates, a consumer appends each change to a daily JSON Lines change log in S3 "
            "and applies it once to a per-customer aggregate (transactions guarded by sequence "
            "number); bisection, bounded retries and an on-failure queue."
        ),
        references=(
            "https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html",
        ),
    ),
)


def get(pattern_id: str) -> Pattern:
    """Look a pattern up by id; the error lists the valid ids."""
    for pattern in PATTERNS:
        if pattern.id == pattern_id:
            return pattern
    known = ", ".join(p.id for p in PATTERNS)
    raise KeyError(f"unknown pattern {pattern_id!r}; known patterns: {known}")


def select(pattern_ids: str | None) -> tuple[Pattern, ...]:
    """The patterns named in a comma-separated list, or all of them when it is empty."""
    if not pattern_ids:
        return PATTERNS
    return tuple(get(p.strip()) for p in pattern_ids.split(",") if p.strip())
