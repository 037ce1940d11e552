"""The raw-zone crawler run locally as its role: tables, partitions, new folders, logged changes."""

import json

import pytest

from refarch.local import deploy, emulator
from refarch.local.sources.glue_crawler import GlueCrawler
from refarch.scenarios import glue_partitioned_etl as scenario

PATTERN = "glue-partitioned-etl"
pytestmark = pytest.mark.slow

#: A third batch whose file adds a column: a schema change to log.
DRIFTED = {
    "raw/batch-0003/events-a.json": (
        json.dumps({**scenario.event(1, 4), "referrer": "https://example.com/"}) + "\n"
    ).encode()
}
#: A folder whose ``page`` is an object: not compatible with the table's string column.
INCOMPATIBLE = {
    "raw/batch-0004/events-a.json": (
        json.dumps({**scenario.event(2, 4), "page": {"path": "/products/2"}}) + "\n"
    ).encode()
}
#: A file added to a folder crawled before: an incremental crawl does not read it.
LATE = {"raw/batch-0001/late.json": (json.dumps({"unseen_column": 1}) + "\n").encode()}


def _put(aws, bucket, files):
    for key, body in files.items():
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture(scope="module")
def crawls(glue_partitioned_etl):
    """Three crawls: the first batch, the second, then a drifted batch and a late file."""
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl)
        raw = stack.physical_id(scenario.RAW)
        glue = aws.client("glue")
        database = stack.output("DatabaseName")
        crawler = GlueCrawler(stack, scenario.CRAWLER)
        _put(aws, raw, scenario.FIRST_BATCH)
        first = crawler.crawl()
        _put(aws, raw, scenario.SECOND_BATCH)
        second = crawler.crawl()
        _put(aws, raw, {**DRIFTED, **LATE, **INCOMPATIBLE})
        third = crawler.crawl()
        table = glue.get_table(DatabaseName=database, Name=scenario.RAW_TABLE)["Table"]
        partitions = glue.get_partitions(DatabaseName=database, TableName=scenario.RAW_TABLE)
        group = aws.client("logs").describe_log_groups(logGroupNamePrefix=crawler.log_group())
        events = [
            put.event for put in aws.events.events if put.event["detail-type"].startswith("Glue C")
        ]
        return {
            "crawls": (first, second, third),
            "crawler": crawler,
            "table": table,
            "partitions": partitions["Partitions"],
            "log": crawler.log_events(),
            "log_group": group["logGroups"],
            "log_group_name": crawler.log_group(),
            "log_key": crawler.log_encryption_key(),
            "events": events,
            "tables": [t["Name"] for t in glue.get_tables(DatabaseName=database)["TableList"]],
            "denials": list(aws.denials),
            "policies": (
                crawler.combine_compatible,
                crawler.new_folders_only,
                crawler.update_behavior,
                crawler.delete_behavior,
                crawler.inherit_from_table,
            ),
        }


def test_the_crawl_follows_the_policies_of_the_deployed_definition(crawls):
    # Read back from the crawler moto holds (GetCrawler), as the template set them.
    assert crawls["policies"] == (True, True, "LOG", "LOG", True)


def test_every_crawl_succeeds_under_the_crawlers_role_with_iam_enforced(crawls):
    assert [c.state for c in crawls["crawls"]] == ["SUCCEEDED"] * 3
    assert crawls["denials"] == []


def test_the_first_crawl_makes_one_table_of_the_json_files_partitioned_by_folder(crawls):
    first = crawls["crawls"][0]
    table = crawls["table"]
    assert first.tables_created == [scenario.RAW_TABLE]
    assert scenario.RAW_TABLE in crawls["tables"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["partition_0"]
    assert table["StorageDescriptor"]["Location"].endswith("/raw/")
    assert table["Parameters"]["classification"] == "json"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.openx.data.jsonserde.JsonSerDe"
    )


def test_exclusions_keep_markers_manifests_and_metadata_out_of_the_crawl(crawls):
    first = crawls["crawls"][0]
    assert sorted(first.excluded) == [
        "raw/batch-0001/_temporary/0/part-00000.json",
        "raw/batch-0001/query.metadata",
        "raw/batch-0001/unload.manifest",
    ]
    assert not [k for k in first.read if "_temporary" in k or not k.endswith(".json")]
    assert len(first.read) == 3


