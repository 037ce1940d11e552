"""What a query over the curated table read: the local measure of partition pruning.

Athena charges for data scanned (https://aws.amazon.com/athena/pricing/), and a filter on partition
columns reads "only data from matching partitions"
(https://docs.aws.amazon.com/athena/latest/ug/performance-tuning-data-optimization-techniques.html).
Locally the same effect is visible in Spark's file scan: a filter on partition columns becomes a
``PartitionFilters`` entry, evaluated against the folder names, and the scan's ``numFiles`` metric
counts only the files of the folders kept.

``DataFrame.inputFiles()`` does not show this: it lists every file of the dataset, filter or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame


@dataclass(frozen=True)
class ScanStats:
    """The file scans of one executed query, summed.

    Attributes:
        files_read: Files the scans opened (``numFiles``).
        partitions_read: Partition folders the scans kept (``numPartitions``).
        partition_filters: The filters evaluated against partition values, as Spark prints them.
    """

    files_read: int
    partitions_read: int
    partition_filters: tuple[str, ...]


def scan_stats(query: DataFrame) -> ScanStats:
    """Run ``query`` (collecting its rows) and return what its file scans read.

    Uses the query's executed physical plan through the JVM (``DataFrame._jdf``): the metrics
    are not exposed to Python otherwise.
    """
    query.collect()
    scans = list(_file_scans(query._jdf.queryExecution().executedPlan()))
    if not scans:
        raise ValueError("the query reads no files")
    filters = []
    for scan in scans:
        expressions = scan.partitionFilters()
        filters += [expressions.apply(i).toString() for i in range(expressions.size())]
    return ScanStats(
        files_read=sum(_metric(scan, "numFiles") for scan in scans),
        partitions_read=sum(_metric(scan, "numPartitions") for scan in scans),
        partition_filters=tuple(filters),
    )


def _file_scans(node: Any) -> Iterator[Any]:
    """The ``FileSourceScanExec`` nodes of a JVM physical plan, adaptive stages included."""
    name = node.getClass().getSimpleName()
    if name == "FileSourceScanExec":
        yield node
    elif name == "AdaptiveSparkPlanExec":
        yield from _file_scans(node.executedPlan())
    elif name.endswith("QueryStageExec"):
        yield from _file_scans(node.plan())
    else:
        children = node.children()
        for index in range(children.size()):
            yield from _file_scans(children.apply(index))


def _metric(scan: Any, name: str) -> int:
    """The value of one SQL metric of a scan node."""
    return int(scan.metrics().apply(name).value())
