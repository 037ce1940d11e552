"""Failures of a Glue job and its crawler, sent to the alarm topic."""

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from constructs import Construct

from refarch.constructs.alarm_topic import AlarmTopic
from refarch.constructs.event_delivery import undelivered_events_queue

#: The terminal states of a failed job run in "Glue Job State Change" events: the events page
#: lists SUCCEEDED, FAILED, TIMEOUT and STOPPED
#: (https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html);
#: ERROR is a further job-run state of the JobRun API
#: (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html), matched in case it
#: is ever emitted. SUCCEEDED and STOPPED (an operator's choice) are not failures.
JOB_FAILURE_STATES = ("FAILED", "TIMEOUT", "ERROR")

#: The failed state of "Glue Crawler State Change" events (the others: Started, Succeeded).
CRAWLER_FAILURE_STATES = ("Failed",)

#: How often the metric alarms evaluate.
PERIOD = Duration.minutes(5)


class GlueFailureAlarms(Construct):
    """A failed, timed-out or errored job run, a failed crawl → EventBridge → the alarm topic.

    - Glue reports run outcomes as events, not as a metric with a failure count: one rule for
      the job's failure states and one for the crawler's, each publishing the event itself
      (job run id, state, error message) to the topic.
    - Events EventBridge cannot deliver land in an encrypted dead-letter queue, and a message
      there raises a CloudWatch alarm (a different path to the topic than the one that failed).
    - Failed Spark tasks (``glue.driver.aggregate.numFailedTasks``, from ``--enable-metrics``):
      Spark retries a failed task, so a run can succeed with some; each is a lost executor, an
      out-of-memory task or, with Flex, capacity reclaimed during the run (spare compute
      "can be reclaimed during the run of a job": the Flex launch post, an AWS Big Data Blog
      post rather than the service guide,
      https://aws.amazon.com/blogs/big-data/introducing-aws-glue-flex-jobs-cost-savings-on-etl-workloads/).
      It warns before the retries run out and the job fails.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        job: glue.IJob,
        crawler_name: str,
        alarms: AlarmTopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = undelivered_events_queue(
            self, "UndeliveredEvents", used_by="the failure-event rules"
        )
        self.job_failed = events.Rule(
            self,
            "JobFailed",
            description="A run of the ETL job failed, timed out or errored",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": [job.job_name], "state": list(JOB_FAILURE_STATES)},
            ),
        )
        self.crawler_failed = events.Rule(
            self,
            "CrawlerFailed",
            description="A run of the raw-zone crawler failed",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Crawler State Change"],
                detail={"crawlerName": [crawler_name], "state": list(CRAWLER_FAILURE_STATES)},
            ),
        )
        for rule in (self.job_failed, self.crawler_failed):
            alarms.publish_events(rule, dead_letter_queue=self.dead_letter_queue)

        self.undelivered = alarms.alarm_on_any(
            self,
            "UndeliveredAlarm",
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            "A Glue failure event could not be delivered to the alarm topic: read it from the "
            "dead-letter queue, then check the topic and key policies",
        )
        self.failed_tasks = alarms.alarm_on_any(
            self,
            "FailedTasksAlarm",
            job.metric(
                "glue.driver.aggregate.numFailedTasks",
                glue.MetricType.COUNT,
                period=PERIOD,
                statistic="Sum",
            ),
            "Spark tasks of the ETL job failed and were retried (lost executors, memory, or "
            "Flex capacity reclaimed): check the job's error log before the run fails",
        )
