"""Lambda's event source mappings: pollers that read a source and invoke a function in batches.

The parts every poller shares live apart from the source-specific ones, so the Kinesis and
DynamoDB Streams pollers can join the SQS one:

- ``mapping``: the mapping's properties as Lambda keeps them, with their limits;
- ``filtering``: filter criteria (EventBridge's pattern syntax, the same matcher);
- ``batching``: batch size, batching window, the 6 MB payload;
- ``responses``: what a failed invocation or a partial batch response means;
- ``sqs``: receive, event shape, delete, visibility timeout and redrive, with the role;
- ``streams``: shards in order, checkpoints, bisection, retry and age limits, with the role;
- ``kinesis``: reading a Kinesis stream's shards and its event shape;
- ``dynamodb_streams``: the same for a DynamoDB table's stream;
- ``stream_records``: one record read from a shard;
- ``on_failure``: what a stream mapping sends its on-failure destination.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.config import Config

from refarch.local.errors import LocalRunnerError
from refarch.local.sources.event_source_mappings.dynamodb_streams import DynamoDBStreamShards
from refarch.local.sources.event_source_mappings.filtering import FilterCriteria
from refarch.local.sources.event_source_mappings.kinesis import KinesisShards
from refarch.local.sources.event_source_mappings.mapping import EventSourceMapping
from refarch.local.sources.event_source_mappings.sqs import PollReport, SqsPoller
from refarch.local.sources.event_source_mappings.streams import StreamPoller, StreamReport

if TYPE_CHECKING:
    from refarch.local.account import LocalAccount
    from refarch.local.lambda_runtime.service import LambdaService

__all__ = [
    "EventSourceMapping",
    "EventSourceMappings",
    "FilterCriteria",
    "PollReport",
    "SqsPoller",
    "StreamPoller",
    "StreamReport",
]


class EventSourceMappings:
    """The mappings deployed in one emulator, each with its poller."""

    def __init__(self, emulator: LocalAccount, *, lambda_service: LambdaService) -> None:
        self._emulator = emulator
        self._lambda = lambda_service
        self.pollers: dict[str, SqsPoller | StreamPoller] = {}

    def add(self, mapping: EventSourceMapping) -> SqsPoller | StreamPoller:
        """Register a mapping created by the provisioner; return its poller."""
        emu = self._emulator
        poller: SqsPoller | StreamPoller
        if mapping.source_service == "sqs":
            poller = SqsPoller(emu, mapping, lambda_service=self._lambda)
        elif mapping.source_service == "kinesis":
            session = self._lambda.execution_role_session(mapping.function_arn)
            role = emu.client("lambda").get_function_configuration(
                FunctionName=mapping.function_arn
            )["Role"]
            shards = KinesisShards(
                session.client("kinesis"),
                mapping.event_source_arn,
                region=emu.region,
                role_arn=role,
            )
            poller = StreamPoller(emu, mapping, shards, lambda_service=self._lambda)
        elif mapping.source_service == "dynamodb":
            session = self._lambda.execution_role_session(mapping.function_arn)
            # moto 5.2.5 answers DynamoDB Streams only on the regional endpoint; botocore would
            # address a stream ARN's account endpoint (<account>.streams-ddb…) instead.
            client = session.client(
                "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
            )
            streams = DynamoDBStreamShards(client, mapping.event_source_arn, region=emu.region)
            poller = StreamPoller(emu, mapping, streams, lambda_service=self._lambda)
        else:
            raise LocalRunnerError(
                f"{mapping.logical_id}: event source mappings of {mapping.source_service} are "
                "not emulated yet (SQS, Kinesis and DynamoDB Streams only)"
            )
        self.pollers[mapping.uuid] = poller
        return poller

    def poller(self, uuid_or_logical_id: str) -> SqsPoller | StreamPoller:
        """Return the poller of a mapping by UUID or logical id."""
        for uuid, poller in self.pollers.items():
            if uuid_or_logical_id in (uuid, poller.mapping.logical_id):
                return poller
        raise LocalRunnerError(f"no event source mapping {uuid_or_logical_id} in this emulator")
