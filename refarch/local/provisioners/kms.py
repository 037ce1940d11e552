"""KMS keys (the alarm topic's key) and aliases."""

from __future__ import annotations

import json
from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::KMS::Key")
def key(request: ProvisionRequest) -> Provisioned:
    """Create the key with its key policy, then enable rotation or disable it as asked."""
    request.only(
        [
            "Description",
            "EnableKeyRotation",
            "Enabled",
            "KeyPolicy",
            "KeySpec",
            "KeyUsage",
            "MultiRegion",
            "RotationPeriodInDays",
            "Tags",
        ],
        ignored={"PendingWindowInDays": "applies only when the key is deleted"},
    )
    props = request.properties
    create: dict[str, Any] = {}
    if "KeyPolicy" in props:
        create["Policy"] = json.dumps(props["KeyPolicy"])
    for prop in ("Description", "KeySpec", "KeyUsage"):
        if prop in props:
            create[prop] = props[prop]
    if "MultiRegion" in props:
        create["MultiRegion"] = str(props["MultiRegion"]).lower() == "true"
    # KMS tags use TagKey/TagValue, not CloudFormation's Key/Value.
    if request.tags():
        create["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in request.tags()]
    kms = request.client("kms")
    metadata = kms.create_key(**create)["KeyMetadata"]
    key_id = metadata["KeyId"]
    if str(props.get("EnableKeyRotation", "false")).lower() == "true":
        rotation: dict[str, Any] = {"KeyId": key_id}
        if "RotationPeriodInDays" in props:
            rotation["RotationPeriodInDays"] = int(props["RotationPeriodInDays"])
        kms.enable_key_rotation(**rotation)
    if str(props.get("Enabled", "true")).lower() == "false":
        kms.disable_key(KeyId=key_id)
    return Provisioned(physical_id=key_id, attributes={"Arn": metadata["Arn"], "KeyId": key_id})


@provisioner("AWS::KMS::Alias")
def alias(request: ProvisionRequest) -> Provisioned:
    """Point the alias at its key."""
    request.only(["AliasName", "TargetKeyId"])
    name = request.properties["AliasName"]
    request.client("kms").create_alias(
        AliasName=name, TargetKeyId=request.properties["TargetKeyId"]
    )
    return Provisioned(physical_id=name)
