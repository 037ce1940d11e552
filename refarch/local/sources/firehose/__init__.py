"""Amazon Data Firehose, emulated for delivery streams that read a Kinesis data stream.

``configuration`` reads a delivery stream's properties, ``stream_reader`` reads the source
stream, ``transformation`` is the Lambda contract, ``prefixes`` evaluates S3 prefixes,
``format_conversion`` writes Parquet, ``s3_objects`` builds what lands in S3, and
``delivery_stream`` puts them together; ``service`` keeps them per emulator.
"""

from refarch.local.sources.firehose.delivery_stream import DeliveryStream, DrainReport
from refarch.local.sources.firehose.service import FirehoseService

__all__ = ["DeliveryStream", "DrainReport", "FirehoseService"]
