"""Drop repeated events within one Firehose batch, keyed by the producer's ``event_id``.

Why: records reach the stream more than once. A producer that times out before PutRecord is
acknowledged retries, and "there will be two Kinesis Data Streams records. Although the two
records have identical data, they also have unique sequence numbers"; applications that need
strict guarantees "should embed a primary key within the record to remove duplicates later when
processing" (Handle duplicate records, Kinesis Data Streams developer guide:
https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-processor-duplicates.html).
``event_id`` is that key: the sequence number,
``recordId`` and arrival time of a retry all differ, so they cannot identify it.

Scope: one invocation. The transform holds no state between batches (it makes no AWS calls), so
a copy that lands in another batch, and Firehose's own retries, which re-send a batch (AWS
docs), still reach the lake. A Firehose retry re-sends the same records, so its output lines are
byte-identical; a producer retry arrives later, so its ``ingested_at`` differs. Either way the
copies share ``event_id``, and the lake's readers dedupe on that key alone
(``ROW_NUMBER() OVER (PARTITION BY event_id)`` in Athena, or a Glue job's
``dropDuplicates(["event_id"])``), never on the whole row.
"""

from __future__ import annotations


class BatchDedupe:
    """Remember the first record of each ``event_id`` seen in a batch.

    Only events that passed validation are offered: an invalid first copy fails on its own and
    does not make a valid later copy a duplicate.

    Example:
        >>> dedupe = BatchDedupe()
        >>> dedupe.first_record_of("e-1", "rec-1") is None
        True
        >>> dedupe.first_record_of("e-1", "rec-2")
        'rec-1'
    """

    def __init__(self) -> None:
        self._first: dict[str, str] = {}

    def first_record_of(self, event_id: str, record_id: str) -> str | None:
        """Return the recordId that already carried ``event_id``, or None if this is the first.

        Which copy is kept matters little: a producer retry carries identical data. The first is
        kept so the outcome does not depend on anything but the order of the batch.
        """
        first = self._first.setdefault(event_id, record_id)
        return None if first == record_id else first
