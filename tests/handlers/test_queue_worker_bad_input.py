"""The queue worker against a hostile corpus: every message ends written, ignored, in the DLQ
with its reason, or listed for retry, and nothing else."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3
import pytest
from lambda_harness import FakeLambdaContext
from moto import mock_aws
from queue_worker_harness import (
    DLQ_NAME,
    INPUT_BUCKET,
    INPUT_PREFIX,
    MANIFEST_PREFIX,
    OUTPUT_BUCKET,
    SERVICE_NAME,
    QueueWorker,
    load_handler,
    s3_body,
    sqs_record,
)


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueWorker]:
    """Versioned input and output buckets and the DLQ on moto; the worker's environment set."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", SERVICE_NAME)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        dlq_url = sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
        for name, value in {
            "INPUT_BUCKET": INPUT_BUCKET,
            "OUTPUT_BUCKET": OUTPUT_BUCKET,
            "INPUT_PREFIX": INPUT_PREFIX,
            "MANIFEST_PREFIX": MANIFEST_PREFIX,
            "DEAD_LETTER_QUEUE_URL": dlq_url,
        }.items():
            monkeypatch.setenv(name, value)
        handler = load_handler()
        handler.s3_client.cache_clear()
        handler.sqs_client.cache_clear()
        handler.settings.cache_clear()
        yield QueueWorker(
            handler=handler, s3=s3, sqs=sqs, dlq_url=dlq_url, context=FakeLambdaContext()
        )
    handler.s3_client.cache_clear()
    handler.sqs_client.cache_clear()


def _gzip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as out:
        out.write(data)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    """One hostile message: how to make it, and the outcome it must have."""

    name: str
    make: Callable[[QueueWorker], str]
    """Prepares S3 (uploads, deletes) and returns the message body."""

    outcome: str
    """``written``, ``ignored`` or ``dead_lettered``."""

    expect: str = ""
    """For ``written``: the manifest's status; for ``dead_lettered``: part of the reason."""


def _upload(key: str, data: bytes) -> Callable[[QueueWorker], str]:
    def make(worker: QueueWorker) -> str:
        put = worker.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=data)
        return s3_body(key, size=len(data), version_id=put["VersionId"])

    return make


def _body(body: str) -> Callable[[QueueWorker], str]:
    return lambda _worker: body


def _deleted(worker: QueueWorker) -> str:
    key = INPUT_PREFIX + "gone.csv"
    put = worker.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"a,b\n")
    worker.s3.delete_object(Bucket=INPUT_BUCKET, Key=key, VersionId=put["VersionId"])
    return s3_body(key, size=4, version_id=put["VersionId"])


def _unknown_version(worker: QueueWorker) -> str:
    key = INPUT_PREFIX + "versioned.csv"
    worker.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"a,b\n")
    return s3_body(key, size=4, version_id="3HL4kqtJvjVBH40Nrjfkd")


def _padded_valid(worker: QueueWorker) -> str:
    key = INPUT_PREFIX + "padded.csv"
    put = worker.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"a,b\n1,2\n")
    body = json.loads(s3_body(key, size=8, version_id=put["VersionId"]))
    body["Records"][0]["padding"] = "x" * 200_000  # unknown fields are ignored
    return json.dumps(body)


def _records(count: int) -> str:
    one = json.loads(s3_body(INPUT_PREFIX + "a.csv"))["Records"][0]
    return json.dumps({"Records": [one] * count})


def _field(path: tuple[str, ...], value: object) -> str:
    body = json.loads(s3_body(INPUT_PREFIX + "a.csv"))
    target = body["Records"][0]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(body)


