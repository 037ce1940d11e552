"""SageMaker: the Model Registry's model package group.

The group is all CloudFormation creates of SageMaker here: the models, endpoint configurations
and the endpoint follow the registry at runtime (the deployer creates them), and model versions
are registered into the group by a producer (``sources.sagemaker``).
"""

from __future__ import annotations

from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner


@provisioner("AWS::SageMaker::ModelPackageGroup")
def model_package_group(request: ProvisionRequest) -> Provisioned:
    """Create the group (name, description, tags); ``Ref`` is its ARN, as in CloudFormation."""
    request.only(["ModelPackageGroupName", "ModelPackageGroupDescription", "Tags"])
    props = request.properties
    # SageMaker names: letters, digits and hyphens, at most 63 characters.
    name = request.name("ModelPackageGroupName", max_length=63).replace("_", "-")
    create = {"ModelPackageGroupName": name}
    if "ModelPackageGroupDescription" in props:
        create["ModelPackageGroupDescription"] = props["ModelPackageGroupDescription"]
    if request.tags():
        create["Tags"] = request.tags()
    sagemaker = request.client("sagemaker")
    arn = sagemaker.create_model_package_group(**create)["ModelPackageGroupArn"]
    described = sagemaker.describe_model_package_group(ModelPackageGroupName=name)
    return Provisioned(
        physical_id=arn,
        attributes={
            "ModelPackageGroupArn": arn,
            "ModelPackageGroupStatus": described["ModelPackageGroupStatus"],
            "CreationTime": described["CreationTime"].isoformat(),
        },
        note=f"model registry group {name}",
    )
