"""A stack as deployed in the emulator: its resources by logical id, and its outputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from refarch.local.emulator import Emulator
    from refarch.local.sources.firehose import DeliveryStream
    from refarch.local.sources.glue_job import GlueJobRunner
    from refarch.local.sources.kinesis import KinesisProducer
    from refarch.local.sources.lambda_api import LambdaInvokeSource
    from refarch.local.sources.s3 import S3NotificationSource


@dataclass
class LocalResource:
    """One resource of the template, created in moto."""

    logical_id: str
    resource_type: str
    physical_id: str
    """What ``Ref`` returns: a bucket name, a queue URL, a topic ARN, a function name…"""

    attributes: dict[str, Any]
    """What ``Fn::GetAtt`` returns, by attribute name (``Arn``, ``QueueName``…)."""

    properties: dict[str, Any]
    """The resolved properties it was created with."""


@dataclass
class LocalStack:
    """A deployed stack: find its resources by logical id (or prefix), read its outputs."""

    pattern_id: str
    stack_name: str
    stack_id: str
    template: dict[str, Any]
    """The template as deployed (after any ``template_hook``)."""

    emulator: Emulator
    resources: dict[str, LocalResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """Resources not created because their ``Condition`` is false, with the condition."""

    _glue_jobs: dict[str, GlueJobRunner] = field(default_factory=dict, repr=False)

    def resource(self, name: str) -> LocalResource:
        """Return a resource by logical id, by a unique logical-id prefix, or by physical id.

        CDK appends an 8-character hash to logical ids: ``resource("InputBucket")`` finds
        ``InputBucket35D89CB1``; otherwise a prefix must match exactly one resource.
        """
        if name in self.resources:
            return self.resources[name]
        hashed = re.compile(re.escape(name) + "[0-9A-F]{8}")
        for finder in (
            lambda i, r: r.physical_id == name,
            lambda i, r: hashed.fullmatch(i) is not None,
            lambda i, r: i.startswith(name),
        ):
            matches = [r for i, r in self.resources.items() if finder(i, r)]
            if matches:
                break
        if len(matches) != 1:
            found = ", ".join(r.logical_id for r in matches) or "none"
            raise KeyError(f"{self.stack_name}: {name!r} matches {found}")
        return matches[0]

    def physical_id(self, name: str) -> str:
        """Return what ``Ref`` gives for a resource (see ``resource`` for the lookup)."""
        return self.resource(name).physical_id

    def of_type(self, resource_type: str) -> list[LocalResource]:
        """Return the resources of one type, in creation order."""
        return [r for r in self.resources.values() if r.resource_type == resource_type]

    def output(self, name: str) -> Any:
        """Return a stack output's value."""
        return self.outputs[name]

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
