"""The CloudWatch alarms a SageMaker blue/green endpoint update watches to roll itself back."""

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from refarch.constructs.alarm_topic import AlarmTopic

#: SageMaker publishes endpoint invocation metrics every minute (AWS docs: SageMaker metrics),
#: so a one-minute period lets an alarm trip within the rollout's first wait interval.
PERIOD = Duration.minutes(1)

#: Where SageMaker publishes per-variant invocation metrics (AWS docs).
NAMESPACE = "AWS/SageMaker"


@dataclass(frozen=True)
class EndpointRollbackAlarmsProps:
    """The thresholds at which an endpoint update is judged regressive and rolled back."""

    errors_threshold: int = 1
    """Roll back when the model returns at least this many 5xx responses in a minute, for
    ``evaluation_periods`` minutes in a row (``Invocation5XXErrors``, Sum). A 5xx is the
    model container failing a request it accepted, never the caller's fault: a new version
    that fails requests the old one served is regressive.

    @default - 1
    """

    latency_p99_threshold: Duration = Duration.seconds(1)
    """Roll back when the 99th percentile of ``ModelLatency`` (the time the container takes to
    answer, without SageMaker's overhead) exceeds this for ``evaluation_periods`` minutes in a
    row. p99 rather than the average: a version that is slow for one request in fifty hurts
    those callers while barely moving the mean. Set it just above the live model's p99.

    @default - 1 second
    """

    evaluation_periods: int = 2
    """Consecutive one-minute periods a threshold must be crossed before the alarm fires: one
    bad minute is tolerated (a cold container's first requests), two are not.

    @default - 2
    """

    def __post_init__(self) -> None:
        if self.errors_threshold < 1:
            raise ValueError(f"errors_threshold must be at least 1, got {self.errors_threshold}")
        if self.latency_p99_threshold.to_milliseconds() <= 0:
            raise ValueError("latency_p99_threshold must be positive")
        if self.evaluation_periods < 1:
            raise ValueError(
                f"evaluation_periods must be at least 1, got {self.evaluation_periods}"
            )


class EndpointRollbackAlarms(Construct):
    """5xx errors and p99 model latency of one endpoint variant, as auto-rollback alarms.

    During a blue/green update, "If any of the pre-specified alarms trip during any baking
    period, then all endpoint traffic rolls back to the blue fleet"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html).
    SageMaker names the alarms in the endpoint's deployment configuration, so they have fixed
    names (derived from the endpoint's, unique like it in the account and region), published
    as ``alarm_names``. The endpoint is created at runtime, so until it
    exists the metrics are missing, which is not breaching. Both alarms also notify the alarm
    topic: a rollback, or a regression outside a rollout, needs a human.

    Dimensions are EndpointName and VariantName: blue and green fleets share the variant name
    (SageMaker requires it for blue/green updates: AWS docs, deployment guardrails
    exclusions), so the alarm sees the variant's traffic on both fleets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        alarms: AlarmTopic,
        props: EndpointRollbackAlarmsProps,
    ) -> None:
        super().__init__(scope, construct_id)
        self._dimensions = {"EndpointName": endpoint_name, "VariantName": variant_name}
        self._evaluation_periods = props.evaluation_periods
        self._names = (
            f"{endpoint_name}-invocation-5xx-errors",
            f"{endpoint_name}-model-latency-p99",
        )
        self.errors = self._alarm(
            "Invocation5XXErrors",
            name=self._names[0],
            metric_name="Invocation5XXErrors",
            statistic="Sum",
            threshold=props.errors_threshold,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=(
                f"The model behind {endpoint_name}/{variant_name} returned 5xx errors; during "
                "an update SageMaker rolls the endpoint back to the previous fleet"
            ),
        )
        self.latency = self._alarm(
            "ModelLatencyP99",
            name=self._names[1],
            metric_name="ModelLatency",
            statistic="p99",
            # ModelLatency is reported in microseconds (AWS docs: SageMaker metrics).
            threshold=props.latency_p99_threshold.to_milliseconds() * 1000,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=(
                f"p99 model latency of {endpoint_name}/{variant_name} is above "
                f"{props.latency_p99_threshold.to_milliseconds():g} ms; during an update "
                "SageMaker rolls the endpoint back to the previous fleet"
            ),
        )
        for alarm in (self.errors, self.latency):
            alarms.notify(alarm)

    def _alarm(
        self,
        construct_id: str,
        *,
        name: str,
        metric_name: str,
        statistic: str,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
    ) -> cloudwatch.Alarm:
        """An alarm on one of the variant's per-minute metrics."""
        return cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=name,
            alarm_description=description,
            metric=cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name=metric_name,
                dimensions_map=self._dimensions,
                statistic=statistic,
                period=PERIOD,
            ),
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=self._evaluation_periods,
            # No requests (or no endpoint yet) is not a regression.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    @property
    def alarms(self) -> tuple[cloudwatch.Alarm, ...]:
        """Both alarms, errors first."""
        return (self.errors, self.latency)

    def grant_describe(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the alarms' state: what SageMaker does with the execution role.

        "Ensure that your IAM execution role has permission to perform the
        cloudwatch:DescribeAlarms action on the auto-rollback alarms you specify"
        (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html),
        on the alarms' ARNs, the resource CloudWatch authorizes ``DescribeAlarms`` on (Service
        Authorization Reference, resource type ``alarm``).
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["cloudwatch:DescribeAlarms"],
            resource_arns=[alarm.alarm_arn for alarm in self.alarms],
        )

    @property
    def alarm_names(self) -> tuple[str, ...]:
        """The alarms' names, errors first, for the deployment's ``AutoRollbackConfiguration``.

        Literal names rather than the alarms' ``Ref``: known at synthesis, so the deployer's
        environment and the template agree on sight.
        """
        return self._names
