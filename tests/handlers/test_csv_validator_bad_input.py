"""The csv-validator's bad-input corpus: every case ends in a stated outcome, no row is lost.

Each case uploads an object (or not), delivers an AWS-shaped event and asserts the outcome:
processed with exact valid/rejected counts, the whole object rejected with its reason, ignored,
or raised. For every case the accounting holds: each input row is in the curated output, in the
rejected output (one rejection standing for a whole rejected object), or the handler raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import csv_stream
import pytest
from csv_validator_harness import HEADER, INPUT_BUCKET, OrdersBuckets, csv_body
from s3_events import record_for_put, s3_event, s3_test_event
from s3_notification import MalformedEventError
from source_filter import UnexpectedSourceError

KEY = "incoming/orders.csv"
CURATED = f"curated/{INPUT_BUCKET}/orders.jsonl"
REJECTED = f"rejected/{INPUT_BUCKET}/orders.jsonl"
GOOD = "A-1,C-1,2024-05-01T10:00:00Z,12.50,EUR"
GOOD_2 = "A-2,C-2,2024-05-01T11:00:00Z,0.99,GBP"


@dataclass(frozen=True)
class Processed:
    """Rows split into curated and rejected; ``reasons`` must each appear in a rejection."""

    valid: int
    rejected: int
    reasons: tuple[str, ...] = ()
    raw_contains: tuple[str, ...] = ()  # text that must survive in some rejection's raw


@dataclass(frozen=True)
class Rejected:
    """The whole object rejected with one rejection record whose reason starts with this."""

    reason: str
    line: int | None = None


@dataclass(frozen=True)
class Ignored:
    """Acknowledged without output."""


@dataclass(frozen=True)
class Raises:
    """The handler raises: Lambda retries, then the DLQ keeps the event."""

    error: type[BaseException]
    code: str | None = None


@dataclass(frozen=True)
class Case:
    """One bad input: the object uploaded, how the event is bent, and the expected outcome."""

    body: bytes | None
    expect: Processed | Rejected | Ignored | Raises
    rows: int = 0  # data records in the body (header excluded), for the accounting
    before_invoke: Callable[[OrdersBuckets, dict[str, Any]], None] | None = None
    event: Callable[[dict[str, Any]], Any] = field(default=lambda record: s3_event(record))


def _delete_version(world: OrdersBuckets, record: dict[str, Any]) -> None:
    version = record["s3"]["object"]["versionId"]
    world.s3.delete_object(Bucket=world.input_bucket, Key=KEY, VersionId=version)


def _with(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    def bend(record: dict[str, Any]) -> dict[str, Any]:
        target = record
        for part in path[:-1]:
            target = target[part]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return s3_event(record)

    return bend


_DELETE = object()
HUGE_FIELD = "x" * (csv_stream.MAX_RECORD_CHARS + 10)

CASES = [
    pytest.param(Case(b"", Rejected("empty object")), id="empty-object"),
    pytest.param(Case(b"\n\r\n  \n", Rejected("empty object")), id="blank-lines-only"),
    pytest.param(Case(csv_body(), Processed(0, 0)), id="header-only"),
    pytest.param(
        Case(
            csv_body("A-1;C-1;2024-05-01T10:00:00Z;1.00;EUR", header=HEADER.replace(",", ";")),
            Rejected("missing columns: order_id, customer_id, order_ts, amount, currency", line=1),
            rows=1,
        ),
        id="wrong-delimiter",
    ),
    pytest.param(
        Case(
            csv_body(
                "A-1,C-1,2024-05-01T10:00:00Z,1.00", header="order_id,customer_id,order_ts,amount"
            ),
            Rejected("missing columns: currency", line=1),
            rows=1,
        ),
        id="missing-columns",
    ),
    pytest.param(
        Case(
            csv_body(GOOD + ",x", header=HEADER + ",amount"),
            Rejected("duplicate columns: amount", line=1),
            rows=1,
        ),
        id="duplicate-columns",
    ),
    pytest.param(
        Case(
            csv_body(GOOD, GOOD_2)
            + "A-3,Caf\xe9,2024-05-01T10:00:00Z,1.00,EUR\n".encode("latin-1"),
            # Rows before the bad bytes are not kept: the file is mis-encoded, not one row.
            Rejected(
                f"not valid UTF-8 at byte offset {len(csv_body(GOOD, GOOD_2)) + 7} (line 4)", 4
            ),
            rows=3,
        ),
        id="non-utf8-bytes",
    ),
    pytest.param(
        Case(csv_body(GOOD) + b"A-2,\xe2\x82", Rejected("not valid UTF-8", line=3), rows=2),
        id="truncated-utf8-at-end",
    ),
    pytest.param(
        Case(b"\xef\xbb\xbf" + csv_body(GOOD, GOOD_2), Processed(2, 0), rows=2), id="utf8-bom"
    ),
    pytest.param(
        Case(
            csv_body(GOOD, f"A-9,{HUGE_FIELD},2024-05-01T10:00:00Z,1.00,EUR", GOOD_2),
            Processed(2, 1, ("row larger than 1048576 characters",)),
            rows=3,
        ),
        id="huge-row",
    ),
    pytest.param(
        Case(
            # A quoted field over the cap whose lines look like orders: none of them is a row.
            csv_body(
                GOOD, f'A-9,"{HUGE_FIELD}\n{GOOD}\n{GOOD_2}\n",2024-05-01T10:00:00Z,1,EUR', GOOD_2
            ),
            Processed(2, 1, ("row larger than 1048576 characters",)),
            rows=3,
        ),
        id="quoted-field-over-the-cap-hides-its-lines",
    ),
    pytest.param(
        Case(
            # A bare CR, then a quote on the line the parser abandons: the next row's start
            # cannot be told, so the rest of the object is one rejection (rows: GOOD, the
            # broken row, and the rest counted as the one record that stands for it).
            csv_body(GOOD, 'A-3,C\r-3,"x', GOOD_2 + '"', GOOD_2),
            Processed(1, 2, ("unparseable CSV", "cannot tell where the next row starts")),
            rows=3,
        ),
        id="bare-cr-then-quote-rejects-the-rest",
    ),
    pytest.param(
        Case(
            csv_body(GOOD + ",,", header=HEADER + ", ,"),
            Rejected("blank column names at positions 6, 7", line=1),
            rows=1,
        ),
        id="blank-header-names",
    ),
    pytest.param(
        Case(
            csv_body(GOOD, "A-9,C-9,9999-12-31T23:59:59-01:00,1.00,EUR"),
            Processed(1, 1, ("order_ts cannot be normalised",)),
            rows=2,
        ),
        id="date-overflow-at-year-9999",
    ),
    pytest.param(
        Case(
            csv_body("note 1," + GOOD, "note 2," + GOOD_2, header="note," + HEADER),
            Processed(2, 0),
            rows=2,
        ),
        id="extra-header-column-dropped",
    ),
    pytest.param(
        Case(
            csv_body(GOOD + ",surplus", GOOD_2),
            Processed(1, 1, ("expected 5 fields, got 6",)),
            rows=2,
        ),
        id="extra-field-in-row",
    ),
    pytest.param(
        Case(csv_body("A-1,C-1,2024-05-01T10:00:00Z,1.00"), Processed(0, 1, ("got 4",)), rows=1),
        id="missing-field-in-row",
    ),
    pytest.param(
        Case(b"\n" + csv_body(GOOD, "", "   ", GOOD_2, ""), Processed(2, 0), rows=2),
        id="blank-lines",
    ),
    pytest.param(
        Case(
            csv_body(
                'A-1,"ACME, Inc.\nBilling",2024-05-01T10:00:00Z,"1,00",EUR',
                '"A-2","C ""2""",2024-05-01T10:00:00Z,2,EUR',
            ),
            Processed(1, 1, ("amount is not a decimal number: '1,00'",)),
            rows=2,
        ),
        id="quoted-fields-commas-newlines",
    ),
    pytest.param(
        Case(
            csv_body(
                "A-1,C-1,2024-05-01T10:00:00Z,1.00,EUR",
                'A-2,"C-2,2024-05-01T10:00:00Z,2.00,EUR',
                GOOD_2,
            ),
            # The unclosed quote swallows the rest of the object into one record, rejected with
            # every swallowed line in its raw: 3 lines, 2 records.
            Processed(1, 1, ("expected 5 fields, got 2",), raw_contains=(GOOD_2,)),
            rows=2,
        ),
        id="unclosed-quote",
    ),
    pytest.param(
        Case(
            csv_body("A-1,C-1,01/05/2024 10:00,1.00,EUR"),
            Processed(0, 1, ("order_ts is not an ISO-8601",)),
            rows=1,
        ),
        id="bad-timestamp",
    ),
    pytest.param(
        Case(
            csv_body("A-1,C-1,2024-05-01,1.00,EUR"),
            Processed(0, 1, ("order_ts is not an ISO-8601",)),
            rows=1,
        ),
        id="date-without-time",
    ),
    pytest.param(
        Case(
            csv_body(GOOD, "A-2,C-2,2024-05-01T10:00:00Z,-5.00,EUR"),
            Processed(1, 1, ("amount is negative",)),
            rows=2,
        ),
        id="negative-amount",
    ),
    pytest.param(
        Case(
            csv_body("A-1,C-1,2024-05-01T10:00:00Z,1.005,EUR"),
            Processed(0, 1, ("more than 2 decimal places",)),
            rows=1,
        ),
        id="too-many-decimals",
    ),
    pytest.param(
        Case(
            csv_body("A-1,C-1,2024-05-01T10:00:00Z,1.00,eur"),
            Processed(0, 1, ("currency is not 3 uppercase",)),
            rows=1,
        ),
        id="lowercase-currency",
    ),
    pytest.param(
        Case(
            csv_body(",C-1,2024-05-01T10:00:00Z,1.00,EUR", GOOD),
            Processed(1, 1, ("order_id is empty",)),
            rows=2,
        ),
        id="empty-order-id",
    ),
    pytest.param(
        Case(
            csv_body("A" * 65 + ",C-1,2024-05-01T10:00:00Z,1.00,EUR"),
            Processed(0, 1, ("order_id longer than 64",)),
            rows=1,
        ),
        id="order-id-too-long",
    ),
    pytest.param(
        Case(
            csv_body(GOOD, ",,,,", newline="\r\n"),
            Processed(1, 1, ("order_id is empty; customer_id is empty",)),
            rows=2,
        ),
        id="crlf-line-endings",
    ),
    pytest.param(
        Case(
            csv_body(GOOD),
            Rejected("source object no longer exists"),
            rows=1,
            before_invoke=_delete_version,
        ),
        id="version-deleted-before-processing",
    ),
    pytest.param(
        Case(csv_body(GOOD), Ignored(), event=_with(("eventName",), "ObjectRemoved:Delete")),
        id="object-removed-event",
    ),
    pytest.param(
        Case(None, Ignored(), event=lambda record: s3_test_event("refarch-test-input")),
        id="s3-test-event",
    ),
    pytest.param(
        Case(None, Raises(MalformedEventError), event=lambda record: {"detail": {}}),
        id="no-records",
    ),
    pytest.param(
        Case(
            csv_body(GOOD),
            Raises(MalformedEventError),
            rows=1,
            event=_with(("s3", "object", "key"), _DELETE),
        ),
        id="record-without-key",
    ),
    pytest.param(
        Case(
            csv_body(GOOD),
            Raises(MalformedEventError),
            rows=1,
            event=_with(("eventSource",), "aws:sqs"),
        ),
        id="not-an-s3-record",
    ),
    pytest.param(
        Case(
            csv_body(GOOD),
            Raises(UnexpectedSourceError),
            rows=1,
            event=_with(("s3", "bucket", "name"), "refarch-no-such-bucket"),
        ),
        id="foreign-bucket-is-refused",
    ),
    pytest.param(
        Case(
            csv_body(GOOD),
            Raises(UnexpectedSourceError),
            rows=1,
            event=_with(("s3", "object", "key"), "other/orders.csv"),
        ),
        id="foreign-prefix-is-refused",
    ),
    pytest.param(
        Case(
            csv_body(GOOD),
            Raises(UnexpectedSourceError),
            rows=1,
            event=_with(("s3", "object", "key"), "incoming/orders.txt"),
        ),
        id="foreign-suffix-is-refused",
    ),
]


