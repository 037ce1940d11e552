"""What a function's answer to a batch means, under ``ReportBatchItemFailures`` or without it.

Rules from https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html (the
Kinesis and DynamoDB pages state the same for ``batchItemFailures``):

- the function raised (or timed out): the whole batch failed;
- without ``ReportBatchItemFailures``, a return is success for every record, whatever it says;
- with it, an empty or missing ``batchItemFailures`` list (or a ``None`` / empty response)
  means every record succeeded; the listed ``itemIdentifier`` values failed;
- an invalid response (not a JSON object, ``batchItemFailures`` not a list, an
  ``itemIdentifier`` that is null, empty, or not the id of a record of the batch) fails the
  whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BatchResult:
    """Which records of a batch failed, and why the poller thinks so."""

    failed: frozenset[str]
    reason: str = ""

    @property
    def all_succeeded(self) -> bool:
        """True when no record failed."""
        return not self.failed


def batch_result(
    record_ids: Sequence[str],
    *,
    error: str | None,
    response: Any,
    report_batch_item_failures: bool,
) -> BatchResult:
    """Return the failed record ids of a batch (see the module docstring for the rules)."""
    everything = frozenset(record_ids)
    if error is not None:
        return BatchResult(everything, f"the function failed: {error}")
    if not report_batch_item_failures:
        return BatchResult(frozenset())
    if response is None or response == {}:
        return BatchResult(frozenset())
    if not isinstance(response, dict):
        return BatchResult(everything, "invalid partial batch response (not an object)")
    failures = response.get("batchItemFailures")
    if failures is None:
        return BatchResult(frozenset())
    if not isinstance(failures, list):
        return BatchResult(everything, "invalid partial batch response (not a list)")
    failed = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item, str) or not item or item not in everything:
            return BatchResult(everything, f"invalid itemIdentifier {item!r}: whole batch retried")
        failed.add(item)
    return BatchResult(frozenset(failed), "reported in batchItemFailures" if failed else "")
