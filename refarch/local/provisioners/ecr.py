"""ECR repositories: where inference images are pushed and pulled from."""

from __future__ import annotations

import json
from typing import Any

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::ECR::Repository")
def repository(request: ProvisionRequest) -> Provisioned:
    """Create the repository (scanning, tag mutability, encryption, policies, tags)."""
    request.only(
        [
            "RepositoryName",
            "ImageScanningConfiguration",
            "ImageTagMutability",
            "EncryptionConfiguration",
            "RepositoryPolicyText",
            "LifecyclePolicy",
            "Tags",
        ],
        ignored={
            "EmptyOnDelete": "what CloudFormation does with the images when the stack is "
            "deleted; the runner deletes no stack",
        },
    )
    props = request.properties
    # Repository names are lowercase (ECR API reference, repositoryName).
    name = request.name("RepositoryName", max_length=256, lowercase=True)
    create: dict[str, Any] = {"repositoryName": name}
    if "ImageScanningConfiguration" in props:
        scan = props["ImageScanningConfiguration"].get("ScanOnPush", False)
        create["imageScanningConfiguration"] = {"scanOnPush": str(scan).lower() == "true"}
    if "ImageTagMutability" in props:
        create["imageTagMutability"] = props["ImageTagMutability"]
    if "EncryptionConfiguration" in props:
        encryption = props["EncryptionConfiguration"]
        create["encryptionConfiguration"] = {"encryptionType": encryption["EncryptionType"]}
        if "KmsKey" in encryption:
            create["encryptionConfiguration"]["kmsKey"] = encryption["KmsKey"]
    if request.tags():
        create["tags"] = request.tags()
    ecr = request.client("ecr")
    created = ecr.create_repository(**create)["repository"]
    if "RepositoryPolicyText" in props:
        policy = props["RepositoryPolicyText"]
        ecr.set_repository_policy(
            repositoryName=name,
            policyText=policy if isinstance(policy, str) else json.dumps(policy),
        )
    if "LifecyclePolicy" in props:
        ecr.put_lifecycle_policy(
            repositoryName=name,
            lifecyclePolicyText=props["LifecyclePolicy"]["LifecyclePolicyText"],
        )
    scan_on_push = create.get("imageScanningConfiguration", {}).get("scanOnPush", False)
    scanning = "scan on push" if scan_on_push else "no scan on push"
    return Provisioned(
        physical_id=name,
        attributes={"Arn": created["repositoryArn"], "RepositoryUri": created["repositoryUri"]},
        note=f"{scanning}, tags {create.get('imageTagMutability', 'MUTABLE')}",
    )
