"""Glue crawler + Spark ETL: raw files → curated Parquet partitioned by day, queryable in Athena.

Clickstream events land under ``raw/`` as JSON Lines. On a schedule, a Glue workflow runs a
crawler that catalogs the new folders (incremental crawls:
https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html), then, if the crawl
succeeded, a PySpark job that reads the files added since its last run (job bookmarks:
https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html), writes valid rows as
Snappy Parquet under ``year=/month=/day=`` and rejected rows under ``quarantine/``, and adds the
new partitions to the curated table itself, keeping the table's schema (the catalog update
from a job: https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html). Athena queries
the curated table through a workgroup that enforces encrypted results and a per-query scan
limit (https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
"""

import json
from dataclasses import dataclass, replace
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from refarch import REPO_ROOT
from refarch.constructs import (
    AccessLogBucket,
    AlarmTopic,
    AlarmTopicProps,
    GlueEncryption,
    GlueFailureAlarms,
    QueryWorkgroup,
    QueryWorkgroupProps,
    S3ToCatalogCrawler,
    S3ToCatalogCrawlerProps,
    SecureBucket,
    SecureBucketProps,
    acknowledge,
)
from refarch.constructs.glue_code import GlueObjectCode
from refarch.constructs.glue_encryption import REAL_TIME_LOGGING_GLUE_VERSION
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.iam_wildcards import acknowledge_wildcard
from refarch.constructs.s3_object_grants import grant_list_bucket, grant_object_actions
from refarch.constructs.server_side_encrypted_table import declare_server_side_encrypted

#: The job's directory: the entry point ``job.py`` and the modules it imports.
JOB_DIR = REPO_ROOT / "glue" / "raw_to_curated"

#: Where producers put files, one folder per arrival batch (the crawler reads new folders only).
RAW_PREFIX = "raw/"
#: Where the job writes the curated table's Parquet files, under ``year=/month=/day=``.
CURATED_PREFIX = "curated/"
#: Where the job writes rows it rejects, with the reason: bad input is kept, never dropped.
QUARANTINE_PREFIX = "quarantine/"
#: Spark's and Glue's temporary files (``--TempDir``), expired after a week.
TEMP_PREFIX = "glue-temp/"
#: Athena query results, expired after a month.
RESULTS_PREFIX = "athena-results/"
#: The crawler's tables are named ``raw_<folder>``, apart from the curated table.
RAW_TABLE_PREFIX = "raw_"

#: Time-based partition keys, Hive-style, UTC: ``year=2024/month=05/day=01`` ("A common
#: practice is to partition the data based on time, often leading to a multi-level
#: partitioning scheme": Athena, "Optimize your tables",
#: https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-s3-throttling-optimizing-your-tables.html).
#: Zero-padded strings, as the job writes them
#: (``event_schema.PARTITION_COLUMNS``): they sort like the dates they name, so range filters
#: (``month BETWEEN '03' AND '05'``) select the right days, and the partition index accepts
#: string keys (https://docs.aws.amazon.com/glue/latest/dg/partition-indexes.html).
PARTITION_KEYS = ("year", "month", "day")

#: The curated table's data columns, as the job writes them (``event_schema.CURATED_SCHEMA``;
#: a test keeps the two in step). Clickstream events, as the stream-to-lake pattern lands them.
CURATED_COLUMNS: tuple[tuple[str, glue.Type, str], ...] = (
    ("event_id", glue.Schema.STRING, "The producer's id of the event: the deduplication key"),
    ("event_type", glue.Schema.STRING, "page_view, click, add_to_cart or purchase"),
    ("event_time", glue.Schema.TIMESTAMP, "When the event happened (UTC): the partition"),
    ("user_key", glue.Schema.STRING, "The pseudonymised user id"),
    ("session_id", glue.Schema.STRING, "The browsing session, when known"),
    ("page", glue.Schema.STRING, "The page the event happened on, when known"),
    ("ingested_at", glue.Schema.TIMESTAMP, "When the record reached the stream (UTC)"),
)

