"""cdk-nag findings on the function aws-cdk-lib adds to configure bucket notifications."""

from aws_cdk import Stack

from refarch.constructs.nag import acknowledge


def acknowledge_notifications_handler(stack: Stack) -> None:
    """Acknowledge the managed-policy finding on CDK's bucket-notifications handler.

    CloudFormation has no standalone notification resource for an existing bucket, so CDK
    configures it through a custom resource whose code and role it owns. Call it once, after the
    stack's last ``add_event_notification``.
    """
    handler = next(
        child
        for child in stack.node.children
        if child.node.id.startswith("BucketNotificationsHandler")
    )
    acknowledge(
        handler,
        "AwsSolutions-IAM4",
        "aws-cdk-lib's bucket-notifications custom resource uses AWSLambdaBasicExecutionRole "
        "for its own logs; its role is not configurable.",
        findings=[
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ],
    )
