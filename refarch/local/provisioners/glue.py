"""Glue: the Data Catalog (databases, tables, partition indexes) and the ETL resources.

Crawlers, jobs, workflows, triggers and security configurations are created in moto with every
property the template sets (their properties are the create calls' parameters); the runner
never starts them on a schedule: a scenario crawls (``sources.glue_crawler``) and runs the job's
code (``sources.glue_job``) itself, in the workflow's order.
"""

from __future__ import annotations

from typing import Any

from refarch.local.errors import DeployError, UnsupportedPropertyError
from refarch.local.identities import assume_role_as_service
from refarch.local.lambda_runtime.service import LAMBDA_PRINCIPAL
from refarch.local.provisioners.api_shapes import request_to_api, to_api
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


def _account_catalog(request: ProvisionRequest) -> str:
    """Return the catalog id; only the account's own Data Catalog exists locally."""
    catalog = str(request.properties["CatalogId"])
    if catalog != request.emulator.account_id:
        raise UnsupportedPropertyError(request.resource_type, request.logical_id, ["CatalogId"])
    return catalog


@provisioner("AWS::Glue::Database")
def database(request: ProvisionRequest) -> Provisioned:
    """Create the database in the account's Data Catalog."""
    request.only(["CatalogId", "DatabaseInput", "DatabaseName"])
    catalog = _account_catalog(request)
    database_input = to_api(request, "DatabaseInput", "glue", "DatabaseInput")
    name = database_input.get("Name") or request.properties.get("DatabaseName")
    if not name:
        name = request.name(None, max_length=255, lowercase=True)
    database_input["Name"] = name
    request.client("glue").create_database(CatalogId=catalog, DatabaseInput=database_input)
    return Provisioned(physical_id=name)


@provisioner("AWS::Glue::Table")
def table(request: ProvisionRequest) -> Provisioned:
    """Create the table (columns, partition keys, storage descriptor) in its database."""
    request.only(["CatalogId", "DatabaseName", "TableInput"])
    catalog = _account_catalog(request)
    table_input = to_api(request, "TableInput", "glue", "TableInput")
    table_input.setdefault("Name", request.name(None, max_length=255, lowercase=True))
    request.client("glue").create_table(
        CatalogId=catalog, DatabaseName=request.properties["DatabaseName"], TableInput=table_input
    )
    return Provisioned(physical_id=table_input["Name"])


def _glue_arn(request: ProvisionRequest, resource: str) -> str:
    emu = request.emulator
    return f"arn:{emu.partition}:glue:{emu.region}:{emu.account_id}:{resource}"


def _tags_map(request: ProvisionRequest) -> dict[str, str]:
    """Glue's ``Tags`` property is a JSON map, as its API takes it."""
    return {str(k): str(v) for k, v in (request.properties.get("Tags") or {}).items()}


@provisioner("AWS::Glue::SecurityConfiguration")
def security_configuration(request: ProvisionRequest) -> Provisioned:
    """Create the security configuration (S3, CloudWatch Logs and bookmark encryption)."""
    request.only(["Name", "EncryptionConfiguration"])
    name = request.name("Name", max_length=255)
    cfn = dict(request.properties["EncryptionConfiguration"])
    # The one member CloudFormation names differently from the API (a list in both).
    if "S3Encryptions" in cfn:
        cfn["S3Encryption"] = cfn.pop("S3Encryptions")
    renamed = ProvisionRequest(
        request.logical_id,
        request.resource_type,
        {**request.properties, "EncryptionConfiguration": cfn},
        request.stack,
    )
    configuration = to_api(renamed, "EncryptionConfiguration", "glue", "EncryptionConfiguration")
    request.client("glue").create_security_configuration(
        Name=name, EncryptionConfiguration=configuration
    )
    return Provisioned(physical_id=name)


@provisioner("AWS::Glue::Crawler")
def crawler(request: ProvisionRequest) -> Provisioned:
    """Create the crawler (targets and exclusions, policies, configuration); not scheduled.

    ``sources.glue_crawler`` reads this definition back (``GetCrawler``) to crawl as its role.
    """
    name = request.name("Name", max_length=255)
    create = request_to_api(request, "glue", "CreateCrawlerRequest", exclude=("Schedule", "Tags"))
    schedule = request.properties.get("Schedule")
    if schedule:
        # CloudFormation wraps the cron expression: {"ScheduleExpression": "cron(...)"}.
        create["Schedule"] = schedule["ScheduleExpression"]
    request.client("glue").create_crawler(**create, Name=name, Tags=_tags_map(request))
    return Provisioned(physical_id=name, note="created, not scheduled: the scenario crawls")


def _create_named(request: ProvisionRequest, operation: str, shape: str) -> Provisioned:
    """Create a Glue resource whose properties are its create call's parameters, by name."""
    name = request.name("Name", max_length=255)
    create = request_to_api(request, "glue", shape, exclude=("Tags",))
    getattr(request.client("glue"), operation)(**create, Name=name, Tags=_tags_map(request))
    return Provisioned(physical_id=name)