CASES = [
    Case("csv", _upload(INPUT_PREFIX + "orders.csv", b"id,amount\n1,2\n"), "written", "accepted"),
    Case(
        "unicode key with spaces",
        _upload(INPUT_PREFIX + "Bestellungen März (Köln) #1.csv", b"id;Menge\n1;2\n"),
        "written",
        "accepted",
    ),
    Case(
        "emoji key", _upload(INPUT_PREFIX + "data/📦 ü.jsonl", b'{"a": 1}\n'), "written", "accepted"
    ),
    Case("empty object", _upload(INPUT_PREFIX + "empty.csv", b""), "written", "rejected"),
    Case(
        "parquet",
        _upload(INPUT_PREFIX + "t.parquet", b"PAR1\x15\x04" + b"\0" * 30),
        "written",
        "accepted",
    ),
    Case("gzip", _upload(INPUT_PREFIX + "t.csv.gz", _gzip(b"a,b\n1,2\n")), "written", "accepted"),
    Case(
        "json lines",
        _upload(INPUT_PREFIX + "t.jsonl", b'{"id": 1}\n{"id": 2}\n'),
        "written",
        "accepted",
    ),
    Case(
        "csv with BOM",
        _upload(INPUT_PREFIX + "bom.csv", "\ufeffid,x\n1,2\n".encode()),
        "written",
        "accepted",
    ),
    Case(
        "not UTF-8",
        _upload(INPUT_PREFIX + "latin1.csv", "id,größe\n".encode("latin-1")),
        "written",
        "rejected",
    ),
    Case(
        "header with an empty name",
        _upload(INPUT_PREFIX + "e.csv", b"id,,x\n1,2,3\n"),
        "written",
        "rejected",
    ),
    Case(
        "header repeats a name",
        _upload(INPUT_PREFIX + "d.csv", b"id,id\n1,2\n"),
        "written",
        "rejected",
    ),
    Case("no delimiter", _upload(INPUT_PREFIX + "t.txt", b"hello world\n"), "written", "rejected"),
    Case(
        "carriage return inside a quoted header",
        _upload(INPUT_PREFIX + "cr.csv", b'id\r"amount",x\n1,2,3\n'),
        "written",
        "rejected",
    ),
    Case(
        "first line over 64 KiB",
        _upload(INPUT_PREFIX + "wide.csv", b"a," * 50_000),
        "written",
        "rejected",
    ),
    Case(
        "broken JSON line", _upload(INPUT_PREFIX + "b.jsonl", b'{"id": \n'), "written", "rejected"
    ),
    Case("oversized message, valid", _padded_valid, "written", "accepted"),
    Case(
        "S3 test event",
        _body(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})),
        "ignored",
    ),
    Case("body not JSON", _body("<xml/>"), "dead_lettered", "not JSON"),
    Case("body a JSON string", _body(json.dumps("\u2603 snowman")), "dead_lettered", "no Records"),
    Case("body a JSON array", _body("[1, 2]"), "dead_lettered", "no Records"),
    Case("no Records", _body(json.dumps({"records": []})), "dead_lettered", "no Records"),
    Case("empty Records", _body(json.dumps({"Records": []})), "dead_lettered", "0 records"),
    Case("too many Records", _body(_records(11)), "dead_lettered", "11 records"),
    Case(
        "record not an object",
        _body(json.dumps({"Records": [42]})),
        "dead_lettered",
        "not an object",
    ),
    Case("SNS record", _body(_field(("eventSource",), "aws:sns")), "dead_lettered", "eventSource"),
    Case(
        "delete event",
        _body(s3_body(INPUT_PREFIX + "a.csv", event_name="ObjectRemoved:Delete")),
        "dead_lettered",
        "not an ObjectCreated",
    ),
    Case(
        "another bucket",
        _body(s3_body(INPUT_PREFIX + "a.csv", bucket="elsewhere")),
        "dead_lettered",
        "not the input bucket",
    ),
    Case("outside the prefix", _body(s3_body("other/a.csv")), "dead_lettered", "outside"),
    Case(
        "key over 1024 bytes",
        _body(s3_body(INPUT_PREFIX + "é" * 600)),
        "dead_lettered",
        "1024 bytes",
    ),
    Case(
        "missing key",
        _body(_field(("s3", "object", "key"), None)),
        "dead_lettered",
        "s3.object.key",
    ),
    Case("negative size", _body(_field(("s3", "object", "size"), -1)), "dead_lettered", "size"),
    Case("size as text", _body(_field(("s3", "object", "size"), "10")), "dead_lettered", "size"),
    Case(
        "empty version id",
        _body(_field(("s3", "object", "versionId"), "")),
        "dead_lettered",
        "versionId",
    ),
    Case("deleted before processing", _deleted, "dead_lettered", "no longer exists"),
    Case(
        "key too long for its manifest",
        _upload(INPUT_PREFIX + "k" * 1000, b"a,b\n"),
        "dead_lettered",
        "manifest key",
    ),
    Case("unknown version", _unknown_version, "dead_lettered", "no longer exists"),
]