#: Flex runs on spare capacity: "Flexible job runs are supported for jobs using AWS Glue version
#: 3.0 or later and G.1X or G.2X worker types" (Glue job properties,
#: https://docs.aws.amazon.com/glue/latest/dg/add-job.html). The local Glue refuses any other
#: Flex job when it is created (``refarch.local.provisioners.glue``).
FLEX_MIN_GLUE_VERSION = (3, 0)
FLEX_WORKER_TYPES = (glue.WorkerType.G_1X, glue.WorkerType.G_2X)

#: Auto scaling "is available for your AWS Glue ETL, interactive sessions, and streaming jobs
#: with AWS Glue version 3.0 or later", on G and R workers, G.025X for streaming jobs only, and
#: not on Standard (https://docs.aws.amazon.com/glue/latest/dg/auto-scaling.html). The job always
#: scales (Standard and Flex alike), so these are checked for every job; the local job run
#: refuses to start otherwise (``refarch.local.sources.glue_job``).
AUTO_SCALING_MIN_GLUE_VERSION = (3, 0)
AUTO_SCALING_WORKER_TYPES = tuple(
    w
    for w in glue.WorkerType
    if w.name.startswith(("G_", "R_")) and w is not glue.WorkerType.G_025X
)

#: Context keys a deployer sets with `cdk deploy -c <key>=<value>` (the app builds the stack
#: without props): `-c flex=true`, `-c worker_type=G.2X`, `-c workers=4`,
#: `-c glue_version=4.0`, `-c schedule='cron(0 3 * * ? *)'`.
CONTEXT_FLEX = "flex"
CONTEXT_WORKER_TYPE = "worker_type"
CONTEXT_WORKERS = "workers"
CONTEXT_GLUE_VERSION = "glue_version"
CONTEXT_SCHEDULE = "schedule"

#: What the job does in the Data Catalog: read the curated table's definition and add the
#: partitions it wrote (``curated_catalog.register_partitions``); it never changes the table.
JOB_CATALOG_ACTIONS = ("glue:GetTable", "glue:BatchCreatePartition")


def glue_version_number(version: glue.GlueVersion) -> tuple[int, int]:
    """The version as numbers, e.g. ``GlueVersion.V5_0`` → ``(5, 0)``."""
    major, minor = version.name.removeprefix("V").split("_")
    return int(major), int(minor)


def check_flex(glue_version: glue.GlueVersion, worker_type: glue.WorkerType) -> None:
    """Raise ``ValueError`` unless Flex can run this Glue version on this worker type."""
    if glue_version_number(glue_version) < FLEX_MIN_GLUE_VERSION or (
        worker_type not in FLEX_WORKER_TYPES
    ):
        raise ValueError(
            "the Flex execution class needs Glue 3.0 or later and G.1X or G.2X workers "
            "(https://docs.aws.amazon.com/glue/latest/dg/add-job.html); got "
            f"glue_version={glue_version.name}, worker_type={worker_type.name}"
        )


def check_auto_scaling(glue_version: glue.GlueVersion, worker_type: glue.WorkerType) -> None:
    """Raise ``ValueError`` unless Glue auto scaling works for this version and worker type."""
    if glue_version_number(glue_version) < AUTO_SCALING_MIN_GLUE_VERSION or (
        worker_type not in AUTO_SCALING_WORKER_TYPES
    ):
        raise ValueError(
            "Glue auto scaling needs Glue 3.0 or later and G or R workers (not Standard, G.025X "
            "for streaming only: https://docs.aws.amazon.com/glue/latest/dg/auto-scaling.html); "
            f"got glue_version={glue_version.name}, worker_type={worker_type.name}"
        )


