"""A deployed stack with the handles a scenario drives it with (uploads, producers, jobs).

Event sources take the ``StackResources`` they act on, so they never import this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from refarch.local.stack_resources import StackResources

if TYPE_CHECKING:
    from refarch.local.sources.firehose import DeliveryStream
    from refarch.local.sources.glue_crawler import GlueCrawler
    from refarch.local.sources.glue_job import GlueJobRunner
    from refarch.local.sources.kinesis import KinesisProducer
    from refarch.local.sources.lambda_api import LambdaInvokeSource
    from refarch.local.sources.s3 import S3NotificationSource


@dataclass
class LocalStack(StackResources):
    """A deployed stack (``StackResources``), and the event sources that drive it."""

    _glue_jobs: dict[str, GlueJobRunner] = field(default_factory=dict, repr=False)
    _glue_crawlers: dict[str, GlueCrawler] = field(default_factory=dict, repr=False)

    def s3_source(self, bucket: str) -> S3NotificationSource:
        """Return the event source that uploads to ``bucket`` and delivers its notifications."""
        from refarch.local.sources.s3 import S3NotificationSource

        return S3NotificationSource(self, bucket)

    def lambda_invoke_source(self) -> LambdaInvokeSource:
        """Return the event source that calls ``Invoke`` on this stack's functions directly."""
        from refarch.local.sources.lambda_api import LambdaInvokeSource

        return LambdaInvokeSource(self)

    def kinesis_producer(self, stream: str) -> KinesisProducer:
        """Return a producer for ``stream`` (under the stack's producer role, if it has one)."""
        from refarch.local.sources.kinesis import KinesisProducer

        return KinesisProducer(self, stream)

    def firehose(self, delivery_stream: str) -> DeliveryStream:
        """Return the runner's emulation of a delivery stream (``drain()`` moves the records)."""
        return self.emulator.firehose.delivery_stream(self.physical_id(delivery_stream))

    def glue_job(self, job: str) -> GlueJobRunner:
        """Return the runner of a Glue job (``run()`` runs its code as its role); one per job."""
        from refarch.local.sources.glue_job import GlueJobRunner

        name = self.physical_id(job)
        if name not in self._glue_jobs:
            self._glue_jobs[name] = GlueJobRunner(self, job)
        return self._glue_jobs[name]

    def glue_crawler(self, crawler: str) -> GlueCrawler:
        """Return the runner of a Glue crawler (``crawl()`` crawls as its role); one per crawler."""
        from refarch.local.sources.glue_crawler import GlueCrawler

        name = self.physical_id(crawler)
        if name not in self._glue_crawlers:
            self._glue_crawlers[name] = GlueCrawler(self, crawler)
        return self._glue_crawlers[name]