def test_a_second_crawl_reads_only_the_new_folder_and_adds_its_partition(crawls):
    second = crawls["crawls"][1]
    assert second.read == list(scenario.SECOND_BATCH)
    assert second.partitions_created == [(scenario.RAW_TABLE, ("batch-0002",))]
    assert second.tables_created == []
    assert sorted(p["Values"][0] for p in crawls["partitions"]) == [
        "batch-0001",
        "batch-0002",
        "batch-0003",
    ]


def test_a_file_added_to_a_crawled_folder_is_not_read_by_an_incremental_crawl(crawls):
    third = crawls["crawls"][2]
    assert "raw/batch-0001/late.json" in third.not_new
    assert "raw/batch-0001/late.json" not in third.read
    columns = [c["Name"] for c in crawls["table"]["StorageDescriptor"]["Columns"]]
    assert "unseen_column" not in columns


def test_a_schema_change_is_logged_not_applied_and_the_partition_still_added(crawls):
    # UpdateBehavior LOG: the table keeps its columns; the change is in the crawler's log; new
    # partitions are created whatever the policy, with the table's columns (InheritFromTable).
    third = crawls["crawls"][2]
    columns = [c["Name"] for c in crawls["table"]["StorageDescriptor"]["Columns"]]
    assert "referrer" not in columns
    assert third.tables_updated == []
    assert f"{scenario.RAW_TABLE}: new column referrer string" in third.logged_changes
    assert any(
        "not applied (UpdateBehavior LOG): new column referrer string" in line
        for line in crawls["log"]
    )
    drifted = next(p for p in crawls["partitions"] if p["Values"] == ["batch-0003"])
    assert [c["Name"] for c in drifted["StorageDescriptor"]["Columns"]] == columns


def test_the_crawl_log_is_in_the_encrypted_group_glue_derives_from_the_configuration(crawls):
    crawler, name, group = crawls["crawler"], crawls["log_group_name"], crawls["log_group"]
    role_name = crawler.role_arn.rsplit("/", 1)[-1]
    assert name == f"/aws-glue/crawlers-role/{role_name}-{crawler.security_configuration}"
    assert [g["logGroupName"] for g in group] == [name]
    assert crawls["log_key"]
    assert group[0]["kmsKeyId"] == crawls["log_key"]
    assert any(f"Created table {scenario.RAW_TABLE}" in line for line in crawls["log"])
    assert any("Created partitions" in line and "batch-0002" in line for line in crawls["log"])


def test_each_crawl_emits_started_then_succeeded_and_no_rule_matches(crawls):
    events = crawls["events"]
    states = [e["detail"]["state"] for e in events]
    assert states == ["Started", "Succeeded"] * 3
    succeeded = events[1]["detail"]
    assert succeeded["crawlerName"] == crawls["crawler"].name
    assert succeeded["tablesCreated"] == "1"
    assert succeeded["partitionsCreated"] == "1"
    assert "group=/aws-glue/crawlers-role/" in succeeded["cloudWatchLogLink"]


def test_a_denied_crawl_fails_emits_failed_and_the_failure_rule_alarms(glue_partitioned_etl):
    def without_catalog_grant(template):
        resources = template["Resources"]
        policy = next(i for i in resources if i.startswith("RawCrawlerRoleDefaultPolicy"))
        statements = resources[policy]["Properties"]["PolicyDocument"]["Statement"]
        statements[:] = [s for s in statements if "glue:CreateTable" not in s["Action"]]

    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl, template_hook=without_catalog_grant)
        _put(aws, stack.physical_id(scenario.RAW), scenario.FIRST_BATCH)
        crawl = GlueCrawler(stack, scenario.CRAWLER).crawl()
        failed = aws.events.events[-1]
        denials = list(aws.denials)
    assert crawl.state == "FAILED"
    assert "AccessDenied" in crawl.error
    assert failed.event["detail"]["state"] == "Failed"
    topic = stack.physical_id(scenario.ALARM_TOPIC)
    assert any(d.target == topic and d.delivered for d in failed.deliveries)
    assert [d.action for d in denials] == ["glue:GetDatabase"]