@dataclass(frozen=True)
class GluePartitionedEtlProps:
    """What a deployer may change; the defaults are production-sane."""

    glue_version: glue.GlueVersion = glue.GlueVersion.V5_0
    """The Glue runtime: 5.0 runs Spark 3.5.4 on Python 3.11
    (https://docs.aws.amazon.com/glue/latest/dg/release-notes.html). Pinned to 5.0, not the
    newer 5.1 (Spark 3.5.6, Python 3.11) or 6.0 (Spark 4.1.1, Python 3.13), because the tests
    and the local run execute the job's modules on ``pyspark==3.5.4``, Glue 5.0's Spark: what
    is tested is what runs. Moving to 5.1 is a patch release of the same Spark and Python;
    moving to 6.0 means Spark 4 and Python 3.13, so the local pyspark pin, and the job's
    Spark and ``awsglue`` calls, would have to be re-checked first.

    @default - 5.0
    """

    worker_type: glue.WorkerType = glue.WorkerType.G_1X
    """G.1X: 1 DPU per worker, and a DPU is 4 vCPU and 16 GB of memory; G.2X is 2 DPUs, for
    wide rows or large shuffles (worker types:
    https://docs.aws.amazon.com/glue/latest/dg/add-job.html).

    @default - G.1X
    """

    workers: int = 10
    """The most workers a run may use. Runs use Glue auto scaling, Standard and Flex alike,
    which adds and removes workers up to this number as the work needs
    (https://docs.aws.amazon.com/glue/latest/dg/auto-scaling.html), so it caps cost rather than
    sets it. Spark jobs need at least 2 DPUs and default to 10, billed at $0.44 per DPU-hour
    in us-east-1 (https://aws.amazon.com/glue/pricing/): a 15-minute run on 10 G.1X workers
    costs at most 10 x 1/4 x $0.44 = $1.10 (the pricing page works the same sum for 6 DPUs:
    $0.66).

    @default - 10
    """

    flex: bool = False
    """Run on spare capacity with the Flex execution class: cheaper, but start and run times
    "can vary because spare compute resources aren't readily available and can be reclaimed
    during the run of a job"; it suits "non-urgent or non-time sensitive data integration
    workloads such as testing, and one-time data loads" (the launch post cited below). Needs
    Glue 3.0+ and G.1X or G.2X (checked; job properties:
    https://docs.aws.amazon.com/glue/latest/dg/add-job.html). Flex runs scale like
    Standard ones: "Regardless of the run option used, AWS Glue jobs have the same capabilities,
    including ... Glue Auto Scaling" (AWS Big Data Blog, a launch post rather than the service
    guide: https://aws.amazon.com/blogs/big-data/introducing-aws-glue-flex-jobs-cost-savings-on-etl-workloads/).
    Set with ``-c flex=true``.

    @default - False: Standard, which starts immediately with consistent run times
    """

    timeout: Duration = Duration.hours(2)
    """A run still going after this is stopped as TIMEOUT, which alarms. A daily increment
    takes minutes; Glue's own default is 2,880 minutes (48 hours:
    https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html), i.e. two days of
    DPU-hours billed for a stuck run.

    @default - 2 hours
    """

    max_retries: int = 1
    """Automatic retries of a failed run. One absorbs a transient failure (Flex capacity
    "reclaimed during the run of a job", see ``flex``; a lost executor) without a
    page-out for the rerun; a second failure in a row is not transient. A retry is harmless:
    the failed run's bookmark was not committed, so the retry reads the same files, and the job
    drops events already curated (by ``event_id``), so nothing the failed attempt wrote is
    written twice. Each failed attempt still raises the failure alarm.

    @default - 1
    """

    schedule: str = "cron(0 2 * * ? *)"
    """When the workflow starts (crawl, then the job): Glue cron syntax, UTC
    (https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html); a
    workflow's schedule start trigger
    (https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html).

    @default - daily at 02:00 UTC
    """

    bytes_scanned_cutoff_per_query: int = QueryWorkgroupProps.bytes_scanned_cutoff_per_query
    """Athena cancels a query in the workgroup once it has scanned this many bytes.

    @default - 10 GiB
    """

    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    """How long the job's and the crawler's logs are kept.

    @default - one month
    """

    raw_infrequent_access_after: Duration = Duration.days(30)
    """Raw files move to Standard-IA after this: the job reads each file once (bookmarks), so
    they are cold after the first run. S3 requires 30 days in Standard first
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html).

    @default - 30 days
    """

    alarm_email: str | None = None
    """Subscribed to the alarm topic when given."""

    def __post_init__(self) -> None:
        if self.flex:
            check_flex(self.glue_version, self.worker_type)
        check_auto_scaling(self.glue_version, self.worker_type)
        # Spark jobs need at least 2 DPUs (https://aws.amazon.com/glue/pricing/).
        if self.workers < 2:
            raise ValueError(f"a Spark job needs at least 2 workers, got {self.workers}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries cannot be negative, got {self.max_retries}")

    @classmethod
    def from_context(cls, scope: Construct) -> "GluePartitionedEtlProps":
        """The defaults, with the switches a deployer set as CDK context (``-c key=value``)."""
        changes: dict[str, Any] = {}
        flex = scope.node.try_get_context(CONTEXT_FLEX)
        if flex is not None:
            changes["flex"] = str(flex).lower() == "true"
        worker_type = scope.node.try_get_context(CONTEXT_WORKER_TYPE)
        if worker_type:
            changes["worker_type"] = glue.WorkerType[str(worker_type).upper().replace(".", "_")]
        workers = scope.node.try_get_context(CONTEXT_WORKERS)
        if workers is not None:
            changes["workers"] = int(workers)
        version = scope.node.try_get_context(CONTEXT_GLUE_VERSION)
        if version:
            changes["glue_version"] = glue.GlueVersion["V" + str(version).replace(".", "_")]
        schedule = scope.node.try_get_context(CONTEXT_SCHEDULE)
        if schedule:
            changes["schedule"] = str(schedule)
        return replace(cls(), **changes)


