"""The SNS topic every alarm of a stack notifies."""

from dataclasses import dataclass

import jsii
from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from refarch.constructs.removal import stateful_removal


@dataclass(frozen=True)
class AlarmTopicProps:
    """Who hears about alarms."""

    email: str | None = None
    """An address subscribed to the topic; it must confirm the subscription e-mail.

    @default - no subscription (subscribe a pager, chat or e-mail after deploy)
    """


class AlarmTopic(Construct):
    """An SNS topic, encrypted with a customer-managed KMS key, that CloudWatch alarms publish to.

    The key is customer-managed because CloudWatch must be allowed in its key policy to publish
    to an encrypted topic; the AWS-managed SNS key cannot grant that
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: AlarmTopicProps) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the alarm topic",
            enable_key_rotation=True,
            removal_policy=stateful_removal(self).policy,
        )
        # Only CloudWatch acting for this account may publish: the service principal alone would
        # let another account's alarms use the topic (the confused-deputy problem).
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
        from_this_account = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        # CloudWatch alarms publish through the key: allow exactly that service to use it.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],  # in a key policy, "*" means this key
                conditions=from_this_account,
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=[self.topic.topic_arn],
                conditions=from_this_account,
            )
        )
        if props.email:
            self.topic.add_subscription(subscriptions.EmailSubscription(props.email))
        self.action = cloudwatch_actions.SnsAction(self.topic)
        self._events_use_key = False

    def notify(self, alarm: cloudwatch.IAlarm) -> cloudwatch.IAlarm:
        """Send the alarm's ALARM and OK transitions to the topic; returns the alarm."""
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        return alarm

    def publish_events(self, rule: events.Rule, *, dead_letter_queue: sqs.IQueue) -> None:
        """Make the topic a target of an EventBridge rule, allowed for that rule only.

        aws-events-targets' ``SnsTopic`` would let ``events.amazonaws.com`` publish and use the
        key with no condition, i.e. from any rule of any account. Here the topic policy admits
        EventBridge for this rule's ARN (``aws:SourceArn``) and the key for this account
        (``aws:SourceAccount``). Events EventBridge cannot deliver after its retries (by default
        24 hours and up to 185 attempts:
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html) land in
        ``dead_letter_queue``, which admits this rule the same way.
        """
        principal = iam.ServicePrincipal("events.amazonaws.com")
        from_this_rule = {"ArnEquals": {"aws:SourceArn": rule.rule_arn}}
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[principal],
                resources=[self.topic.topic_arn],
                conditions=from_this_rule,
            )
        )
        if not self._events_use_key:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[principal],
                    resources=["*"],  # in a key policy, "*" means this key
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            )
            self._events_use_key = True
        dead_letter_queue.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"],
                principals=[principal],
                resources=[dead_letter_queue.queue_arn],
                conditions=from_this_rule,
            )
        )
        rule.add_target(_TopicTarget(self.topic, dead_letter_queue))

    def alarm_on_any(
        self,
        scope: Construct,
        construct_id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float = 1,
    ) -> cloudwatch.Alarm:
        """Alarm as soon as a failure signal reaches the threshold in one period.

        For counters where any occurrence needs a look (errors, throttles, dead letters). No data
        means nothing failed, so missing data is not breaching.
        """
        return self.alarm_on_threshold(
            scope,
            construct_id,
            metric,
            description,
            threshold=threshold,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )

    def alarm_on_threshold(
        self,
        scope: Construct,
        construct_id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        """Alarm when a metric crosses a threshold for `evaluation_periods` periods in a row.

        For gauges and ratios: a lag above a limit (iterator age, data freshness), a success
        ratio below 1. Missing data is not breaching: these services publish nothing while idle.
        """
        alarm = cloudwatch.Alarm(
            scope,
            construct_id,
            metric=metric,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.notify(alarm)
        return alarm


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """The topic as a rule target, with a dead-letter queue; the policies are set by the topic."""

    def __init__(self, topic: sns.ITopic, dead_letter_queue: sqs.IQueue) -> None:
        self._topic = topic
        self._dead_letter_queue = dead_letter_queue

    def bind(self, rule: events.IRule, id: str | None = None) -> events.RuleTargetConfig:
        """Render the target: the whole event is the message."""
        return events.RuleTargetConfig(
            arn=self._topic.topic_arn,
            target_resource=self._topic,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self._dead_letter_queue.queue_arn
            ),
        )
