"""A Python Lambda function with the project's reliability and observability defaults."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from refarch import LAMBDA_ROOT
from refarch.constructs.alarm_topic import AlarmTopic
from refarch.constructs.nag import acknowledge
from refarch.constructs.powertools import powertools_layer
from refarch.constructs.removal import stateful_removal

#: Every function runs the same runtime: the newest Python the Powertools layer is published for.
RUNTIME = lambda_.Runtime.PYTHON_3_13
#: Graviton: about 20% cheaper per GB-second than x86_64 for the same pure-Python code.
#: https://aws.amazon.com/lambda/pricing/
ARCHITECTURE = lambda_.Architecture.ARM_64


@dataclass(frozen=True)
class ObservedFunctionProps:
    """What a pattern says about one of its functions."""

    asset: str
    """The function's directory under `lambda/`, e.g. ``csv_validator``."""

    description: str
    """One line shown in the console: what the function does."""

    handler: str = "handler.lambda_handler"
    """Module and function inside the asset directory."""

    environment: Mapping[str, str] = field(default_factory=dict)
    """Configuration for the handler (the Powertools variables are added here)."""

    memory_size: int = 512
    """MB; CPU scales with memory, so I/O-bound streaming handlers need little.

    @default - 512
    """

    timeout: Duration = Duration.minutes(5)
    """At most 15 minutes (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html):
    longer work belongs on Fargate or Glue.

    @default - 5 minutes
    """

    invoked_asynchronously: bool = True
    """Whether the function's callers invoke it asynchronously (S3, EventBridge, SNS).

    When False (a synchronous caller such as Firehose's transform, which waits for the
    response and runs its own retries), the DLQ, the async retry settings and the DLQ alarm
    are left out: Lambda uses them for asynchronous invocations only, so they would sit empty.

    @default - True
    """

    async_retry_attempts: int = 2
    """Retries of a failed asynchronous invocation before the event goes to the DLQ (0-2).

    Counts function errors only; throttles and system errors are retried until the event is
    ``max_event_age`` old
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).

    @default - 2 (Lambda's own default and its maximum: transient errors get two more chances)
    """

    max_event_age: Duration = Duration.hours(6)
    """Events older than this go to the DLQ instead of being retried (1 minute to 6 hours).

    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html

    @default - 6 hours (Lambda's own default and its maximum: throttled events are kept longest)
    """

    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    """How long the function's logs are kept.

    @default - one month
    """

    lambda_insights: bool = True
    """CloudWatch Lambda Insights: memory, CPU and duration per invocation
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-insights.html). Costs a few custom
    metrics per function.

    @default - True
    """


class ObservedFunction(Construct):
    """A Python function that cannot lose an event silently, and says when it is failing.

    - Asynchronous invocations (S3, EventBridge, SNS) are retried a bounded number of times,
      then land in an encrypted, TLS-only SQS dead-letter queue kept for 14 days. A function
      only ever invoked synchronously (``invoked_asynchronously=False``) has no DLQ: its
      caller owns the retries and the failed records.
    - Alarms on errors, throttles and a non-empty DLQ notify the stack's alarm topic.
    - Its own log group with retention; X-Ray active tracing and Lambda Insights, the tools
      AWS names for finding where latency comes from (MLA-C01 task 4.2:
      https://docs.aws.amazon.com/aws-certification/latest/userguide/machine-learning-engineer-associate-01-domain4.html).
    - A role of its own with only the log permissions it needs; the pattern grants the rest
      with the resources' ``grant_*`` methods.
    - Powertools from the AWS-published layer (no Docker bundling).
    """

    #: How long a failed event waits in the DLQ for someone to look at it (the SQS maximum).
    #: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    DLQ_RETENTION = Duration.days(14)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ObservedFunctionProps,
        alarms: AlarmTopic,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = stateful_removal(self)
        service_name = props.asset.replace("_", "-")

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=props.log_retention,
            removal_policy=removal.policy,
        )
        self.dead_letter_queue: sqs.Queue | None = None
        if props.invoked_asynchronously:
            self.dead_letter_queue = sqs.Queue(
                self,
                "DeadLetterQueue",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=self.DLQ_RETENTION,
                removal_policy=removal.policy,
            )
            acknowledge(
                self.dead_letter_queue,
                "AwsSolutions-SQS3",
                "This queue is the function's dead-letter queue: it has no DLQ of its own by "
                "design.",
            )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {service_name}",
        )
        # Instead of the AWSLambdaBasicExecutionRole managed policy (logs:* on every group):
        # write to this function's own log group only.
        self.log_group.grant_write(self.role)

        self.function = lambda_.Function(
            self,
            "Function",
            description=props.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            # Bytecode caches from local runs would change the asset hash and ship dead weight.
            code=lambda_.Code.from_asset(
                str(LAMBDA_ROOT / props.asset), exclude=["__pycache__", "*.pyc"]
            ),
            handler=props.handler,
            memory_size=props.memory_size,
            timeout=props.timeout,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            layers=[
                powertools_layer(self, "Powertools", runtime=RUNTIME, architecture=ARCHITECTURE)
            ],
            environment={
                "POWERTOOLS_SERVICE_NAME": service_name,
                "POWERTOOLS_METRICS_NAMESPACE": f"refarch/{Stack.of(self).stack_name}",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **props.environment,
            },
            tracing=lambda_.Tracing.ACTIVE,
            insights_version=(
                lambda_.LambdaInsightsVersion.VERSION_1_0_333_0 if props.lambda_insights else None
            ),
            dead_letter_queue=self.dead_letter_queue,
            # Without an asynchronous caller there is no EventInvokeConfig to write.
            retry_attempts=props.async_retry_attempts if props.invoked_asynchronously else None,
            max_event_age=props.max_event_age if props.invoked_asynchronously else None,
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.13 is the newest runtime the pinned Powertools layer version is verified "
            "for here; RUNTIME and POWERTOOLS_LAYER_VERSION move together.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level "
            "permissions; AWS documents Resource '*' for active tracing.",
            findings=["Resource::*"],
        )
        if props.lambda_insights:
            acknowledge(
                self.role,
                "AwsSolutions-IAM4",
                "CloudWatchLambdaInsightsExecutionRolePolicy is the policy AWS documents for the "
                "Lambda Insights extension; it only writes to the /aws/lambda-insights log group.",
                findings=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    "CloudWatchLambdaInsightsExecutionRolePolicy"
                ],
            )

        five_minutes = Duration.minutes(5)
        self.error_alarm = alarms.alarm_on_any(
            self,
            "ErrorsAlarm",
            self.function.metric_errors(period=five_minutes, statistic="Sum"),
            f"{service_name} raised errors (its events are being retried)"
            if props.invoked_asynchronously
            else f"{service_name} raised errors (its caller retries, then keeps the failures)",
        )
        self.throttle_alarm = alarms.alarm_on_any(
            self,
            "ThrottlesAlarm",
            self.function.metric_throttles(period=five_minutes, statistic="Sum"),
            f"{service_name} was throttled (a concurrency limit was reached)",
        )
        self.dead_letter_alarm: cloudwatch.Alarm | None = None
        if self.dead_letter_queue is not None:
            self.dead_letter_alarm = alarms.alarm_on_any(
                self,
                "DeadLettersAlarm",
                self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=five_minutes, statistic="Maximum"
                ),
                f"Events for {service_name} failed every retry and wait in its DLQ",
            )