# A raising invocation adds no metric, and Powertools warns about the empty flush.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@pytest.mark.parametrize("case", CASES)
def test_bad_input_has_a_stated_outcome_and_loses_no_row(orders_buckets, case: Case):
    world = orders_buckets
    record: dict[str, Any] = {}
    if case.body is not None:
        response = world.put(KEY, case.body)
        record = record_for_put(world.input_bucket, KEY, response, case.body, n=1)
    if case.before_invoke:
        case.before_invoke(world, record)
    event = case.event(record)

    if isinstance(case.expect, Raises):
        with pytest.raises(case.expect.error) as caught:
            world.invoke(event)
        if case.expect.code:
            assert caught.value.response["Error"]["Code"] == case.expect.code
        assert world.output_keys() == []  # nothing half-written; the retry starts clean
        return

    result = world.invoke(event)
    (outcome,) = result["records"]
    expect = case.expect

    if isinstance(expect, Ignored):
        assert outcome["outcome"] == "ignored"
        assert world.output_keys() == []
        return

    if isinstance(expect, Rejected):
        assert outcome["outcome"] == "rejected"
        assert outcome["reason"].startswith(expect.reason)
        assert world.output_keys() == [REJECTED]  # nothing in curated
        (rejection,) = world.read_jsonl(REJECTED)
        assert rejection["reason"] == outcome["reason"]
        assert rejection["line"] == expect.line
        assert rejection["source_key"] == KEY
        assert rejection["source_bucket"] == world.input_bucket
        assert rejection["source_version_id"] == record["s3"]["object"]["versionId"]
        return

    assert outcome["outcome"] == "processed"
    assert (outcome["valid"], outcome["rejected"]) == (expect.valid, expect.rejected)
    curated = world.read_jsonl(CURATED)
    rejected = world.read_jsonl(REJECTED) if expect.rejected else []
    assert len(curated) == expect.valid
    assert len(rejected) == expect.rejected
    assert (REJECTED in world.output_keys()) == bool(expect.rejected)
    # Accounting: every data row of the input is in exactly one of the outputs.
    assert len(curated) + len(rejected) == case.rows
    for reason in expect.reasons:
        assert any(reason in r["reason"] for r in rejected), (reason, rejected)
    for text in expect.raw_contains:
        assert any(text in r["raw"] for r in rejected), (text, rejected)
    for r in rejected:
        assert r["line"] > 1 and r["raw"] is not None and "\r" not in r["raw"][-1:]