def test_the_corpus_has_at_least_25_cases_each_with_an_outcome():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.outcome for c in CASES} == {"written", "ignored", "dead_lettered"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_hostile_message_has_its_stated_outcome(worker, case):
    record = sqs_record(case.make(worker))
    response = worker.run(record)
    assert response == {"batchItemFailures": []}
    manifests = worker.manifests()
    dead = worker.dead_letters()
    if case.outcome == "written":
        (manifest,) = manifests.values()
        assert manifest["status"] == case.expect, manifest
        assert not dead
    elif case.outcome == "ignored":
        assert not manifests and not dead
    else:
        (message,) = dead
        assert not manifests
        assert message["Body"] == record["body"]  # the original body, byte for byte
        attributes = message["MessageAttributes"]
        assert case.expect in attributes["FailureReason"]["StringValue"]
        assert attributes["SourceMessageId"]["StringValue"] == record["messageId"]


def test_one_batch_of_the_whole_corpus_accounts_for_every_message(worker):
    records = [sqs_record(case.make(worker)) for case in CASES]
    response = worker.run(*records)
    assert response == {"batchItemFailures": []}
    dead = {m["MessageAttributes"]["SourceMessageId"]["StringValue"] for m in worker.dead_letters()}
    expected_dead = {
        r["messageId"] for r, c in zip(records, CASES, strict=True) if c.outcome == "dead_lettered"
    }
    assert dead == expected_dead
    written = sum(c.outcome == "written" for c in CASES)
    assert len(worker.manifests()) == written
    ignored = sum(c.outcome == "ignored" for c in CASES)
    assert len(dead) + written + ignored == len(records)


def test_a_duplicate_delivery_rewrites_the_same_manifest(worker):
    body = _upload(INPUT_PREFIX + "dup.csv", b"a,b\n1,2\n")(worker)
    worker.run(sqs_record(body), sqs_record(body))
    first = worker.manifests()
    worker.run(sqs_record(body))
    assert worker.manifests() == first and len(first) == 1


def test_out_of_order_versions_each_get_their_own_manifest(worker):
    key = INPUT_PREFIX + "late.csv"
    old = _upload(key, b"a\n1\n")(worker)
    new = _upload(key, b"a,b\n1,2\n")(worker)
    worker.run(sqs_record(new), sqs_record(old))
    manifests = worker.manifests()
    assert len(manifests) == 2
    assert sorted(m.get("columns") == ["a", "b"] for m in manifests.values()) == [False, True]


def test_a_transient_failure_is_retried_alone(worker):
    good = _upload(INPUT_PREFIX + "good.csv", b"a,b\n")(worker)
    # The output bucket vanishes for one message's write: S3 fails with NoSuchBucket.
    failing = sqs_record(_upload(INPUT_PREFIX + "fails.csv", b"a,b\n")(worker))
    original = worker.handler._write_manifest

    def write(settings, version):
        if version.key.endswith("fails.csv"):
            raise worker.s3.exceptions.NoSuchBucket({"Error": {"Code": "NoSuchBucket"}}, "Put")
        return original(settings, version)

    worker.handler._write_manifest = write
    try:
        response = worker.run(sqs_record(good), failing, sqs_record(good))
    finally:
        worker.handler._write_manifest = original
    assert response == {"batchItemFailures": [{"itemIdentifier": failing["messageId"]}]}
    assert len(worker.manifests()) == 1 and not worker.dead_letters()


def test_a_poison_message_the_dlq_refuses_is_retried_not_lost(worker):
    good = sqs_record(_upload(INPUT_PREFIX + "good.csv", b"a,b\n")(worker))
    worker.sqs.delete_queue(QueueUrl=worker.dlq_url)
    poison = sqs_record("not json")
    response = worker.run(good, poison)
    assert response == {"batchItemFailures": [{"itemIdentifier": poison["messageId"]}]}


def test_a_batch_where_every_message_fails_fails_the_invocation(worker):
    # Powertools raises when the whole batch failed: Lambda then returns every message.
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    worker.sqs.delete_queue(QueueUrl=worker.dlq_url)
    with pytest.raises(BatchProcessingError):
        worker.run(sqs_record("not json"), sqs_record("[]"))