#: Where Glue runs a Flex job: "Flexible job runs are supported for jobs using AWS Glue version
#: 3.0 or later and G.1X or G.2X worker types"; only ``glueetl`` jobs of 3.0 and above may set
#: ``ExecutionClass`` to ``FLEX`` (https://docs.aws.amazon.com/glue/latest/dg/add-job.html).
#: botocore states this in prose only, so ``CreateJob`` checks it here, as Glue does.
FLEX_MIN_GLUE_VERSION = (3, 0)
FLEX_WORKER_TYPES = frozenset({"G.1X", "G.2X"})


def glue_version(version: str | None) -> tuple[int, ...]:
    """``"5.0"`` → ``(5, 0)``; a job without ``GlueVersion`` runs Glue 0.9 (AWS docs)."""
    return tuple(int(part) for part in (version or "0.9").split("."))


def _check_flex(request: ProvisionRequest, create: dict[str, Any]) -> None:
    """Refuse a Flex job Glue cannot run, as ``CreateJob`` does (``InvalidInputException``)."""
    if create.get("ExecutionClass") != "FLEX":
        return
    version, worker = create.get("GlueVersion"), create.get("WorkerType")
    command = create.get("Command", {}).get("Name")
    if (
        command != "glueetl"
        or glue_version(version) < FLEX_MIN_GLUE_VERSION
        or worker not in FLEX_WORKER_TYPES
    ):
        raise DeployError(
            f"{request.logical_id}: InvalidInputException: the FLEX execution class needs a "
            "glueetl job on Glue 3.0 or later with G.1X or G.2X workers "
            "(https://docs.aws.amazon.com/glue/latest/dg/add-job.html); got "
            f"Command={command}, GlueVersion={version}, WorkerType={worker}"
        )


@provisioner("AWS::Glue::Job")
def job(request: ProvisionRequest) -> Provisioned:
    """Create the job definition (script, arguments, workers, role, security configuration)."""
    name = request.name("Name", max_length=255)
    create = request_to_api(request, "glue", "CreateJobRequest", exclude=("Tags",))
    _check_flex(request, create)
    request.client("glue").create_job(**create, Name=name, Tags=_tags_map(request))
    return Provisioned(physical_id=name)


@provisioner("AWS::Glue::Workflow")
def workflow(request: ProvisionRequest) -> Provisioned:
    """Create the workflow."""
    return _create_named(request, "create_workflow", "CreateWorkflowRequest")


@provisioner("AWS::Glue::Trigger")
def trigger(request: ProvisionRequest) -> Provisioned:
    """Create the trigger (scheduled or conditional) in its workflow."""
    return _create_named(request, "create_trigger", "CreateTriggerRequest")


def _function(request: ProvisionRequest, arn: str) -> dict[str, Any]:
    """The template's function whose ARN is ``arn`` (its resolved properties)."""
    for resource in request.stack.resources.values():
        if (
            resource.resource_type == "AWS::Lambda::Function"
            and resource.attributes.get("Arn") == arn
        ):
            return resource.properties
    raise DeployError(f"{request.logical_id}: no function of the stack has the ARN {arn}")


def _provider_role_session(request: ProvisionRequest, variable: str, purpose: str) -> Any:
    """A Glue client signed as the role of one of the provider framework's user handlers."""
    framework = _function(request, str(request.properties["ServiceToken"]))
    handler = _function(request, framework["Environment"]["Variables"][variable])
    session = assume_role_as_service(
        request.emulator.deployer,
        handler["Role"],
        service=LAMBDA_PRINCIPAL,
        session_name=f"{request.logical_id}-{purpose}",
        account_id=request.emulator.account_id,
    )
    return session.client("glue")


@provisioner("Custom::GluePartitionIndex")
def partition_index(request: ProvisionRequest) -> Provisioned:
    """Create the table's partition index as aws-cdk-lib's provider does, under its roles.

    The provider's handlers are Node.js functions, which the runner does not execute; their
    calls are made here instead, each signed as the handler that makes it in AWS: ``onEvent``
    calls ``CreatePartitionIndex``, ``isComplete`` calls ``GetPartitionIndexes`` until the
    index is ``ACTIVE`` (``moto_glue``: at once).
    """
    request.only(["ServiceToken", "DatabaseName", "TableName", "IndexName", "Keys"])
    props = request.properties
    database, table_name, index = props["DatabaseName"], props["TableName"], props["IndexName"]
    on_event = _provider_role_session(request, "USER_ON_EVENT_FUNCTION_ARN", "onEvent")
    on_event.create_partition_index(
        DatabaseName=database,
        TableName=table_name,
        PartitionIndex={"IndexName": index, "Keys": list(props["Keys"])},
    )
    is_complete = _provider_role_session(request, "USER_IS_COMPLETE_FUNCTION_ARN", "isComplete")
    indexes = is_complete.get_partition_indexes(DatabaseName=database, TableName=table_name)
    status = next(
        (
            i["IndexStatus"]
            for i in indexes["PartitionIndexDescriptorList"]
            if i["IndexName"].lower() == index.lower()
        ),
        None,
    )
    if status != "ACTIVE":
        raise DeployError(f"{request.logical_id}: partition index {index} is {status}")
    return Provisioned(
        physical_id=index,
        note=f"index {index} on {database}.{table_name}, created under the provider's roles",
    )