def test_without_combine_compatible_schemas_dissimilar_folders_become_tables(glue_partitioned_etl):
    # The default grouping: two top folders with different schemas (50% alike, under the 70%
    # threshold) are two tables, named after the folders.
    def default_grouping(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Glue::Crawler":
                resource["Properties"]["Configuration"] = json.dumps({"Version": 1.0})

    other = {"raw/other/devices.json": (json.dumps({"device": "d1", "os": "x"}) + "\n").encode()}
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl, template_hook=default_grouping)
        _put(aws, stack.physical_id(scenario.RAW), {**scenario.FIRST_BATCH, **other})
        crawl = GlueCrawler(stack, scenario.CRAWLER).crawl()
        glue = aws.client("glue")
        tables = glue.get_tables(DatabaseName=stack.output("DatabaseName"))["TableList"]
    assert crawl.ok, crawl.error
    assert sorted(crawl.tables_created) == ["raw_batch_0001", "raw_other"]
    columns = {t["Name"]: [c["Name"] for c in t["StorageDescriptor"]["Columns"]] for t in tables}
    assert columns["raw_other"] == ["device", "os"]
    assert "event_id" in columns["raw_batch_0001"]


def test_an_incremental_crawl_leaves_out_a_folder_whose_schema_is_not_compatible(crawls):
    # "If it discovers objects where schemas are not compatible, the crawler will not add the
    # objects in the Data Catalog" and logs them (AWS docs: incremental crawls).
    third = crawls["crawls"][2]
    assert (scenario.RAW_TABLE, ("batch-0004",)) not in third.partitions_created
    assert (scenario.RAW_TABLE, ("batch-0003",)) in third.partitions_created
    assert ["batch-0004"] not in [p["Values"] for p in crawls["partitions"]]
    assert any("folder batch-0004/ not added" in change for change in third.logged_changes)
    assert any("column page string -> struct<path:string>" in line for line in crawls["log"])


def test_a_full_crawl_applies_updates_in_database_and_only_logs_vanished_partitions(
    glue_partitioned_etl,
):
    # CRAWL_EVERYTHING with UPDATE_IN_DATABASE / LOG: an added column updates the table; a
    # folder gone from S3 is logged and its partition kept (DeleteBehavior LOG: "do not delete
    # it, only log that it was found to no longer exist", CloudFormation SchemaChangePolicy).
    def full_crawls(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Glue::Crawler":
                properties = resource["Properties"]
                properties["RecrawlPolicy"] = {"RecrawlBehavior": "CRAWL_EVERYTHING"}
                properties["SchemaChangePolicy"] = {
                    "UpdateBehavior": "UPDATE_IN_DATABASE",
                    "DeleteBehavior": "LOG",
                }

    with emulator() as aws:
        stack = deploy(PATTERN, assembly=glue_partitioned_etl, template_hook=full_crawls)
        raw = stack.physical_id(scenario.RAW)
        crawler = GlueCrawler(stack, scenario.CRAWLER)
        _put(aws, raw, scenario.FIRST_BATCH)
        first = crawler.crawl()
        for key in scenario.FIRST_BATCH:
            aws.client("s3").delete_object(Bucket=raw, Key=key)
        _put(aws, raw, DRIFTED)
        second = crawler.crawl()
        glue = aws.client("glue")
        database = stack.output("DatabaseName")
        table = glue.get_table(DatabaseName=database, Name=scenario.RAW_TABLE)["Table"]
        partitions = glue.get_partitions(DatabaseName=database, TableName=scenario.RAW_TABLE)
    assert first.ok and second.ok, second.error
    assert second.tables_updated == [scenario.RAW_TABLE]
    assert "referrer" in [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    assert second.logged_changes == [f"{scenario.RAW_TABLE}: partition batch-0001 no longer exists"]
    assert sorted(p["Values"][0] for p in partitions["Partitions"]) == ["batch-0001", "batch-0003"]
