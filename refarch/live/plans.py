"""What a live verification run of each converted pattern creates, costs and takes.

The figures come from each pattern's guide (``docs/patterns/<id>.md``, section Cost), at the
us-east-1 list prices it cites; ``refarch verify`` prints them before asking to deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

#: What a run that serves a model adds (``refarch.live.serving_image``): SageMaker's
#: scikit-learn image copied into the stack's repository through this machine. AWS does not
#: publish the image's size: "about 1-2 GB" is an estimate, not a measured figure. ECR stores it at
#: $0.10 per GB-month (https://aws.amazon.com/ecr/pricing/), a fraction of a cent for the run's
#: hours; the stack's repository is emptied and deleted with the stack.
SERVING_IMAGE_CREATES = (
    "at runtime, through this machine: SageMaker's prebuilt scikit-learn inference image "
    "(sagemaker-scikit-learn:1.2-1-cpu-py3, about 1-2 GB) copied into the stack's ECR "
    "repository once, layer by layer with the ECR API; every model version runs it with its "
    "own code/inference.py"
)
SERVING_IMAGE_COST = (
    "; the image copy's storage in ECR (1-2 GB at $0.10 per GB-month, for the run's hours) is a "
    "fraction of a cent"
)
SERVING_IMAGE_TIME = (
    "; copying the image adds about 5-20 minutes, downloading and uploading 1-2 GB at this "
    "machine's bandwidth"
)


@dataclass(frozen=True)
class LivePlan:
    """What one ``refarch verify <id> --live`` run does to the account."""

    creates: tuple[str, ...]
    """The resources ``cdk deploy`` creates, for people (the template is the authority)."""

    cost: str
    """The estimated cost of one run, with the arithmetic."""

    pricing: tuple[str, ...]
    """The pricing pages the estimate comes from."""

    duration: str
    """How long a run takes, deploy to teardown."""

    teardown: str
    """What teardown deletes, and what (if anything) outlives it."""

    run_context: Callable[[datetime], dict[str, str]] = field(default=lambda _now: {})
    """Context the run deploys with unless the user sets the same key: from the run's start."""

    run_context_why: str = ""
    """Why the run sets that context, printed with it."""


def schedule_away_from(now: datetime) -> dict[str, str]:
    """The Glue workflow's daily schedule, moved to twelve hours after ``now`` (UTC)."""
    return {"schedule": f"cron(0 {(now.hour + 12) % 24} * * ? *)"}


#: Why a Glue verification moves the workflow's schedule: the workflow allows one run at a time
#: (MaxConcurrentRuns 1), so a scheduled run going when the scenario calls StartWorkflowRun
#: fails that call with ConcurrentRunsExceededException (botocore's Glue model lists it), and a
#: scheduled run would also take the scenario's first batch.
GLUE_SCHEDULE_WHY = (
    "so the daily scheduled run cannot start during the scenario's own runs (the workflow "
    "allows one run at a time); -c schedule=... chooses another"
)


