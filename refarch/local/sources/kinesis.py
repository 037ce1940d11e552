"""A producer writing to a Kinesis data stream: ``PutRecords`` in batches, a partition key each.

Producers batch records rather than call ``PutRecord`` in a loop, and the partition key decides
the shard: Kinesis hashes it with MD5 to pick one. A ``PutRecords`` call takes at most 500
records and 10 MiB, each record up to 10 MiB where the stream allows it
(https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html); batches are cut
at 500 records or 5 MiB, a conservative cap that is valid under both the old and the current
request limit.

Who produces: if the stack outputs a producer role (an output named ``…Producer…`` whose value is
the ARN of one of its roles), the producer assumes it, the way an application granted
``stream.grant_write`` would, and every call is authorized against that role with IAM enforced
(``kinesis:PutRecords`` on the stream and, for a customer managed key, ``kms:GenerateDataKey``).
Otherwise the deployer produces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from refarch.local.errors import LocalRunnerError
from refarch.local.identities import assume_role_as_service, session_from
from refarch.local.policy_conditions import as_list, resource_policy_allows
from refarch.local.trace import size

if TYPE_CHECKING:
    from refarch.local.stack_resources import StackResources

#: Batch cut: PutRecords takes 500 records and 10 MiB per request; 5 MiB is kept as a safe cap.
PUT_RECORDS_MAX_RECORDS = 500
PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class PutResult:
    """Where one record landed, or why it did not."""

    partition_key: str
    data: bytes
    shard_id: str = ""
    sequence_number: str = ""
    error: str = ""


@dataclass
class Production:
    """The outcome of one ``put_records`` call of the producer."""

    results: list[PutResult] = field(default_factory=list)
    calls: int = 0
    error: str = ""
    """Why a PutRecords request failed as a whole (AccessDenied, KMSAccessDeniedException…)."""

    @property
    def written(self) -> list[PutResult]:
        """The records the stream accepted."""
        return [r for r in self.results if not r.error]

    @property
    def ok(self) -> bool:
        """Return True if every record was written."""
        return not self.error and all(not r.error for r in self.results)


def producer_role_arn(stack: StackResources) -> str | None:
    """Return the producer role the stack outputs, if it outputs one."""
    roles = {r.attributes["Arn"] for r in stack.of_type("AWS::IAM::Role")}
    for name, value in stack.outputs.items():
        if "producer" in name.lower() and value in roles:
            return str(value)
    return None


def _assume(stack: StackResources, role_arn: str) -> boto3.Session:
    """Assume the producer role as an application would: the deployer, or its service."""
    emu = stack.emulator
    trust = emu.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    document = trust["AssumeRolePolicyDocument"]
    deployer_arn = emu.client("sts").get_caller_identity()["Arn"]
    root = f"arn:{emu.partition}:iam::{emu.account_id}:root"
    for principal in (deployer_arn, root, emu.account_id):
        if resource_policy_allows(
            document, action="sts:AssumeRole", principal=principal, context={}
        ):
            credentials = emu.client("sts").assume_role(
                RoleArn=role_arn, RoleSessionName="refarch-producer"
            )["Credentials"]
            return session_from(credentials, emu.region)
    services = [
        service
        for statement in as_list(document.get("Statement", []))
        for service in as_list(statement.get("Principal", {}).get("Service", []))
    ]
    if not services:
        raise LocalRunnerError(
            f"the producer role {role_arn} trusts neither the account nor a service"
        )
    return assume_role_as_service(
        emu.deployer,
        role_arn,
        service=services[0],
        session_name="refarch-producer",
        account_id=emu.account_id,
    )


def _requests(records: Sequence[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
    batch: list[tuple[str, bytes]] = []
    batch_bytes = 0
    for partition_key, data in records:
        record_bytes = len(data) + len(partition_key.encode())
        if batch and (
            len(batch) == PUT_RECORDS_MAX_RECORDS
            or batch_bytes + record_bytes > PUT_RECORDS_MAX_BYTES
        ):
            yield batch
            batch, batch_bytes = [], 0
        batch.append((partition_key, data))
        batch_bytes += record_bytes
    if batch:
        yield batch


class KinesisProducer:
    """Put records into one of a stack's streams.

    Parameters
    ----------
    stack:
        The deployed stack.
    stream:
        The stream's logical id (or unique prefix) or name.
    """

    def __init__(self, stack: StackResources, stream: str) -> None:
        self.stack = stack
        resource = stack.resource(stream)
        self.stream_name = resource.physical_id
        self.stream_arn = resource.attributes["Arn"]
        self.role_arn = producer_role_arn(stack)
        self._session: boto3.Session | None = None

    @property
    def identity(self) -> str:
        """Who produces: the producer role's name, or the deployer."""
        return self.role_arn.rsplit("/", 1)[-1] if self.role_arn else "the deployer"

    def _client(self) -> Any:
        if self._session is None:
            emu = self.stack.emulator
            self._session = _assume(self.stack, self.role_arn) if self.role_arn else emu.deployer
        return self._session.client("kinesis")

    def put_records(self, records: Iterable[tuple[str, bytes]]) -> Production:
        """Write ``(partition key, data)`` records with ``PutRecords``, as many calls as needed.

        A request IAM (or KMS) denies is reported in ``Production.error``, not raised: the run
        goes on and fails on its checks, with the denial recorded.
        """
        records = list(records)
        trace = self.stack.emulator.trace
        production = Production()
        kinesis = self._client()
        for batch in _requests(records):
            production.calls += 1
            try:
                response = kinesis.put_records(
                    StreamARN=self.stream_arn,
                    Records=[{"PartitionKey": key, "Data": data} for key, data in batch],
                )
            except ClientError as exc:
                production.error = str(exc)
                production.results.extend(PutResult(k, d, error=str(exc)) for k, d in batch)
                trace.line(f"✗ PutRecords {self.stream_name} as {self.identity}: {exc}")
                continue
            for (key, data), entry in zip(batch, response["Records"], strict=True):
                production.results.append(
                    PutResult(
                        key,
                        data,
                        shard_id=entry.get("ShardId", ""),
                        sequence_number=entry.get("SequenceNumber", ""),
                        error=entry.get("ErrorMessage", "") if entry.get("ErrorCode") else "",
                    )
                )
        written = production.written
        shards: dict[str, int] = {}
        for result in written:
            shards[result.shard_id] = shards.get(result.shard_id, 0) + 1
        spread = ", ".join(f"{shard}: {count}" for shard, count in sorted(shards.items()))
        total = sum(len(data) for _, data in records)
        trace.line(
            f"→ PutRecords {self.stream_name} as {self.identity}: {len(written)}/{len(records)} "
            f"records ({size(total)}) in {production.calls} calls ({spread or 'no shard'})"
        )
        return production
