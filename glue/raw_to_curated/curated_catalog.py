"""The curated table's partitions in the Data Catalog: each day the job writes, registered by it.

A partition exists for Athena only once the catalog lists it. Hive-style folders can be loaded with
``MSCK REPAIR TABLE`` (https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html) or by a
crawler; this job adds them itself, right after writing the files, so a day is queryable as soon as
the run ends and no crawler runs over the curated zone. It is what a Glue job's catalog update does
when it keeps the table's schema and adds new partitions
(https://docs.aws.amazon.com/glue/latest/dg/update-from-job.html): the table's schema is the
stack's, only partitions are added.

Glue's catalog-updating sink (``enableUpdateCatalog``) would make the same ``BatchCreatePartition``
calls from inside Glue's libraries. Making them here instead lets the same code run and be
tested outside Glue: locally, the runner calls ``register_partitions`` under the job's own role,
with IAM enforced, and the job role needs only ``GetTable`` and ``BatchCreatePartition``.

Idempotent: registering a partition that exists already is not an error, so a retried or
repeated run (the bookmark is saved last) registers each day once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from event_partitions import Partition, partition_path

#: ``BatchCreatePartition`` takes at most 100 partitions per call (Glue API reference).
MAX_PARTITIONS_PER_CALL = 100
ALREADY_EXISTS = "AlreadyExistsException"


class PartitionRegistrationError(RuntimeError):
    """Glue refused to register some partitions (other than because they exist already)."""


def partition_input(table: dict[str, Any], partition: Partition) -> dict[str, Any]:
    """The ``PartitionInput`` of one day: the table's storage descriptor at the day's folder.

    The partition inherits the table's format, SerDe and columns, so Athena reads its files
    exactly as the table says; only the location differs.

    Example:
        A table at ``s3://lake/curated/`` and ``("2024", "05", "01")`` give a partition at
        ``s3://lake/curated/year=2024/month=05/day=01/``.
    """
    descriptor = dict(table["StorageDescriptor"])
    root = descriptor["Location"].rstrip("/")
    descriptor["Location"] = f"{root}/{partition_path(partition)}/"
    return {"Values": list(partition), "StorageDescriptor": descriptor}


def register_partitions(
    glue: Any, database: str, table_name: str, partitions: Iterable[Partition]
) -> list[Partition]:
    """Add these partitions to the table; return those that were not registered before.

    Args:
        glue: A boto3 Glue client (in Glue: the job role's; locally: a session of that role).
        database: The curated table's database.
        table_name: The curated table.
        partitions: The days the run wrote, e.g. ``[("2024", "05", "01")]``.

    Raises:
        PartitionRegistrationError: Glue refused a partition for another reason than that it
            exists already (the files are written; rerunning the job registers them).
    """
    wanted = sorted(set(partitions))
    if not wanted:
        return []
    table = glue.get_table(DatabaseName=database, Name=table_name)["Table"]
    added: list[Partition] = []
    refused: list[str] = []
    for start in range(0, len(wanted), MAX_PARTITIONS_PER_CALL):
        chunk = wanted[start : start + MAX_PARTITIONS_PER_CALL]
        response = glue.batch_create_partition(
            DatabaseName=database,
            TableName=table_name,
            PartitionInputList=[partition_input(table, p) for p in chunk],
        )
        failed = {tuple(e["PartitionValues"]): e["ErrorDetail"] for e in response.get("Errors", [])}
        for partition in chunk:
            error = failed.get(partition)
            if error is None:
                added.append(partition)
            elif error.get("ErrorCode") != ALREADY_EXISTS:
                refused.append(f"{partition_path(partition)}: {error.get('ErrorMessage')}")
    if refused:
        raise PartitionRegistrationError(
            f"Glue refused {len(refused)} partitions of {database}.{table_name}: "
            + "; ".join(refused)
        )
    return added


def partition_from_path(path: str) -> Partition:
    """The partition values of a ``year=YYYY/month=MM/day=DD`` path (as ``RunReport`` lists).

    Example:
        >>> partition_from_path("year=2024/month=05/day=01")
        ('2024', '05', '01')
    """
    values = [part.split("=", 1)[1] for part in path.strip("/").split("/")]
    year, month, day = values
    return year, month, day