PLANS: dict[str, LivePlan] = {
    "s3-event-processing": LivePlan(
        creates=(
            "3 S3 buckets (input, output, access logs), versioned, emptied and deleted on teardown",
            "1 Lambda function (CsvValidator, arm64, 1,769 MB) with its log group and role, plus "
            "CDK's bucket-notifications helper function",
            "1 SQS dead-letter queue, 1 SNS alarm topic with its KMS key, 3 CloudWatch alarms",
        ),
        cost=(
            "under $0.05: the stack's idle cost for about an hour (KMS key $1/month and custom "
            "metrics $0.30 each per month, both prorated hourly; 3 alarms $0.10/month) plus about "
            "20 Lambda invocations and 100 S3 requests, each a fraction of a cent"
        ),
        pricing=(
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/lambda/pricing/",
            "https://aws.amazon.com/s3/pricing/",
        ),
        duration=(
            "about 20 minutes: deploy 3-5, the notification configuration taking effect 5, the "
            "scenario 3-5 (a failed event's two retries take 3), destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes every resource; the KMS key is scheduled for "
            "deletion (7-30 days, not charged meanwhile)"
        ),
    ),
    "dynamodb-cdc": LivePlan(
        creates=(
            "2 DynamoDB tables (orders with a stream, customer totals), on-demand",
            "1 Lambda function (ChangeConsumer) with its log group and role, and its event "
            "source mapping on the orders stream",
            "1 S3 change-log bucket (and its access-log bucket), 1 SQS on-failure queue, "
            "1 SNS alarm topic, 2 KMS keys, 4 CloudWatch alarms",
        ),
        cost=(
            "under $0.02: about an hour of the stack's idle cost (2 KMS keys at $1/month, prorated "
            "hourly; 4 alarms at $0.10/month) plus 14 table writes, their 12 transactions, a few "
            "S3 requests and 7 Lambda invocations, each a fraction of a cent"
        ),
        pricing=(
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/dynamodb/pricing/on-demand/",
            "https://aws.amazon.com/lambda/pricing/",
        ),
        duration=(
            "about 15 minutes: deploy 3-5, the mapping starting and draining the stream 1-5, the "
            "replay seconds, destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes the tables, the bucket (emptied), the queue and "
            "the function; the KMS keys are scheduled for deletion (7-30 days, not charged)"
        ),
    ),
    "stream-consumer": LivePlan(
        creates=(
            "1 Kinesis data stream (2 provisioned shards, 7-day retention) with its KMS key",
            "2 Lambda functions (Scrubber, Archiver) with their log groups and roles, and their "
            "event source mappings on the stream",
            "1 DynamoDB table (on-demand), 1 S3 raw-archive bucket (and its access-log bucket), "
            "1 SQS on-failure queue, 1 SNS alarm topic, 3 KMS keys in all, 9 CloudWatch alarms",
        ),
        cost=(
            "under $0.10: about an hour of the stream (2 shards at $0.015 plus extended retention "
            "at $0.02 per shard-hour, $0.07), its 3 KMS keys and 9 alarms (prorated hourly) plus "
            "2 PutRecords calls, 47 table writes, about 20 invocations and a few S3 requests, "
            "each a fraction of a cent"
        ),
        pricing=(
            "https://aws.amazon.com/kinesis/data-streams/pricing/",
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/dynamodb/pricing/on-demand/",
            "https://aws.amazon.com/lambda/pricing/",
        ),
        duration=(
            "about 20 minutes: deploy 5-8 (the stream and its key), the mappings starting and "
            "reading the stream 1-5, the late events seconds, destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes the stream, the table, the buckets (emptied), the "
            "queue and the functions; the KMS keys are scheduled for deletion (7-30 days, not "
            "charged)"
        ),
    ),
    "stream-to-lake": LivePlan(
        creates=(
            "1 Kinesis data stream (On-demand Standard) encrypted with its own KMS key, and the "
            "producer role the scenario assumes",
            "1 Firehose delivery stream (dynamic partitioning, GZIP) with its source and "
            "destination roles and its log group",
            "1 Lambda function (TransformFunction) with its log group and role",
            "1 S3 lake bucket (and its access-log bucket), 1 SNS alarm topic with its KMS key, "
            "9 CloudWatch alarms",
        ),
        cost=(
            "under $0.10: about an hour of the stack's idle cost (the On-demand Standard stream "
            "at $0.04 per stream-hour, 2 KMS keys at $1/month and 11 custom metrics at "
            "$0.30/month, prorated hourly; 9 alarms at $0.10/month) plus 36 records (Firehose "
            "bills each as 5 KB: 180 KB ingested), 3 invocations and a few S3 requests, each a "
            "fraction of a cent"
        ),
        pricing=(
            "https://aws.amazon.com/kinesis/data-streams/pricing/",
            "https://aws.amazon.com/firehose/pricing/",
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
        ),
        duration=(
            "about 25 minutes: deploy 3-5, two deliveries a buffering interval (5 minutes) "
            "apart 10-12, destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes the streams, the function and the buckets "
            "(emptied); the KMS keys are scheduled for deletion (7-30 days, not charged)"
        ),
    ),
    "model-quality-monitor": LivePlan(
        creates=(
            "1 SageMaker data-quality job definition and its hourly monitoring schedule on the "
            "endpoint named by -c endpoint_name (approved-model-endpoint's by default), with the "
            "baseline and monitoring roles",
            "3 Lambda functions (BaselineStarter, BaselinePromoter, DriftWatcher) with their log "
            "groups, roles and dead-letter queues, and their EventBridge rules",
            "2 S3 buckets (monitoring, capture) and their access-log bucket, 2 KMS keys, 1 SNS "
            "alarm topic, 20 CloudWatch alarms",
            "at runtime: 2 model package groups with one or two versions (tagged with the run "
            "id) and 2 baselining processing jobs on one ml.m5.large each",
        ),
        cost=(
            "under $0.10: 2 baselining jobs of a few minutes on one ml.m5.large processing "
            "instance each (billed per second of instance time), about an hour of the stack's "
            "idle cost (2 KMS keys at $1/month and 20 alarms at $0.10/month, prorated hourly) "
            "plus a few invocations and S3 requests, each a fraction of a cent. Model Monitor is "
            "closed to new customers: an account without it cannot deploy the schedule"
        ),
        pricing=(
            "https://aws.amazon.com/sagemaker/pricing/",
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/lambda/pricing/",
        ),
        duration=(
            "about 30 minutes: deploy 3-5, two baselining jobs 5-10 each (the processing "
            "instance starting included), destroy 3-5; the hourly executions are checked "
            "locally only (they need the endpoint's captured traffic)"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes the schedule, the job definition, the functions "
            "and the buckets (emptied); the model package groups and versions the scenario "
            "registered are deleted by their run tag; processing jobs cannot be deleted (they "
            "end by themselves and cost nothing after); the KMS keys are scheduled for deletion "
            "(7-30 days, not charged)"
        ),
    ),
    "glue-partitioned-etl": LivePlan(
        creates=(
            "3 S3 buckets (raw, curated, Glue scratch) and their access-log bucket, emptied and "
            "deleted on teardown",
            "1 Glue database, curated table (with its partition index), crawler, job (Glue 5.0, "
            "10 G.1X workers), workflow with 2 triggers, security configuration, and their roles",
            "1 Athena workgroup, 1 KMS key for Glue, 1 SNS alarm topic with its KMS key, "
            "EventBridge failure rules, 2 CloudWatch alarms and the Glue log groups",
        ),
        cost=(
            "under $1.00: 2 workflow runs, each a crawl at its 10-minute minimum (2 DPUs, about "
            "$0.15) and a job run of about 2 minutes on at most 10 DPUs (about $0.15 at $0.44 per "
            "DPU-hour); plus about an hour of 2 KMS keys and 2 alarms, prorated hourly, and a few "
            "S3 and Data Catalog requests, each a fraction of a cent"
        ),
        pricing=(
            "https://aws.amazon.com/glue/pricing/",
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/s3/pricing/",
        ),
        duration=(
            "about 30 minutes: deploy 3-5, two workflow runs (a crawl, then the job) 5-10 each, "
            "destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes the buckets (emptied), the Glue resources and the "
            "database with the tables and partitions the crawler and the job added; the KMS keys "
            "are scheduled for deletion (7-30 days, not charged)"
        ),
        run_context=schedule_away_from,
        run_context_why=GLUE_SCHEDULE_WHY,
    ),
    "queue-worker": LivePlan(
        creates=(
            "3 S3 buckets (input, output, access logs), versioned, emptied and deleted on teardown",
            "2 SQS queues (work queue, dead-letter queue), SSE",
            "1 Lambda function (Worker) with its log group, role and event source mapping on the "
            "work queue, plus CDK's bucket-notifications helper function",
            "1 SNS alarm topic with its KMS key, 5 CloudWatch alarms",
        ),
        cost=(
            "under $0.05: about an hour of the stack's idle cost (KMS key $1/month, 5 alarms at "
            "$0.10/month, prorated hourly) plus 12 messages, a few invocations and a few hundred "
            "S3 requests (the waits list and read the manifests), each a fraction of a cent; the "
            "pollers' empty receives while the stack exists, under $0.01 an hour"
        ),
        pricing=(
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/sqs/pricing/",
            "https://aws.amazon.com/lambda/pricing/",
            "https://aws.amazon.com/s3/pricing/",
        ),
        duration=(
            "about 20 minutes: deploy 3-5, the notification configuration taking effect 5, the "
            "scenario 1-3, destroy 3-5"
        ),
        teardown=(
            "cdk destroy -c destroy=true deletes every resource (buckets emptied); the KMS key "
            "is scheduled for deletion (7-30 days, not charged meanwhile)"
        ),
    ),
    "approved-model-endpoint": LivePlan(
        creates=(
            "1 SageMaker model package group, 1 ECR repository, 3 S3 buckets (artifacts, "
            "capture, access logs), 2 KMS keys, 1 Lambda function (the deployer) with its "
            "log group, role and DLQ, 3 EventBridge rules, 1 SNS alarm topic, 8 CloudWatch alarms",
            "at runtime, tagged with the run id: 3 model versions in the stack's group and a "
            "group of another team with 1 version; what the deployer creates: the endpoint "
            "(2 x ml.m5.xlarge), 3 endpoint configurations and 3 models, the autoscaling target",
            SERVING_IMAGE_CREATES,
        ),
        cost=(
            "about $1.50: the endpoint's 2 ml.m5.xlarge instances (about $0.23 per "
            "instance-hour) for about 1.5 hours ($0.69), the green fleet of the two canary "
            "rollouts (2 instances for about 40 minutes each, $0.61), the stack's keys and "
            "alarms prorated hourly, and a few dozen requests, each a fraction of a cent"
            + SERVING_IMAGE_COST
        ),
        pricing=(
            "https://aws.amazon.com/sagemaker/pricing/",
            "https://aws.amazon.com/ecr/pricing/",
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
            "https://aws.amazon.com/lambda/pricing/",
        ),
        duration=(
            "about 90 minutes: deploy 5, the endpoint's creation 5-10, each of the two "
            "blue/green rollouts (canary, 300 s baking, 300 s before the blue fleet ends) 15-25, "
            "the deployer's retries of version 3 3-5, teardown 5-10" + SERVING_IMAGE_TIME
        ),
        teardown=(
            "the endpoint, its configurations and models and the model versions (found by the "
            "run's tag) are deleted, then cdk destroy -c destroy=true deletes the stack; the KMS "
            "keys are scheduled for deletion (7-30 days, not charged)"
        ),
    ),
    "staged-model-promotion": LivePlan(
        creates=(
            "1 Step Functions state machine (Standard) with its log group, role and the "
            "EventBridge rule that starts it on an approval, 1 SNS approval topic with its KMS key",
            "3 Lambda functions (production deployer, staging deployer, gate) with their log "
            "groups and roles, 1 SageMaker model package group, 1 ECR repository",
            "4 S3 buckets (artifacts, data capture, gate data, access logs), 1 SQS dead-letter "
            "queue, 1 SNS alarm topic, 3 KMS keys in all, about 14 CloudWatch alarms",
            "at runtime: 8 model package versions (tagged with the run id), and the deployers' "
            "SageMaker models, endpoint configurations and 2 endpoints: staging (1 x "
            "ml.m5.large) and production (2 x ml.m5.xlarge, plus the green fleet in a rollout)",
            SERVING_IMAGE_CREATES,
        ),
        cost=(
            "about $2-4: 3 hours of the two endpoints at on-demand prices of $0.1-0.25 per "
            "instance-hour (staging 1 instance, production 2, and 2 more during each of the 2 "
            "rollouts), plus the stack's idle cost (3 KMS keys at $1/month and the alarms, "
            "prorated hourly) and about 250 state transitions, each a fraction of a cent"
            + SERVING_IMAGE_COST
        ),
        pricing=(
            "https://aws.amazon.com/sagemaker/pricing/",
            "https://aws.amazon.com/step-functions/pricing/",
            "https://aws.amazon.com/ecr/pricing/",
            "https://aws.amazon.com/kms/pricing/",
            "https://aws.amazon.com/cloudwatch/pricing/",
        ),
        duration=(
            "about 3 hours: deploy 5-8, each of 7 approvals updating staging and running the "
            "gate 10-15, two production rollouts with their canary baking 15-20 each, "
            "teardown of the endpoints and the stack 10-15" + SERVING_IMAGE_TIME
        ),
        teardown=(
            "the endpoints, endpoint configurations and models the deployers created (tagged "
            "with the run id by the scenario) and the model package versions it registered are "
            "deleted by that tag, then cdk destroy -c destroy=true deletes the stack; the KMS "
            "keys are scheduled for deletion (7-30 days, not charged)"
        ),
    ),
}
