"""The clickstream transform under test: its handler module, its logs, the answer's invariants."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from firehose_events import decoded_data
from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module, put_on_path

FUNCTION_DIR = LAMBDA_ROOT / "clickstream_transform"
# The pure modules (click_event, batch_dedupe, firehose_batch) are imported flat, as by the handler.
put_on_path(FUNCTION_DIR)

SERVICE_NAME = "clickstream-transform"
RESULTS = ("Ok", "Dropped", "ProcessingFailed")
PARTITION_KEYS = ("year", "month", "day", "hour")
KEPT_FIELDS = {
    "event_id",
    "event_type",
    "event_time",
    "ingested_at",
    "user_key",
    "session_id",
    "page",
}


def load_handler() -> ModuleType:
    """Import lambda/clickstream_transform/handler.py (as ``clickstream_transform_handler``)."""
    return load_lambda_module(FUNCTION_DIR, "handler", "clickstream_transform_handler")


@dataclass
class ClickstreamTransform:
    """The handler, a Lambda context, and the buffer its Logger writes to."""

    handler: ModuleType
    context: FakeLambdaContext
    log_stream: io.StringIO

    def invoke(self, event: Any) -> dict[str, Any]:
        """Invoke the handler in-process, as Firehose would (synchronously)."""
        return self.handler.lambda_handler(event, self.context)

    def logs(self) -> list[dict[str, Any]]:
        """Return the structured log lines written so far."""
        # One JSON object per "\n": str.splitlines() would also split inside a logged value
        # holding U+0085 or U+2028, which the logger writes unescaped.
        return [json.loads(line) for line in self.log_stream.getvalue().split("\n") if line]

    def logs_for(self, record_id: str) -> list[dict[str, Any]]:
        """Return the log lines about one record."""
        return [entry for entry in self.logs() if entry.get("record_id") == record_id]


def assert_every_record_answered_once(event: dict[str, Any], answer: Any) -> list[dict[str, Any]]:
    """Assert the answer's contract for this batch; return its entries.

    One entry per input record, in input order, with a valid result. An entry copies its
    record's ``recordId`` verbatim (and has none if the record has none), so every recordId is
    answered exactly once. A record not delivered (Dropped, ProcessingFailed) carries its original
    ``data`` unchanged (none if it had none); a delivered one carries a JSON Lines record of
    allow-listed fields and its four partition keys.
    """
    assert type(answer) is dict and set(answer) == {"records"}, answer
    entries = answer["records"]
    assert len(entries) == len(event["records"])
    for record, entry in zip(event["records"], entries, strict=True):
        fields = record if type(record) is dict else {}
        assert entry["result"] in RESULTS, entry
        if "recordId" in fields:
            assert entry["recordId"] is fields["recordId"], (entry, record)
        else:
            assert "recordId" not in entry, entry
        if entry["result"] != "Ok":
            # The very text Firehose sent (even when it is not base64): the bytes unchanged.
            if "data" in fields:
                assert entry["data"] is fields["data"], (entry, record)
            else:
                assert "data" not in entry, entry
            assert set(entry) <= {"recordId", "result", "data"}, entry
            continue
        assert type(entry["recordId"]) is str and entry["recordId"], entry
        line = decoded_data(entry)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert set(json.loads(line)) <= KEPT_FIELDS
        partition = entry["metadata"]["partitionKeys"]
        assert tuple(partition) == PARTITION_KEYS
        assert all(value.isdigit() for value in partition.values()), partition
    return entries


def answered_line(entry: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON object an Ok entry delivers."""
    return json.loads(decoded_data(entry))
