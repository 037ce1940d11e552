"""Athena workgroups: where queries run, with the result location and limits they enforce."""

from __future__ import annotations

from refarch.local.provisioners.api_shapes import to_api
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::Athena::WorkGroup")
def work_group(request: ProvisionRequest) -> Provisioned:
    """Create the workgroup with its configuration (enforced settings, results, scan limit)."""
    request.only(
        ["Name", "Description", "State", "Tags", "WorkGroupConfiguration"],
        ignored={"RecursiveDeleteOption": "applies only when CloudFormation deletes the group"},
    )
    props = request.properties
    name = request.name("Name", max_length=128)
    create: dict[str, object] = {"Name": name}
    if "WorkGroupConfiguration" in props:
        create["Configuration"] = to_api(
            request, "WorkGroupConfiguration", "athena", "WorkGroupConfiguration"
        )
    if "Description" in props:
        create["Description"] = props["Description"]
    if request.tags():
        create["Tags"] = request.tags()
    athena = request.client("athena")
    athena.create_work_group(**create)
    if props.get("State") == "DISABLED":
        athena.update_work_group(WorkGroup=name, State="DISABLED")
    return Provisioned(physical_id=name)
