"""Partition indexes, which moto 5.2.5's Glue does not keep; triggers of one condition.

moto has no ``CreatePartitionIndex`` and answers ``GetPartitionIndexes`` with an empty list, so
aws-cdk-lib's partition-index provider could never see its index and the curated table would
lose the index the stack declares. These two operations keep each table's indexes next to it in
moto's backend, with the checks Glue makes (AWS Glue API reference, ``CreatePartitionIndex``):
keys must be partition keys of the table, an index name is unique per table, at most three
indexes per table. A new index is ``ACTIVE`` at once: there is no backfill to wait for locally.

A trigger predicate's ``Logical`` is optional when it has one condition (Glue API reference,
``Predicate``), but moto fails without it; ``predicate_init`` reads it as ``AND``, which over one
condition is the same predicate.

A crawler whose last crawl ended with one of Glue's own ``LastCrawl`` statuses (``SUCCEEDED``,
``CANCELLED``: Glue API reference, ``LastCrawlInfo``), as ``sources.glue_workflow`` records the
crawls it runs, is ``READY``; moto knows only its own ``COMPLETED`` and fails on the others.

``moto_patches`` installs these inside the emulator only.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.glue.exceptions import AlreadyExistsException, InvalidInputException
from moto.glue.models import FakeCrawler, FakeTable, glue_backends
from moto.glue.responses import GlueResponse
from moto.glue.utils import Predicate

#: "You can have a maximum of 3 partition indexes on a table" (AWS Glue developer guide).
MAX_INDEXES_PER_TABLE = 3
_INDEXES = "_refarch_partition_indexes"


def _table(response: GlueResponse) -> FakeTable:
    backend = glue_backends[response.current_account][response.region]
    return backend.get_table(response._get_param("DatabaseName"), response._get_param("TableName"))


def table_partition_indexes(table: FakeTable) -> list[dict[str, Any]]:
    """The partition indexes of a moto table, as ``GetPartitionIndexes`` describes them."""
    return list(getattr(table, _INDEXES, []))


def create_partition_index(self: GlueResponse) -> ActionResult:
    """``CreatePartitionIndex``: keep the index on the table, checked as Glue checks it."""
    table = _table(self)
    index = self._get_param("PartitionIndex")
    name, keys = index["IndexName"], list(index["Keys"])
    existing = table_partition_indexes(table)
    if any(i["IndexName"].lower() == name.lower() for i in existing):
        raise AlreadyExistsException(f"Partition index {name}")
    if len(existing) >= MAX_INDEXES_PER_TABLE:
        raise InvalidInputException(
            "CreatePartitionIndex", f"a table has at most {MAX_INDEXES_PER_TABLE} indexes"
        )
    partition_keys = {
        column["Name"]: column.get("Type", "string")
        for column in table.get_version(str(table._current_version)).get("PartitionKeys", [])
    }
    unknown = [key for key in keys if key not in partition_keys]
    if unknown:
        raise InvalidInputException(
            "CreatePartitionIndex", f"{unknown} are not partition keys of {table.name}"
        )
    existing.append(
        {
            "IndexName": name,
            "Keys": [{"Name": key, "Type": partition_keys[key]} for key in keys],
            "IndexStatus": "ACTIVE",
        }
    )
    setattr(table, _INDEXES, existing)
    return EmptyResult()


def get_partition_indexes(self: GlueResponse) -> ActionResult:
    """``GetPartitionIndexes``: the table's indexes."""
    return ActionResult({"PartitionIndexDescriptorList": table_partition_indexes(_table(self))})


_original_predicate_init = Predicate.__init__


def predicate_init(self: Predicate, inputs: dict[str, Any]) -> None:
    """Moto's ``Predicate``, with ``Logical`` optional for a single condition, as in Glue."""
    if "Logical" not in inputs and len(inputs.get("Conditions", [])) == 1:
        inputs = {**inputs, "Logical": "AND"}
    _original_predicate_init(self, inputs)


_original_crawler_status = FakeCrawler.status


def crawler_status(self: FakeCrawler) -> str:
    """The crawler state moto gives; a ``SUCCEEDED`` or ``CANCELLED`` last crawl is ``READY``."""
    if self.crawls and self.crawls[-1].status in ("SUCCEEDED", "CANCELLED"):
        return "READY"
    return _original_crawler_status.fget(self)  # type: ignore[attr-defined]
