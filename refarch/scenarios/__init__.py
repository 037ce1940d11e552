"""Scenarios that run unchanged on the local emulator and in an AWS account.

Each module's ``run(target) -> list[Check]`` drives its pattern only through AWS APIs
(``refarch.scenarios.target`` lists the rules). ``refarch demo <id>`` runs it on the local
emulator (``refarch.local.target``), ``refarch verify <id> --live`` against the stack deployed in
an account (``refarch.live``). Every pattern of the catalog has one (a test holds it).

Writing a new pattern's scenario:

1. ``run(target)`` here: every call through ``target.client(...)``, as a producer, operator
   or reviewer makes it (``PutObject``, ``SendMessage``, ``Invoke``; nothing where AWS acts by
   itself: time passes in ``wait_until``); every outcome read from what AWS exposes
   (``observe``: objects, messages, the function's log, metadata, the stream). A step AWS has
   no API for becomes the operator's equivalent (a replay with ``Invoke``) or runs under
   ``target.local_only(reason)``.
2. Each wait: ``target.wait_until`` with an interval and timeout citing the AWS behaviour
   waited for; a documented delay with nothing to observe: ``target.let_settle``.
3. Register it below and in ``refarch.local.demos``; add its
   ``refarch.live.plans`` entry (from the guide's cost section), a ``tests/live`` test through
   the stand-in, and its row in the README's "Verify in your account".
"""

from collections.abc import Mapping

from refarch.scenarios import (
    approved_model_endpoint,
    dynamodb_cdc,
    glue_partitioned_etl,
    model_quality_monitor,
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
    "model-quality-monitor": model_quality_monitor.run,
    "queue-worker": queue_worker_variants.run,
    "staged-model-promotion": staged_model_promotion.run,
    "glue-partitioned-etl": glue_partitioned_etl.run,
    "approved-model-endpoint": approved_model_endpoint.run,
}