class GluePartitionedEtlStack(Stack):
    """Crawl the raw zone, then transform new raw files into partitioned, catalogued Parquet.

    Props come from the ``props`` argument or, when the app builds the stack (``cdk deploy``),
    from the context switches ``-c flex=true``, ``-c worker_type=<G.1X|G.2X|...>``,
    ``-c workers=<n>``, ``-c glue_version=<x.y>`` and ``-c schedule=<cron(...)>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: GluePartitionedEtlProps | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = props or GluePartitionedEtlProps.from_context(self)
        self.props = props

        alarms = AlarmTopic(self, "Alarms", props=AlarmTopicProps(email=props.alarm_email))
        access_logs = AccessLogBucket(self, "AccessLogs")
        self.raw = SecureBucket(
            self,
            "Raw",
            access_logs=access_logs,
            props=SecureBucketProps(
                access_logs_prefix="raw/",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="raw-files-go-cold",
                        prefix=RAW_PREFIX,
                        transitions=[
                            s3.Transition(
                                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                transition_after=props.raw_infrequent_access_after,
                            )
                        ],
                    )
                ],
            ),
        )
        self.curated = SecureBucket(
            self,
            "Curated",
            access_logs=access_logs,
            props=SecureBucketProps(access_logs_prefix="curated/"),
        )
        # Transient data only: everything in it expires.
        self.scratch = SecureBucket(
            self,
            "Scratch",
            access_logs=access_logs,
            props=SecureBucketProps(
                access_logs_prefix="scratch/",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="expire-glue-temp", prefix=TEMP_PREFIX, expiration=Duration.days(7)
                    ),
                    s3.LifecycleRule(
                        id="expire-query-results",
                        prefix=RESULTS_PREFIX,
                        expiration=Duration.days(30),
                    ),
                ],
            ),
        )

        self.database = glue.Database(
            self,
            "Catalog",
            description="The raw zone as crawled, and the curated table the ETL job maintains",
            # Metadata only, rebuilt from this code, the crawler and MSCK REPAIR TABLE (the
            # keys are Hive-style: https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html);
            # the data stays in the
            # retained buckets. Retaining it would make a redeploy collide with its fixed name.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.curated_table = self._curated_table()
        self.encryption = GlueEncryption(self, "GlueEncryption", log_retention=props.log_retention)

        self.crawler = S3ToCatalogCrawler(
            self,
            "RawCrawler",
            bucket=self.raw.bucket,
            database=self.database,
            encryption=self.encryption,
            props=S3ToCatalogCrawlerProps(prefix=RAW_PREFIX, table_prefix=RAW_TABLE_PREFIX),
        )
        self.job_role = self._job_role()
        self.job = self._job(props)

        self.workflow = self._workflow(props)
        GlueFailureAlarms(
            self,
            "FailureAlarms",
            job=self.job,
            crawler_name=self.crawler.crawler_name,
            alarms=alarms,
        )
        self.workgroup = QueryWorkgroup(
            self,
            "Queries",
            results_bucket=self.scratch.bucket,
            props=QueryWorkgroupProps(
                results_prefix=RESULTS_PREFIX,
                bytes_scanned_cutoff_per_query=props.bytes_scanned_cutoff_per_query,
            ),
        )

        CfnOutput(self, "RawBucketName", value=self.raw.bucket.bucket_name)
        CfnOutput(
            self,
            "RawLandingPrefix",
            value=self.raw.bucket.s3_url_for_object(RAW_PREFIX),
            description="Put JSON Lines files here, one folder per batch (raw/<batch>/...)",
        )
        CfnOutput(self, "CuratedBucketName", value=self.curated.bucket.bucket_name)
        CfnOutput(self, "DatabaseName", value=self.database.database_name)
        CfnOutput(self, "CuratedTableName", value=self.curated_table.table_name)
        CfnOutput(self, "JobName", value=self.job.job_name)
        CfnOutput(self, "CrawlerName", value=self.crawler.crawler_name)
        CfnOutput(self, "WorkflowName", value=self.workflow.workflow_name)
        CfnOutput(self, "WorkgroupName", value=self.workgroup.workgroup_name)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)

    def _curated_table(self) -> glue.S3Table:
        """The curated table: Snappy Parquet, partitioned by day, with a partition index.

        The job registers each partition it writes (catalog update), so the Data Catalog is
        the one list of partitions, for Athena and for any other engine (Redshift Spectrum,
        EMR, the next Glue job). Athena prunes partitions from it: "When you filter on partition key
        columns, only data from matching partitions is read"
        (https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-data-optimization-techniques.html).
        As days accumulate, listing them all gets slow, and the partition index lets the
        catalog return only the partitions a query's filter selects instead of loading all
        of them (https://docs.aws.amazon.com/glue/latest/dg/partition-indexes.html; Athena uses
        it with partition filtering on:
        https://docs.aws.amazon.com/athena/latest/ug/glue-best-practices-partition-index.html).

        Not partition projection: Athena ignores the catalog's partitions for a projected
        table (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html), so
        the partitions the job registers would serve every engine but Athena, and the
        projection's ranges and formats would be a second description of the layout to keep in
        step with the job's output. Projection's other benefit, automated partition management
        (same page), the job's catalog update already provides.
        """
        table = glue.S3Table(
            self,
            "CuratedTable",
            database=self.database,
            description="Curated clickstream events, Snappy Parquet partitioned by UTC day",
            storage=glue.S3TableStorage.from_bucket(self.curated.bucket),
            s3_prefix=CURATED_PREFIX,
            columns=[glue.Column(name=n, type=t, comment=c) for n, t, c in CURATED_COLUMNS],
            partition_keys=[glue.Column(name=k, type=glue.Schema.STRING) for k in PARTITION_KEYS],
            # Columnar and compressed: Athena reads only the columns a query needs
            # (https://docs.aws.amazon.com/athena/latest/ug/columnar-storage.html).
            data_format=glue.DataFormat.PARQUET,
            compressed=True,
            parameters={"parquet.compression": "SNAPPY"},
            partition_indexes=[
                glue.PartitionIndex(index_name="by_day", key_names=list(PARTITION_KEYS))
            ],
            # Athena uses the index only with partition filtering on
            # (https://docs.aws.amazon.com/athena/latest/ug/glue-best-practices-partition-index.html).
            enable_partition_filtering=True,
        )
        # The files are SSE-S3: the table must not claim client-side encryption.
        declare_server_side_encrypted(table)
        self._acknowledge_partition_index_provider()
        return table

    def _acknowledge_partition_index_provider(self) -> None:
        """Findings on the custom resource aws-cdk-lib adds to create the partition index.

        CloudFormation's ``AWS::Glue::Table`` has no partition-index property, so the L2 creates
        the index through a custom-resource provider (two handlers, the provider framework's
        functions and a Step Functions waiter for the index's backfill), whose code and roles
        it owns.
        """
        (provider,) = (
            child for child in self.node.children if "PartitionIndexProvider" in child.node.id
        )
        for construct_id in ("Handler", "IsComplete", "Provider"):
            acknowledge(
                provider.node.find_child(construct_id),
                "AwsSolutions-IAM4",
                "aws-cdk-lib's partition-index provider gives its functions "
                "AWSLambdaBasicExecutionRole for their own logs; their roles are not "
                "configurable.",
                findings=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole"
                ],
            )
        framework = provider.node.find_child("Provider")
        acknowledge(
            framework,
            "AwsSolutions-IAM5",
            "The custom-resource provider framework invokes its handler functions by ARN with "
            "any version or alias suffix (`:*`); aws-cdk-lib generates these grants.",
            findings=[
                f"Resource::<{self.get_logical_id(provider.node.find_child(name).node.default_child)}"
                ".Arn>:*"
                for name in ("Handler", "IsComplete")
            ]
            + [
                f"Resource::<{self.get_logical_id(fn.node.default_child)}.Arn>:*"
                for fn in (
                    framework.node.find_child(n)
                    for n in ("framework-isComplete", "framework-onTimeout")
                )
            ],
        )
        waiter = framework.node.find_child("waiter-state-machine")
        for rule, reason in (
            (
                "AwsSolutions-SF1",
                "The provider framework's waiter only polls the index backfill during a deploy; "
                "its steps are visible in the CloudFormation events, and aws-cdk-lib does not "
                "expose its logging.",
            ),
            (
                "AwsSolutions-SF2",
                "The provider framework's waiter only polls the index backfill during a deploy; "
                "aws-cdk-lib does not expose its tracing, and there is no request path to trace.",
            ),
        ):
            acknowledge(waiter, rule, reason)

    def _job_role(self) -> iam.Role:
        """The job's identity: read the raw prefix, write the curated and quarantine prefixes."""
        role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Glue ETL job: reads raw files, writes curated Parquet and its partitions",
        )
        # Spark lists the raw prefix and reads its files; it writes the curated and quarantine
        # prefixes and its TempDir through temporary objects it reads back and deletes, and
        # uploads large files in parts (AWS docs: job targets need s3:DeleteObject,
        # https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html).
        grant_object_actions(self.raw.bucket, role, f"{RAW_PREFIX}*", ["s3:GetObject"])
        written = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        for prefix in (CURATED_PREFIX, QUARANTINE_PREFIX):
            grant_object_actions(self.curated.bucket, role, f"{prefix}*", written)
        grant_object_actions(self.scratch.bucket, role, f"{TEMP_PREFIX}*", written)
        for bucket in (self.raw.bucket, self.curated.bucket, self.scratch.bucket):
            grant_list_bucket(bucket, role)
        acknowledge_unexercised(
            role,
            ["s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            "Spark in Glue writes through temporary objects it reads back and deletes, and "
            "uploads large files in parts (AWS docs: job targets need s3:DeleteObject); the "
            "local job writes each output file once with PutObject",
        )
        acknowledge_unexercised(
            role,
            ["kms:GenerateDataKey"],
            "The security configuration's key actions Glue documents for its roles "
            "(https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html); "
            "the local job encrypts its bookmark with Encrypt while it fits in 4 KB and envelopes "
            "it with GenerateDataKey only when larger, which the scenario's bookmark never is",
        )
        self.curated_table.grant_to_underlying_resources(role, list(JOB_CATALOG_ACTIONS))
        # `--enable-metrics` and observability metrics: PutMetricData has no resource-level
        # permissions, so scope it to Glue's namespace with the `cloudwatch:namespace` condition
        # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            )
        )
        acknowledge_wildcard(
            role,
            ["cloudwatch:PutMetricData"],
            "Metrics go to one namespace, which the condition fixes; PutMetricData's only "
            "resource type is a CloudWatch dataset, which this role does not publish to.",
        )
        return role

    def _job(self, props: GluePartitionedEtlProps) -> glue.JobBase:
        """The PySpark job: Standard or Flex, bookmarked, logged, metered, encrypted."""
        role = self.job_role
        continuous_logging = (
            glue_version_number(props.glue_version) < REAL_TIME_LOGGING_GLUE_VERSION
        )
        self.job_log_groups = self.encryption.job_log_groups(
            "JobLogs", role, continuous_logging=continuous_logging
        )
        # The entry point, and the modules it imports zipped: Glue puts the `--extra-py-files`
        # zip on the Python path (job parameters:
        # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html).
        # Referenced by bucket and key, so the role may read these two objects only (an
        # asset's own grant covers the whole bootstrap bucket).
        script = s3_assets.Asset(self, "JobScript", path=str(JOB_DIR / "job.py"))
        modules = s3_assets.Asset(
            self,
            "JobModules",
            path=str(JOB_DIR),
            exclude=["job.py", "**/__pycache__", "**/*.pyc"],
        )
        arguments = {
            "--raw_path": self.raw.bucket.s3_url_for_object(RAW_PREFIX),
            "--curated_path": self.curated.bucket.s3_url_for_object(CURATED_PREFIX),
            "--quarantine_path": self.curated.bucket.s3_url_for_object(QUARANTINE_PREFIX),
            "--database": self.database.database_name,
            "--table": self.curated_table.table_name,
            # The files under the raw prefix that are not data, the crawler's list: the job's
            # reader skips them too (Glue S3 connection option `exclusions`, a JSON list).
            "--exclusions": json.dumps(list(self.crawler.props.exclusions)),
            # Incremental: each run reads only the raw files added since the last successful
            # one (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html).
            "--job-bookmark-option": "job-bookmark-enable",
            "--TempDir": self.scratch.bucket.s3_url_for_object(TEMP_PREFIX),
            # Workers is a ceiling, for Flex runs too: idle executors are released (see the
            # `workers` and `flex` props).
            "--enable-auto-scaling": "true",
        }
        common: dict[str, Any] = {
            "role": role,
            "description": "Transforms new raw files into curated, partitioned Parquet",
            "script": GlueObjectCode(script.bucket, script.s3_object_key),
            "extra_python_files": [GlueObjectCode(modules.bucket, modules.s3_object_key)],
            "glue_version": props.glue_version,
            "worker_configuration": glue.WorkerConfiguration(
                worker_type=props.worker_type, number_of_workers=props.workers
            ),
            "timeout": props.timeout,
            "max_retries": props.max_retries,
            # One run at a time: two concurrent runs would read the same bookmark and process
            # the same new files twice.
            "max_concurrent_runs": 1,
            "security_configuration": self.encryption.security_configuration,
            # Glue 5.0 streams driver and executor logs to the error and output groups in real
            # time; before 5.0 that takes continuous logging, here without Spark's heartbeat
            # noise (REAL_TIME_LOGGING_GLUE_VERSION).
            "continuous_logging": glue.ContinuousLoggingProps(
                enabled=continuous_logging, quiet=continuous_logging
            ),
            # Job metrics (`--enable-metrics`) and observability metrics: the failed-task alarm
            # and the run's profile in the console
            # (https://docs.aws.amazon.com/glue/latest/dg/monitoring-awsglue-with-cloudwatch-metrics.html).
            "enable_metrics": True,
            "enable_observability_metrics": True,
            "default_arguments": arguments,
        }
        job: glue.JobBase
        check_auto_scaling(props.glue_version, props.worker_type)
        if props.flex:
            check_flex(props.glue_version, props.worker_type)
            job = glue.PySparkFlexEtlJob(self, "Job", **common)
        else:
            job = glue.PySparkEtlJob(self, "Job", **common)
        # Create the job after its role's policy: a run started right after the deploy then
        # has every permission it needs.
        job.node.add_dependency(role)
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "Spark reads and writes objects with generated names under the raw (read only), "
            "curated, quarantine and temp prefixes; the object actions are on those prefixes "
            "only. "
            "PutMetricData has no resource-level permissions and is limited to the Glue "
            "namespace.",
            findings=[
                "Resource::*",
                *(
                    f"Resource::<{self.get_logical_id(bucket.node.default_child)}.Arn>/{prefix}*"
                    for bucket, prefix in (
                        (self.raw.bucket, RAW_PREFIX),
                        (self.curated.bucket, CURATED_PREFIX),
                        (self.curated.bucket, QUARANTINE_PREFIX),
                        (self.scratch.bucket, TEMP_PREFIX),
                    )
                ),
            ],
        )
        return job

    def _workflow(self, props: GluePartitionedEtlProps) -> glue.Workflow:
        """Scheduled trigger → crawler → (crawler SUCCEEDED) → job, as one Glue workflow.

        A workflow shows each run's crawl and job together and passes one run's state from
        trigger to trigger ("Each workflow manages the execution and monitoring of all its jobs
        and crawlers": https://docs.aws.amazon.com/glue/latest/dg/workflows_overview.html).
        """
        workflow = glue.Workflow(
            self,
            "Workflow",
            description="Crawl new raw folders, then transform the new raw files",
            # A schedule firing while the previous run is still going does not start a second.
            max_concurrent_runs=1,
        )
        workflow.add_scheduled_trigger(
            "Schedule",
            description="Starts the workflow: crawl the raw zone's new folders",
            schedule=glue.TriggerSchedule.expression(props.schedule),
            actions=[glue.Action.crawler(self.crawler.crawler)],
            # A trigger created without being started never fires (`StartOnCreation`:
            # https://docs.aws.amazon.com/glue/latest/webapi/API_CreateTrigger.html).
            start_on_creation=True,
        )
        workflow.add_conditional_trigger(
            "AfterCrawl",
            description="Runs the job once the crawl has succeeded",
            predicate=glue.Predicate(
                conditions=[
                    glue.Condition.crawler(self.crawler.crawler, glue.CrawlerState.SUCCEEDED)
                ]
            ),
            actions=[glue.Action.job(self.job)],
            start_on_creation=True,
        )
        # The L2 gives every trigger an EventBridge batching condition; it applies to EVENT
        # triggers only (`EventBatchingCondition`:
        # https://docs.aws.amazon.com/glue/latest/webapi/API_CreateTrigger.html), so a
        # conditional trigger is clearer without it.
        after_crawl = workflow.node.find_child("AfterCrawl")
        after_crawl.add_property_deletion_override("EventBatchingCondition")
        return workflow
