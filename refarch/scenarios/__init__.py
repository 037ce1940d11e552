"""Scenarios that run unchanged on the local emulator and in an AWS account.

Each module's ``run(target) -> list[Check]`` drives its pattern only through AWS APIs
(``refarch.scenarios.target`` lists the rules). ``refarch demo <id>`` runs it on the local
emulator (``refarch.local.target``), ``refarch verify <id> --live`` against the stack deployed in
an account (``refarch.live``). A pattern not listed here still has its runner-only scenario in
``refarch.local.demos`` and cannot be verified live yet.

Converting a pattern:

1. Move ``refarch/local/demos/<module>.py`` here as ``run(target)``: every call through
   ``target.client(...)``; what a source of the runner did (``s3_source().put_object``,
   ``poller.drain()``, ``lambda_invoke_source()``) becomes the AWS call a producer makes
   (``PutObject``, nothing: time passes in ``wait_until``, ``Invoke``); what the runner's records
   showed (outcomes, attempts) is read from what AWS exposes (``observe``: objects, messages,
   the function's log, metadata, the stream). A step AWS has no API for becomes the operator's
   equivalent (a replay with ``Invoke``) or runs under ``target.local_only(reason)``.
2. Each wait: ``target.wait_until`` with an interval and timeout citing the AWS behaviour
   waited for; a documented delay with nothing to observe: ``target.let_settle``.
3. Register it below and in ``refarch.local.demos`` through ``as_demo``; add its
   ``refarch.live.plans`` entry (from the guide's cost section), a ``tests/live`` test through
   the stand-in, and its row in the README's "Verify in your account".
"""

from collections.abc import Mapping

from refarch.scenarios import (
    dynamodb_cdc,
    glue_partitioned_etl,
    queue_worker_variants,
    s3_event_processing,
    staged_model_promotion,
    stream_consumer,
    stream_to_lake,
)
from refarch.scenarios.target import TargetScenario

#: The patterns whose scenario runs against both targets, by pattern id.
CONVERTED: Mapping[str, TargetScenario] = {
    "s3-event-processing": s3_event_processing.run,
    "dynamodb-cdc": dynamodb_cdc.run,
    "stream-consumer": stream_consumer.run,
    "stream-to-lake": stream_to_lake.run,
    "queue-worker": queue_worker_variants.run,
    "staged-model-promotion": staged_model_promotion.run,
    "glue-partitioned-etl": glue_partitioned_etl.run,
}
