"""A Glue crawler that catalogs an S3 prefix incrementally, with its own least-privilege role."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs.glue_encryption import GlueEncryption
from refarch.constructs.iam_unexercised import acknowledge_unexercised
from refarch.constructs.nag import acknowledge
from refarch.constructs.s3_object_grants import grant_list_bucket, grant_object_actions

#: Files under the crawled prefix that are not data (Spark and Hadoop markers, checksums,
#: Athena metadata and manifests): skipped, they cannot add bogus columns or tables, and the
#: crawler lists fewer files. Glob patterns relative to the include path; `**` crosses folder
#: boundaries, so `**_SUCCESS` matches at any depth (include and exclude patterns:
#: https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html).
DEFAULT_EXCLUSIONS: tuple[str, ...] = (
    "_temporary/**",  # Spark/Hadoop output still being committed, at the top...
    "**/_temporary/**",  # ...or under a partition folder
    "**_SUCCESS",  # Spark/Hadoop commit markers (empty files)
    "**_$folder$",  # folder placeholders written by Hadoop S3 clients
    "**.crc",  # Hadoop checksum side files
    "**.metadata",  # Athena query-result metadata files
    "**.manifest",  # manifests (Athena UNLOAD, Redshift, S3 Inventory)
)

#: The catalog actions a crawler uses on its database and the tables it creates: read and
#: create tables, add partitions to them (crawler prerequisites:
#: https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html).
CATALOG_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
)


@dataclass(frozen=True)
class S3ToCatalogCrawlerProps:
    """Where the crawler reads and how it names what it finds."""

    prefix: str
    """The S3 prefix to crawl, with a trailing slash, e.g. ``raw/``."""

    table_prefix: str
    """Prepended to the name of every table the crawler creates, e.g. ``raw_``: tells the raw
    zone's tables from the curated ones in a shared database, and scopes the crawler's
    catalog permissions to its own tables."""

    exclusions: Sequence[str] = DEFAULT_EXCLUSIONS
    """Glob patterns of objects never read as data.

    @default - Spark/Hadoop markers and temporary output, checksums, metadata and manifests
    """

    description: str = "Catalogs new folders under the raw prefix"
    """Shown in the console."""


class S3ToCatalogCrawler(Construct):
    """S3 prefix → Glue crawler → tables in a Data Catalog database (the L1: no L2 exists).

    The crawler captures the schema of data landing in S3 and records folders as partitions
    (how a crawler decides tables and partitions:
    https://docs.aws.amazon.com/glue/latest/dg/crawler-s3-folder-table-partition.html). Choices:

    - **Recrawl new folders only** (``CRAWL_NEW_FOLDERS_ONLY``): each run lists only the folders
      added since the last run, so its duration, billed per DPU-second
      (https://aws.amazon.com/glue/pricing/), follows the day's arrivals, not the size of the
      zone. The landing zone is append-only (one folder per arrival batch), which is what
      incremental crawls are for.
    - **Schema changes are logged, not applied** (update and delete behaviour ``LOG``):
      incremental crawls require both
      (https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html). A renamed or added
      column in new files (say ``customer_id`` → ``customerid``) is reported in the
      crawler's CloudWatch log instead of silently changing the table analysts query; adopt it
      with one run that crawls all folders and updates the table, as that page advises for "a
      one-time major schema change".
    - **One table for compatible schemas** (``TableGroupingPolicy: CombineCompatibleSchemas``):
      by default a crawler groups folders into one table only when their schemas are similar
      enough (partition threshold above 0.7 and at most 5 different schemas: an AWS Knowledge
      Center article, not the service guide,
      https://repost.aws/knowledge-center/glue-crawler-detect-schema) and otherwise creates a
      table per folder; a few drifted files could thus split the dataset into many tables.
      With this policy, compatible data (same format, compression and structure) always lands
      in one table (https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html).
    - **Partitions inherit the table's schema** (``AddOrUpdateBehavior: InheritFromTable``):
      keeps every partition readable with the table's columns in Athena
      (https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html).
    - No schedule of its own: a workflow trigger starts it, and the job follows on success.
    - Encrypted logs through the security configuration, in a log group with retention.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        database: glue.IDatabase,
        encryption: GlueEncryption,
        props: S3ToCatalogCrawlerProps,
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Glue crawler of {props.prefix}: reads it, catalogs its tables",
        )
        # A crawl lists the prefix and reads the files it samples (AWS docs: the crawler's role
        # needs s3:GetObject and s3:ListBucket on its data store,
        # https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html).
        grant_object_actions(bucket, self.role, f"{props.prefix}*", ["s3:GetObject"])
        grant_list_bucket(bucket, self.role)
        stack = Stack.of(self)
        self.tables_arn = stack.format_arn(
            service="glue",
            resource="table",
            resource_name=f"{database.database_name}/{props.table_prefix}*",
        )
        iam.Grant.add_to_principal(
            grantee=self.role,
            actions=list(CATALOG_ACTIONS),
            resource_arns=[database.catalog.catalog_arn, database.database_arn, self.tables_arn],
        )
        self.log_group = encryption.crawler_log_group("CrawlerLogs", self.role)
        acknowledge_unexercised(
            self.role,
            [
                "glue:GetTables",
                "glue:UpdateTable",
                "glue:GetPartition",
                "glue:BatchGetPartition",
                "glue:CreatePartition",
            ],
            "Catalog actions AWS lists for a crawler, not which of them a crawl calls: the local "
            "crawler creates its table and adds partitions in batches, and never updates a "
            "table or reads and adds partitions one at a time",
        )
        acknowledge_unexercised(
            self.role,
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "The security configuration's key, granted to every Glue role it serves "
            "(https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html); "
            "AWS does not document which KMS call a crawl makes as its role, and CloudWatch Logs "
            "encrypts the crawl's log events itself, so the local crawl makes none",
        )

        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            role=self.role.role_arn,
            description=props.description,
            database_name=database.database_name,
            table_prefix=props.table_prefix,
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=bucket.s3_url_for_object(props.prefix),
                        exclusions=list(props.exclusions),
                    )
                ]
            ),
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(
                recrawl_behavior="CRAWL_NEW_FOLDERS_ONLY"
            ),
            # CRAWL_NEW_FOLDERS_ONLY accepts LOG and LOG only
            # (https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html).
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="LOG", delete_behavior="LOG"
            ),
            configuration=json.dumps(
                {
                    "Version": 1.0,
                    # Not the 70% / 5-schema similarity heuristic (see the class docstring):
                    # compatible files always make one table
                    # (https://docs.aws.amazon.com/glue/latest/dg/crawler-grouping-policy.html).
                    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
                    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
                }
            ),
            crawler_security_configuration=(
                encryption.security_configuration.security_configuration_name
            ),
        )
        # Create the crawler after its role's policy: a run started right after the deploy
        # then has every permission it needs.
        self.crawler.node.add_dependency(self.role)
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "The crawler reads objects with arbitrary names under its prefix and creates tables "
            "it names after the folders it finds; both are scoped by prefix (the raw prefix, "
            "the crawler's table prefix).",
            findings=[
                f"Resource::<{stack.get_logical_id(bucket.node.default_child)}.Arn>/"
                f"{props.prefix}*",
                "Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/"
                f"<{stack.get_logical_id(database.node.default_child)}>/{props.table_prefix}*",
            ],
        )

    @property
    def crawler_name(self) -> str:
        """The crawler's name (CloudFormation generates it)."""
        return self.crawler.ref
