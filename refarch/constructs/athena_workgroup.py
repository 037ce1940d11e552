"""An Athena workgroup that enforces encrypted results and a per-query scan limit."""

from dataclasses import dataclass

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_athena as athena
from aws_cdk import aws_s3 as s3
from constructs import Construct

from refarch.constructs.removal import deployment_unique_name, stateful_removal

#: The smallest per-query data usage limit Athena accepts, in bytes (10 MB:
#: https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
MIN_BYTES_SCANNED_CUTOFF = 10_000_000


@dataclass(frozen=True)
class QueryWorkgroupProps:
    """What a pattern may change about its workgroup."""

    results_prefix: str = "athena-results/"
    """Where query results are written in the results bucket, with a trailing slash."""

    bytes_scanned_cutoff_per_query: int = 10 * 1024**3
    """Athena cancels a query once it has scanned this many bytes (at least 10 MB).

    Athena bills per byte scanned (https://aws.amazon.com/athena/pricing/), and a workgroup's
    per-query limit cancels "any query that runs in the workgroup [and] exceeds the limit"
    (https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
    A query without a partition filter on a large table is the usual runaway; 10 GiB covers
    a filtered query over months of curated Parquet.

    @default - 10 GiB
    """

    engine_version: str = "Athena engine version 3"
    """The query engine; pinned, so an engine upgrade is a reviewed change (a workgroup either
    lets Athena choose when to upgrade or names its engine version:
    https://docs.aws.amazon.com/athena/latest/ug/engine-versions-changing.html).

    @default - Athena engine version 3
    """

    description: str = "Queries over the curated zone: encrypted results, per-query scan limit"
    """Shown in the console."""

    def __post_init__(self) -> None:
        if self.bytes_scanned_cutoff_per_query < MIN_BYTES_SCANNED_CUTOFF:
            raise ValueError(
                "bytes_scanned_cutoff_per_query must be at least "
                f"{MIN_BYTES_SCANNED_CUTOFF} bytes (10 MB), got "
                f"{self.bytes_scanned_cutoff_per_query}"
            )
        if not self.results_prefix.endswith("/"):
            raise ValueError(f"results_prefix must end with '/', got {self.results_prefix!r}")


class QueryWorkgroup(Construct):
    """An Athena workgroup whose settings every query must use (the L1: no L2 exists).

    Workgroups isolate a team's or an application's queries, with their own settings, access
    and cost controls
    (https://docs.aws.amazon.com/athena/latest/ug/workgroups-manage-queries-control-costs.html):

    - **Enforced configuration**: clients cannot override the result location, its encryption
      or the scan limit with their own settings
      (https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html).
    - **Results encrypted** (SSE-S3) in the given bucket, whose owner must be this account.
    - **Per-query scan cutoff** (``BytesScannedCutoffPerQuery``): the cost control
      (https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
    - **CloudWatch metrics** per query (``PublishCloudWatchMetricsEnabled``), to find the
      expensive queries (same page).
    - The name is unique to each creation of the stack, so a workgroup kept after
      ``cdk destroy`` (with its saved queries) never blocks the next deploy; with
      ``-c destroy=true`` it is deleted with its saved queries.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        results_bucket: s3.IBucket,
        props: QueryWorkgroupProps,
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        removal = stateful_removal(self)
        self.results_location = results_bucket.s3_url_for_object(props.results_prefix)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=deployment_unique_name(self, "queries"),
            description=props.description,
            state="ENABLED",
            # Deleting a workgroup that holds saved queries needs the recursive option.
            recursive_delete_option=removal.policy == RemovalPolicy.DESTROY,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=props.bytes_scanned_cutoff_per_query,
                requester_pays_enabled=False,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=props.engine_version
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                    # Athena refuses to write results to a bucket another account owns.
                    expected_bucket_owner=Aws.ACCOUNT_ID,
                ),
            ),
        )
        self.workgroup.apply_removal_policy(removal.policy)

    @property
    def workgroup_name(self) -> str:
        """The workgroup's name, to select in the console or pass as ``--work-group``."""
        return self.workgroup.ref
