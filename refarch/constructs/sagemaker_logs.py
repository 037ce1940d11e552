"""The CloudWatch Logs calls SageMaker makes with a job's or an endpoint's execution role."""

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam


def grant_sagemaker_logs(role: iam.Role, log_group_name: str) -> None:
    """Let SageMaker write a job's or an endpoint's logs with ``role``, on the ARNs IAM checks.

    AWS's execution role policies for SageMaker hosting and processing
    (https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html) list
    logs:CreateLogGroup, logs:DescribeLogStreams, logs:CreateLogStream and logs:PutLogEvents.
    The Service Authorization Reference authorizes the first two on the ``log-group`` resource,
    ``arn:…:log-group:${LogGroupName}`` (no ``:*``, which is what ``LogGroup.Arn`` ends with and
    never matches it), the last two on ``log-stream``,
    ``arn:…:log-group:${LogGroupName}:log-stream:${LogStreamName}``
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
    """
    group = Stack.of(role).format_arn(
        service="logs",
        resource="log-group",
        resource_name=log_group_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"], resources=[group]
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{group}:log-stream:*"],
        )
    )
