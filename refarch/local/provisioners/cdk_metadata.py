"""``AWS::CDK::Metadata``: CDK's version-reporting resource, which has no AWS API of its own."""

from __future__ import annotations

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::CDK::Metadata")
def cdk_metadata(request: ProvisionRequest) -> Provisioned:
    """Record it without creating anything: CloudFormation itself only stores it."""
    return Provisioned(
        physical_id=request.logical_id, note="CDK version reporting: nothing to create"
    )
