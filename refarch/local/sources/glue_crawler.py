"""A crawl of a deployed Glue crawler over its S3 targets, every AWS call signed as its role.

What Glue does for one crawl, and how the runner does the same:

====================================================  ==============================================
Glue                                                  here (signed as the crawler's role, IAM
                                                      enforced)
====================================================  ==============================================
assumes the crawler's role (``glue.amazonaws.com``)   ``sts:AssumeRole`` after the trust check
emits ``Glue Crawler State Change`` ``Started``       ``PutEvents`` on the default bus
lists each include path, skipping the exclude         ``ListObjectsV2``; keys matched against the
patterns                                              globs relative to the include path
                                                      (``crawler_paths``)
with ``CRAWL_NEW_FOLDERS_ONLY``, reads only folders   the folders of earlier successful crawls are
added since the last crawl                            kept; their objects are not read again
classifies and infers each file's schema (the first   ``GetObject`` of the first MB; the JSON
MB of a JSON file)                                    classifier's types (``crawler_schema``)
groups files into tables (``TableGroupingPolicy``,    one table per include path; without
or the similarity rule)                               ``CombineCompatibleSchemas``, one per top
                                                      folder unless the folders are similar
creates the table, or compares it with what it found  ``GetDatabase``, ``GetTable``,
and applies or logs the change (``SchemaChange-       ``CreateTable``; ``UpdateTable`` only with
Policy``); an incremental crawl creates no table      ``UPDATE_IN_DATABASE``; a new folder whose
after the first and leaves out incompatible objects   data changes a column's type is logged, not
                                                      added
adds the new folders as partitions (inheriting the    ``GetPartitions``, ``BatchCreatePartition``
table's columns with ``InheritFromTable``)
prepares its log group (with CloudWatch encryption:   ``CreateLogGroup`` (an existing group is not
creates it if missing, associates the key)            an error), ``AssociateKmsKey`` with the key
writes its log (encrypted by the security             ``CreateLogStream`` + ``PutLogEvents`` in the
configuration's key if it sets CloudWatch             crawler's group, stream = crawler name
encryption)
emits ``Succeeded`` or ``Failed``                     ``PutEvents`` (the failure rule matches)
====================================================  ==============================================

Sources: incremental crawls (https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html);
``SchemaChangePolicy`` (https://docs.aws.amazon.com/glue/latest/webapi/API_SchemaChangePolicy.html
and the CloudFormation property page,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-glue-crawler-schemachangepolicy.html:
``LOG`` logs a changed schema or a vanished table or partition without changing the catalog, and
"new tables and partitions are always created regardless of the SchemaChangePolicy");
crawler configuration (https://docs.aws.amazon.com/glue/latest/dg/crawler-configuration.html);
the crawler events (https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html).

Not emulated: classifiers other than JSON (custom, CSV, Parquet…), compression detection,
sampling limits beyond the first MB, ``CRAWL_EVENT_MODE``, Lake Formation credentials, DPU
billing, and the crawler's own state in the Glue API (``GetCrawler`` keeps ``READY``; the crawl's
outcome is this object, its log and its events).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.local.identities import assume_role_as_service
from refarch.local.s3_url import split_s3_url
from refarch.local.sources.crawler_paths import (
    PartitionFolder,
    folder_of,
    is_excluded,
    partition_folder,
    partition_keys,
)
from refarch.local.sources.crawler_schema import (
    FileSchema,
    finished,
    infer_json,
    merge_schemas,
    schema_changes,
    similar_enough,
)
from refarch.local.sources.glue_job import GLUE_PRINCIPAL
from refarch.local.sources.log_groups import (
    create_log_group,
    glue_log_encryption_key,
    prepare_encrypted_glue_log_group,
)

if TYPE_CHECKING:
    import boto3

    from refarch.local.stack_resources import StackResources

#: The crawler reads the first megabyte of a JSON file to infer its schema (AWS Knowledge Center,
#: https://repost.aws/knowledge-center/glue-crawler-detect-schema).
SAMPLE_BYTES = 1024 * 1024
#: The crawler's log group without CloudWatch encryption; the stream is the crawler's name (the
#: ``cloudWatchLogLink`` of its events, AWS docs above).
DEFAULT_LOG_GROUP = "/aws-glue/crawlers"
#: What a table of JSON files is read with (the catalog entry a JSON crawl writes).
JSON_STORAGE = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
}
#: BatchCreatePartition takes at most 100 partitions a call (AWS docs, API reference).
PARTITION_BATCH = 100


@dataclass
class Crawl:
    """What one crawl listed, skipped, read and cataloged, or why it failed."""

    crawl_id: str
    crawler_name: str
    state: str = "RUNNING"
    """``SUCCEEDED`` or ``FAILED`` (Glue's ``LastCrawlInfo.Status``)."""

    error: str = ""
    excluded: list[str] = field(default_factory=list)
    """Keys skipped because an exclude pattern matches them."""

    not_new: list[str] = field(default_factory=list)
    """Keys skipped because their folder was crawled before (``CRAWL_NEW_FOLDERS_ONLY``)."""

    read: list[str] = field(default_factory=list)
    """Keys read and classified."""

    tables_created: list[str] = field(default_factory=list)
    tables_updated: list[str] = field(default_factory=list)
    partitions_created: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(table, partition values) of each partition added."""

    logged_changes: list[str] = field(default_factory=list)
    """Schema changes and deletions found and, per the policy, only logged."""

    log_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return True if the crawl succeeded."""
        return self.state == "SUCCEEDED"

    def summary(self) -> str:
        """One line: what was read, skipped and cataloged."""
        return (
            f"{len(self.read)} files read, {len(self.excluded)} excluded, "
            f"{len(self.not_new)} in folders crawled before; tables created "
            f"{self.tables_created or 'none'}, {len(self.partitions_created)} partitions added, "
            f"{len(self.logged_changes)} changes logged"
        )


def table_name(prefix: str, folder: str) -> str:
    """A catalog table name from a folder name: lower case, other characters as ``_``."""
    return prefix + re.sub(r"[^a-z0-9_]", "_", folder.lower())


class GlueCrawler:
    """Runs a deployed Glue crawler locally, as its role; keeps its crawl state between crawls.

    Example:
        ``crawler = GlueCrawler(stack, "RawCrawler")``; ``crawler.crawl()`` after files land
        under the include path; a second ``crawl()`` reads only the folders added in between.
    """

    def __init__(self, stack: StackResources, crawler: str) -> None:
        self._emulator = stack.emulator
        self.name = stack.physical_id(crawler)
        definition = self._emulator.client("glue").get_crawler(Name=self.name)["Crawler"]
        self.definition: dict[str, Any] = definition
        self.role_arn: str = definition["Role"]
        self.database: str = definition["DatabaseName"]
        self.table_prefix: str = definition.get("TablePrefix", "")
        policy = definition.get("SchemaChangePolicy", {})
        self.update_behavior: str = policy.get("UpdateBehavior", "UPDATE_IN_DATABASE")
        self.delete_behavior: str = policy.get("DeleteBehavior", "DEPRECATE_IN_DATABASE")
        recrawl = definition.get("RecrawlPolicy", {}).get("RecrawlBehavior", "CRAWL_EVERYTHING")
        self.new_folders_only = recrawl == "CRAWL_NEW_FOLDERS_ONLY"
        configuration = json.loads(definition.get("Configuration") or "{}")
        grouping = configuration.get("Grouping", {}).get("TableGroupingPolicy")
        self.combine_compatible = grouping == "CombineCompatibleSchemas"
        partitions = configuration.get("CrawlerOutput", {}).get("Partitions", {})
        self.inherit_from_table = partitions.get("AddOrUpdateBehavior") == "InheritFromTable"
        self.security_configuration: str | None = definition.get("CrawlerSecurityConfiguration")
        self._crawled_folders: set[str] = set()
        self.crawls: list[Crawl] = []

    @property
    def trace(self) -> Any:
        """The emulator's trace."""
        return self._emulator.trace

    def role_session(self, crawl_id: str) -> boto3.Session:
        """A session of the crawler's role, as Glue assumes it for a crawl."""
        return assume_role_as_service(
            self._emulator.deployer,
            self.role_arn,
            service=GLUE_PRINCIPAL,
            session_name=f"{self.name}-{crawl_id}"[:64],
            account_id=self._emulator.account_id,
        )

    def log_encryption_key(self) -> str | None:
        """The key of the security configuration's CloudWatch encryption (``SSE-KMS``), if any."""
        return glue_log_encryption_key(self._emulator.client("glue"), self.security_configuration)

    def log_group(self) -> str:
        """Where the crawler logs: with CloudWatch encryption, a group per role and configuration.

        Without encryption a crawler logs to ``/aws-glue/crawlers`` (its events'
        ``cloudWatchLogLink``). A security configuration that encrypts CloudWatch logs makes it
        write to ``/aws-glue/crawlers-role/<role name>-<configuration name>`` instead, the group
        the stack creates with the key (``refarch.constructs.glue_encryption`` documents the
        naming; AWS docs,
        https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html).
        """
        if self.log_encryption_key() is None:
            return DEFAULT_LOG_GROUP
        role_name = self.role_arn.rsplit("/", 1)[-1]
        return f"/aws-glue/crawlers-role/{role_name}-{self.security_configuration}"

    def crawl(self) -> Crawl:
        """Run one crawl and wait for it: list, classify, catalog, log, emit its events."""
        crawl = Crawl(crawl_id=str(uuid.uuid4()), crawler_name=self.name)
        started = datetime.now(UTC)
        self.trace.line(f"Glue starts the crawler {self.name} as {self.role_arn}")
        self._emit({"state": "Started", "message": "Crawler Started", "startTime": _iso(started)})
        session = self.role_session(crawl.crawl_id)
        crawled_now: set[str] = set()
        try:
            crawled_now = self._crawl(session, crawl)
            crawl.state = "SUCCEEDED"
        except ClientError as exc:  # a failed crawl is an outcome: logged, evented, alarmed
            crawl.state, crawl.error = "FAILED", f"{type(exc).__name__}: {exc}"
            self._log(crawl, "ERROR", f"Crawl failed: {crawl.error}")
        self._write_log(session, crawl)
        for line in crawl.log_lines:
            if " : Running Start" not in line and " : Finished Crawl" not in line:
                self.trace.line(f"log: {line.split('] ', 1)[-1]}", 2)
        if crawl.ok:
            # The crawl state is committed only by a crawl that succeeded: a failed crawl's
            # folders are new to the next one.
            self._crawled_folders |= crawled_now
        self.trace.line(
            f"{'✓' if crawl.ok else '✗'} crawl {crawl.state}: {crawl.error or crawl.summary()}", 2
        )
        self._emit(self._outcome(crawl, started))
        self.crawls.append(crawl)
        return crawl

    def _crawl(self, session: boto3.Session, crawl: Crawl) -> set[str]:
        """List, classify and catalog every S3 target; return the folders crawled."""
        self._log(crawl, "BENCHMARK", f"Running Start Crawl for Crawler {self.name}")
        glue, s3 = session.client("glue"), session.client("s3")
        glue.get_database(Name=self.database)
        crawled: set[str] = set()
        for target in self.definition.get("Targets", {}).get("S3Targets", []):
            bucket, prefix = split_s3_url(target["Path"])
            files = self._list(s3, bucket, prefix, target.get("Exclusions", []), crawl)
            schemas: dict[str, FileSchema] = {}
            for key in files:
                body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{SAMPLE_BYTES - 1}")
                found = infer_json(body["Body"].read())
                crawl.read.append(key)
                if not found.classified:
                    self._log(crawl, "WARN", f"s3://{bucket}/{key}: not classified, skipped")
                    continue
                if found.skipped_lines:
                    self._log(
                        crawl,
                        "INFO",
                        f"s3://{bucket}/{key}: {found.skipped_lines} lines not JSON objects",
                    )
                schemas[key[len(prefix) :]] = found
            crawled |= {f"{bucket}/{prefix}{folder_of(k[len(prefix) :])}" for k in files}
            for name, root, members in self._tables(prefix, schemas):
                self._catalog(glue, crawl, name, f"s3://{bucket}/{prefix}{root}", members)
        self._log(crawl, "BENCHMARK", f"Finished Crawl for Crawler {self.name}")
        return crawled

    def _list(
        self, s3: Any, bucket: str, prefix: str, exclusions: list[str], crawl: Crawl
    ) -> list[str]:
        """The keys of the include path to read: not excluded, in folders not crawled before."""
        keys = []
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in (obj for page in pages for obj in page.get("Contents", [])):
            key, relative = item["Key"], item["Key"][len(prefix) :]
            if key.endswith("/"):
                continue
            if is_excluded(relative, exclusions):
                crawl.excluded.append(key)
            elif self.new_folders_only and (
                f"{bucket}/{prefix}{folder_of(relative)}" in self._crawled_folders
            ):
                crawl.not_new.append(key)
            else:
                keys.append(key)
        self.trace.line(
            f"listed s3://{bucket}/{prefix}: {len(keys)} to read, {len(crawl.excluded)} "
            f"excluded, {len(crawl.not_new)} in folders crawled before",
            2,
        )
        return keys

    def _tables(
        self, prefix: str, schemas: dict[str, FileSchema]
    ) -> list[tuple[str, str, dict[str, FileSchema]]]:
        """Group the classified files into tables: (name, root below the prefix, files).

        With ``CombineCompatibleSchemas`` (or folders similar enough) every file is in one table
        named after the include path's folder; otherwise each top folder is a table.
        """
        if not schemas:
            return []
        include_folder = prefix.rstrip("/").rsplit("/", 1)[-1] or "root"
        by_top: dict[str, dict[str, FileSchema]] = {}
        for relative, found in schemas.items():
            top = relative.split("/", 1)[0] if "/" in relative else ""
            by_top.setdefault(top, {})[relative] = found
        folder_schemas = [
            finished(merge_schemas(f.schema for f in files.values())) for files in by_top.values()
        ]
        if self.combine_compatible or len(by_top) == 1 or similar_enough(folder_schemas):
            return [(table_name(self.table_prefix, include_folder), "", schemas)]
        return [
            (
                table_name(self.table_prefix, top or include_folder),
                f"{top}/" if top else "",
                {k[len(top) + 1 :] if top else k: v for k, v in files.items()},
            )
            for top, files in by_top.items()
        ]

    def _catalog(
        self, glue: Any, crawl: Crawl, name: str, location: str, files: dict[str, FileSchema]
    ) -> None:
        """Create or compare the table, then add the partitions of its new folders."""
        folders = {folder_of(relative): partition_folder(folder_of(relative)) for relative in files}
        keys = partition_keys(list(folders.values()))
        try:
            table = glue.get_table(DatabaseName=self.database, Name=name)["Table"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "EntityNotFoundException":
                raise
            if self.new_folders_only and self._crawled_folders:
                # "No new tables will be added to the Data Catalog after the first crawl run"
                # (AWS docs: incremental crawls).
                self._log(crawl, "WARN", f"Table {name} not created: incremental crawl")
                return
            schema = finished(merge_schemas(found.schema for found in files.values()))
            table = self._create_table(glue, crawl, name, location, schema, keys)
        else:
            if self.new_folders_only:
                files = self._compatible_folders(crawl, table, files)
                folders = {k: v for k, v in folders.items() if k in map(folder_of, files)}
            schema = finished(merge_schemas(found.schema for found in files.values()))
            table = self._compare_table(glue, crawl, table, schema, keys)
        self._add_partitions(glue, crawl, table, location, folders, files)

    def _compatible_folders(
        self, crawl: Crawl, table: dict[str, Any], files: dict[str, FileSchema]
    ) -> dict[str, FileSchema]:
        """The files of the new folders whose schema the table can take.

        An incremental crawl "will not add the objects" whose schema is not compatible with the
        table's, and logs them (AWS docs: incremental crawls). Read here as: a folder whose data
        changes the type of a column of the table is left out; new columns alone are compatible
        (the table is not changed under ``LOG``, and the partition inherits its columns).
        """
        columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"].get("Columns", [])}
        kept: dict[str, FileSchema] = {}
        for folder in sorted({folder_of(k) for k in files}):
            members = {k: v for k, v in files.items() if folder_of(k) == folder}
            own = finished(merge_schemas(f.schema for f in members.values()))
            conflicts = [c for c in schema_changes(columns, own) if c.startswith("column ")]
            if not conflicts:
                kept.update(members)
                continue
            change = f"{table['Name']}: folder {folder} not added, schema not compatible"
            crawl.logged_changes.append(f"{change} ({'; '.join(conflicts)})")
            self._log(crawl, "WARN", f"{change}: {'; '.join(conflicts)}")
        return kept

    def _storage(self, location: str, schema: dict[str, str]) -> dict[str, Any]:
        return {
            "Columns": [{"Name": n, "Type": t} for n, t in schema.items()],
            "Location": location,
            **JSON_STORAGE,
            "Parameters": {"classification": "json", "compressionType": "none"},
        }

    def _create_table(
        self,
        glue: Any,
        crawl: Crawl,
        name: str,
        location: str,
        schema: dict[str, str],
        keys: tuple[str, ...],
    ) -> dict[str, Any]:
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": self._storage(location, schema),
            "PartitionKeys": [{"Name": key, "Type": "string"} for key in keys],
            "Parameters": {
                "classification": "json",
                "compressionType": "none",
                "typeOfData": "file",
                "UPDATED_BY_CRAWLER": self.name,
            },
        }
        glue.create_table(DatabaseName=self.database, TableInput=table_input)
        crawl.tables_created.append(name)
        columns = ", ".join(f"{n} {t}" for n, t in schema.items())
        self._log(crawl, "INFO", f"Created table {name} in database {self.database}: {columns}")
        return glue.get_table(DatabaseName=self.database, Name=name)["Table"]

    def _compare_table(
        self,
        glue: Any,
        crawl: Crawl,
        table: dict[str, Any],
        schema: dict[str, str],
        keys: tuple[str, ...],
    ) -> dict[str, Any]:
        """Apply (``UPDATE_IN_DATABASE``) or only log (``LOG``) what differs from the table."""
        columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"].get("Columns", [])}
        changes = schema_changes(columns, schema)
        table_keys = tuple(k["Name"] for k in table.get("PartitionKeys", []))
        if keys and table_keys != keys:
            changes.append(f"partition keys {list(table_keys)} -> {list(keys)}")
        if not changes:
            return table
        if self.update_behavior != "UPDATE_IN_DATABASE":
            for change in changes:
                crawl.logged_changes.append(f"{table['Name']}: {change}")
                self._log(
                    crawl,
                    "WARN",
                    f"Schema change of table {table['Name']} not applied "
                    f"(UpdateBehavior {self.update_behavior}): {change}",
                )
            return table
        merged = merge_schemas([columns, schema])
        storage = {
            **table["StorageDescriptor"],
            **self._storage(table["StorageDescriptor"]["Location"], merged),
        }
        table_input = {
            k: table[k] for k in ("Name", "TableType", "PartitionKeys", "Parameters") if k in table
        }
        glue.update_table(
            DatabaseName=self.database, TableInput={**table_input, "StorageDescriptor": storage}
        )
        crawl.tables_updated.append(table["Name"])
        self._log(crawl, "INFO", f"Updated table {table['Name']}: {'; '.join(changes)}")
        return glue.get_table(DatabaseName=self.database, Name=table["Name"])["Table"]

    def _add_partitions(
        self,
        glue: Any,
        crawl: Crawl,
        table: dict[str, Any],
        location: str,
        folders: dict[str, PartitionFolder],
        files: dict[str, FileSchema],
    ) -> None:
        """Add a partition for each data folder the table does not have; log vanished ones."""
        depth = len(table.get("PartitionKeys", []))
        if depth == 0:
            return
        name = table["Name"]
        pages = glue.get_paginator("get_partitions").paginate(
            DatabaseName=self.database, TableName=name
        )
        existing = {tuple(p["Values"]) for page in pages for p in page["Partitions"]}
        new: list[dict[str, Any]] = []
        for relative, folder in sorted(folders.items()):
            values = folder.values[:depth]
            if len(values) < depth or values in existing:
                continue
            existing.add(values)
            if self.inherit_from_table:
                columns = table["StorageDescriptor"].get("Columns", [])
            else:
                own = finished(
                    merge_schemas(f.schema for k, f in files.items() if k.startswith(relative))
                )
                columns = [{"Name": n, "Type": t} for n, t in own.items()]
            storage = {
                **self._storage(f"{location}{relative}", {}),
                "Columns": columns,
            }
            new.append({"Values": list(values), "StorageDescriptor": storage})
        for start in range(0, len(new), PARTITION_BATCH):
            glue.batch_create_partition(
                DatabaseName=self.database,
                TableName=name,
                PartitionInputList=new[start : start + PARTITION_BATCH],
            )
        for partition in new:
            crawl.partitions_created.append((name, tuple(partition["Values"])))
        if new:
            values = ", ".join("/".join(p["Values"]) for p in new)
            self._log(crawl, "INFO", f"Created partitions of table {name}: {values}")
        if not self.new_folders_only:
            self._log_vanished(crawl, name, existing, folders, depth)

    def _log_vanished(
        self,
        crawl: Crawl,
        name: str,
        existing: set[tuple[str, ...]],
        folders: dict[str, PartitionFolder],
        depth: int,
    ) -> None:
        """A full crawl finds partitions whose folder is gone; ``LOG`` keeps them, logged.

        (An incremental crawl looks at new folders only, so it never finds one.)
        """
        found = {f.values[:depth] for f in folders.values()}
        for values in sorted(existing - found):
            change = f"{name}: partition {'/'.join(values)} no longer exists"
            crawl.logged_changes.append(change)
            self._log(
                crawl, "WARN", f"{change}; not deleted (DeleteBehavior {self.delete_behavior})"
            )

    def _log(self, crawl: Crawl, level: str, message: str) -> None:
        crawl.log_lines.append(f"[{crawl.crawl_id}] {level} : {message}")

    def _write_log(self, session: boto3.Session, crawl: Crawl) -> None:
        """Write the crawl's lines to the crawler's log stream, as the crawler's role.

        The group is prepared first, as the role: with CloudWatch encryption as Glue does for an
        encrypted group (``log_groups.prepare_encrypted_glue_log_group``: created if missing,
        the configuration's key associated); without, only created if missing.
        """
        logs, group, key = session.client("logs"), self.log_group(), self.log_encryption_key()
        try:
            if key:
                prepare_encrypted_glue_log_group(logs, group, key)
            else:
                create_log_group(logs, group)
            try:
                logs.create_log_stream(logGroupName=group, logStreamName=self.name)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                    raise
            now = int(datetime.now(UTC).timestamp() * 1000)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=self.name,
                logEvents=[{"timestamp": now, "message": line} for line in crawl.log_lines],
            )
        except ClientError as exc:
            crawl.state, crawl.error = "FAILED", f"crawler log not written: {exc}"

    def log_events(self) -> list[str]:
        """Every message in the crawler's log stream (read as the deployer)."""
        events = self._emulator.client("logs").get_log_events(
            logGroupName=self.log_group(), logStreamName=self.name, startFromHead=True
        )
        return [event["message"] for event in events["events"]]

    def _outcome(self, crawl: Crawl, started: datetime) -> dict[str, Any]:
        """The ``Succeeded`` or ``Failed`` event's detail, in the documented shape."""
        link = (
            f"https://console.aws.amazon.com/cloudwatch/home?region={self._emulator.region}"
            f"#logEventViewer:group={self.log_group()};stream={self.name}"
        )
        if not crawl.ok:
            return {
                "state": "Failed",
                "message": "Crawler Failed",
                "errorMessage": crawl.error,
                "cloudWatchLogLink": link,
            }
        finished_at = datetime.now(UTC)
        return {
            "state": "Succeeded",
            "message": "Crawler Succeeded",
            "tablesCreated": str(len(crawl.tables_created)),
            "tablesUpdated": str(len(crawl.tables_updated)),
            "tablesDeleted": "0",
            "partitionsCreated": str(len(crawl.partitions_created)),
            "partitionsUpdated": "0",
            "partitionsDeleted": "0",
            "warningMessage": "; ".join(crawl.logged_changes) or "N/A",
            "runningTime (sec)": str(int((finished_at - started).total_seconds())),
            "completionDate": _iso(finished_at),
            "cloudWatchLogLink": link,
        }

    def _emit(self, detail: dict[str, Any]) -> None:
        """Put a ``Glue Crawler State Change`` event on the default bus (as Glue does)."""
        self._emulator.events.put(
            source="aws.glue",
            detail_type="Glue Crawler State Change",
            detail={"crawlerName": self.name, "accountId": self._emulator.account_id, **detail},
        )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
