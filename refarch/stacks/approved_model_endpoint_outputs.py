"""The outputs of the approved-model endpoint stack: what a deployer and a reviewer need next."""

from typing import Any

from aws_cdk import Aws, CfnOutput, Fn


def endpoint_outputs(stack: Any, *, artifacts_location: str, capture_location: str) -> None:
    """Names, locations and the approve command, as stack outputs."""
    group = stack.registry.group_name
    CfnOutput(stack, "ModelPackageGroupName", value=group)
    CfnOutput(stack, "EndpointName", value=stack.endpoint_name)
    CfnOutput(stack, "ArtifactsBucketName", value=stack.artifacts.bucket.bucket_name)
    CfnOutput(
        stack,
        "ArtifactsLocation",
        value=artifacts_location,
        description="Upload model.tar.gz here; the endpoint can read nothing else",
    )
    CfnOutput(
        stack,
        "DataCaptureLocation",
        value=capture_location,
    )
    CfnOutput(stack, "ImageRepositoryUri", value=stack.repository.repository_uri)
    CfnOutput(stack, "ExecutionRoleArn", value=stack.execution_role.role_arn)
    CfnOutput(
        stack,
        "ApproveCommand",
        value=Fn.join(
            "",
            [
                "aws sagemaker update-model-package --model-package-arn arn:",
                Aws.PARTITION,
                ":sagemaker:",
                Aws.REGION,
                ":",
                Aws.ACCOUNT_ID,
                ":model-package/",
                group,
                "/<version> --model-approval-status Approved",
            ],
        ),
        description="Approve a registered version: the deployer rolls it out",
    )
    CfnOutput(stack, "DeployerFunctionName", value=stack.deployer.function.function_name)
    CfnOutput(stack, "AlarmTopicArn", value=stack.alarms.topic.topic_arn)
