"""Glue Data Catalog databases and tables (the lake's schema, which Firehose and Athena read)."""

from __future__ import annotations

from refarch.local.errors import UnsupportedPropertyError
from refarch.local.provisioners.api_shapes import to_api
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
