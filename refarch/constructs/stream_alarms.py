"""Alarms on the failure signals of a Kinesis data stream and of a Firehose stream to S3."""

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from constructs import Construct

from refarch.constructs.alarm_topic import AlarmTopic

#: The period every stream alarm evaluates: short enough to page within minutes.
PERIOD = Duration.minutes(5)

_ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
_BELOW = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


class KinesisStreamAlarms(Construct):
    """Consumer lag and throttling of a Kinesis data stream, sent to the alarm topic.

    - ``GetRecords.IteratorAgeMilliseconds`` (Maximum), the age of the last record read by
      ``GetRecords``, above a threshold for three periods in a row: consumers are falling
      behind. Only a sustained lag pages; a one-period spike does not (this project's choice).
    - ``ReadProvisionedThroughputExceeded`` (``GetRecords`` calls throttled) and
      ``WriteProvisionedThroughputExceeded`` (records rejected by throttling), Sum above zero:
      every throttle is worth a look.

    Metric definitions:
    https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stream: kinesis.IStream,
        alarms: AlarmTopic,
        iterator_age_threshold: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        self.iterator_age = alarms.alarm_on_threshold(
            self,
            "IteratorAge",
            stream.metric_get_records_iterator_age_milliseconds(period=PERIOD, statistic="Maximum"),
            "Consumers of the stream have fallen behind for 15 minutes; records expire unread "
            "once their age reaches the retention period",
            threshold=iterator_age_threshold.to_milliseconds(),
            comparison=_ABOVE,
            evaluation_periods=3,
        )
        self.read_throttles = alarms.alarm_on_any(
            self,
            "ReadThrottles",
            stream.metric_read_provisioned_throughput_exceeded(period=PERIOD, statistic="Sum"),
            "GetRecords calls on the stream were throttled: readers exceed 2 MB/s per shard "
            "(add shards or use enhanced fan-out)",
        )
        self.write_throttles = alarms.alarm_on_any(
            self,
            "WriteThrottles",
            stream.metric_write_provisioned_throughput_exceeded(period=PERIOD, statistic="Sum"),
            "Writes to the stream were throttled: producers exceed 1 MB/s or 1,000 records/s "
            "per shard, or a hot partition key (batch, spread keys, or add shards)",
        )


class FirehoseToS3Alarms(Construct):
    """Delivery lag and failures of a Firehose stream writing to S3, sent to the alarm topic.

    Firehose's success metrics are ratios (successful over total), so "any failure" is a
    Minimum below 1. Each alarm is added only for a feature the stream uses.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery_stream: firehose.IDeliveryStream,
        alarms: AlarmTopic,
        freshness_threshold: Duration,
        transform: bool,
        dynamic_partitioning: bool,
        format_conversion: bool,
    ) -> None:
        super().__init__(scope, construct_id)

        def metric(name: str, statistic: str) -> cloudwatch.Metric:
            return delivery_stream.metric(name, period=PERIOD, statistic=statistic)

        # The age of the oldest record not yet in S3: above the threshold, delivery is late.
        self.freshness = alarms.alarm_on_threshold(
            self,
            "DataFreshness",
            metric("DeliveryToS3.DataFreshness", "Maximum"),
            "Records wait in Firehose longer than its buffers explain: delivery to S3 is "
            "falling behind or failing",
            threshold=freshness_threshold.to_seconds(),
            comparison=_ABOVE,
        )
        self.delivery_failures = alarms.alarm_on_threshold(
            self,
            "DeliveryFailures",
            metric("DeliveryToS3.Success", "Minimum"),
            "Some puts to S3 failed; Firehose retries, then writes the batch under the error "
            "prefix",
            threshold=1,
            comparison=_BELOW,
        )
        self.transform_failures = None
        if transform:
            self.transform_failures = alarms.alarm_on_threshold(
                self,
                "TransformFailures",
                metric("ExecuteProcessing.Success", "Minimum"),
                "Invocations of the transform Lambda failed; after the retries their records "
                "land under errors/processing-failed/",
                threshold=1,
                comparison=_BELOW,
            )
        self.partition_count_exceeded = None
        if dynamic_partitioning:
            self.partition_count_exceeded = alarms.alarm_on_any(
                self,
                "PartitionCountExceeded",
                metric("PartitionCountExceeded", "Maximum"),
                "More partitions were active at once than Firehose allows; the excess records "
                "land under the error prefix",
            )
        self.conversion_failures = None
        if format_conversion:
            self.conversion_failures = alarms.alarm_on_any(
                self,
                "ConversionFailures",
                metric("FailedConversion.Records", "Sum"),
                "Records did not match the Glue table's schema and were written under "
                "errors/format-conversion-failed/ instead of as Parquet",
            )
