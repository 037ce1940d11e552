"""The queue worker behind a FIFO queue (``-c fifo=true``): EventBridge-shaped bodies, message
groups held back after a failure, and the last receive dead-lettered with its reason.

Bodies are S3's ``Object Created`` events as EventBridge delivers them
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html); records carry the FIFO
attributes Lambda adds (``MessageGroupId``, ``SequenceNumber``,
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_harness import FakeLambdaContext
from moto import mock_aws
from queue_worker_harness import (
    INPUT_BUCKET,
    INPUT_PREFIX,
    MANIFEST_PREFIX,
    OUTPUT_BUCKET,
    SERVICE_NAME,
    QueueWorker,
    load_handler,
    sqs_record,
)

FIFO_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:queue-worker-work.fifo"
MAX_RECEIVE_COUNT = 5
ORDERS, CLICKS = INPUT_PREFIX + "orders/", INPUT_PREFIX + "clicks/"


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueWorker]:
    """Input and output buckets, a FIFO DLQ, and the worker's FIFO environment, on moto."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", SERVICE_NAME)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        for bucket in (INPUT_BUCKET, OUTPUT_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        dlq_url = sqs.create_queue(
            QueueName="queue-worker-dlq.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        for name, value in {
            "INPUT_BUCKET": INPUT_BUCKET,
            "OUTPUT_BUCKET": OUTPUT_BUCKET,
            "INPUT_PREFIX": INPUT_PREFIX,
            "MANIFEST_PREFIX": MANIFEST_PREFIX,
            "DEAD_LETTER_QUEUE_URL": dlq_url,
            "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
        }.items():
            monkeypatch.setenv(name, value)
        handler = load_handler()
        for cached in (handler.s3_client, handler.sqs_client, handler.settings):
            cached.cache_clear()
        write_manifest = handler._write_manifest  # failing_on replaces it
        yield QueueWorker(
            handler=handler, s3=s3, sqs=sqs, dlq_url=dlq_url, context=FakeLambdaContext()
        )
        handler._write_manifest = write_manifest
    handler.s3_client.cache_clear()
    handler.sqs_client.cache_clear()
    handler.settings.cache_clear()


def bridged_body(key: str, *, version_id: str | None = None, size: int = 4, **changes: Any) -> str:
    """S3's Object Created event as EventBridge delivers it (the key URL-encoded)."""
    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "etag": "e"}
    if version_id:
        obj["version-id"] = version_id
    obj["sequencer"] = "0055AED6DCD90281E5"
    event = {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-06-01T09:15:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{INPUT_BUCKET}"],
        "detail": {
            "version": "0",
            "bucket": {"name": INPUT_BUCKET},
            "object": obj,
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }
    event.update(changes)
    return json.dumps(event)


def fifo_record(body: str, group: str, *, receives: int = 1, sequence: int = 1) -> dict[str, Any]:
    """A record from a FIFO queue: the standard shape plus the FIFO attributes."""
    record = sqs_record(body)
    record["eventSourceARN"] = FIFO_QUEUE_ARN
    record["attributes"].update(
        ApproximateReceiveCount=str(receives),
        MessageGroupId=group,
        MessageDeduplicationId=f"dedup-{sequence}",
        SequenceNumber=str(10**19 + sequence),
    )
    return record


def upload(worker: QueueWorker, key: str, data: bytes = b"a,b\n") -> str:
    put = worker.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=data)
    return bridged_body(key, version_id=put["VersionId"], size=len(data))


def failing_on(worker: QueueWorker, failing: set[str]) -> None:
    """Make writing the manifest of these keys fail as S3 would with a 5xx (worth a retry)."""
    original = worker.handler._write_manifest

    def write(settings_: Any, version: Any) -> Any:
        if version.key in failing:
            raise worker.s3.exceptions.ClientError(
                {"Error": {"Code": "InternalError", "Message": "try again"}}, "PutObject"
            )
        return original(settings_, version)

    worker.handler._write_manifest = write


def written_keys(worker: QueueWorker) -> set[str]:
    return {record["key"] for record in worker.manifests().values()}


def test_an_eventbridge_event_is_read_like_the_notification(worker):
    key = ORDERS + "März 1+2.csv"
    body = upload(worker, key, b"id;menge\n1;2\n")
    response = worker.run(fifo_record(body, ORDERS))
    assert response == {"batchItemFailures": []}
    (manifest,) = worker.manifests().values()
    assert manifest["key"] == key  # decoded: '+' for the space, %2B for the plus
    assert manifest["status"] == "accepted" and manifest["columns"] == ["id", "menge"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"source": "aws.sqs"}, "not 'aws.s3'"),
        ({"detail-type": "Object Deleted"}, "is not 'Object Created'"),
        ({"detail": {"bucket": {"name": "elsewhere"}, "object": {"key": "x"}}}, "input bucket"),
        ({"detail": {"bucket": {"name": INPUT_BUCKET}}}, "missing detail.object.key"),
        (
            {"detail": {"bucket": {"name": INPUT_BUCKET}, "object": {"key": ORDERS, "size": -1}}},
            "size",
        ),
        ({"detail": []}, "missing detail.bucket.name"),
    ],
)
def test_a_malformed_eventbridge_event_is_dead_lettered_with_its_reason(worker, changes, reason):
    body = bridged_body(ORDERS + "a.csv", **changes)
    response = worker.run(fifo_record(body, ORDERS))
    assert response == {"batchItemFailures": []}
    (dead,) = worker.dead_letters()
    assert dead["Body"] == body
    assert reason in dead["MessageAttributes"]["FailureReason"]["StringValue"]


def test_a_failure_holds_back_the_rest_of_its_group_only(worker):
    records = [
        fifo_record(upload(worker, ORDERS + "1.csv"), ORDERS, sequence=1),
        fifo_record(upload(worker, ORDERS + "2.csv"), ORDERS, sequence=2),
        fifo_record(upload(worker, CLICKS + "1.csv"), CLICKS, sequence=3),
        fifo_record(upload(worker, ORDERS + "3.csv"), ORDERS, sequence=4),
        fifo_record(upload(worker, CLICKS + "2.csv"), CLICKS, sequence=5),
    ]
    failing_on(worker, {ORDERS + "2.csv"})
    response = worker.run(*records)
    returned = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert returned == [records[1]["messageId"], records[3]["messageId"]]
    assert written_keys(worker) == {ORDERS + "1.csv", CLICKS + "1.csv", CLICKS + "2.csv"}
    assert not worker.dead_letters()


def test_on_its_last_receive_a_failing_message_is_dead_lettered_and_its_group_goes_on(worker):
    stuck = fifo_record(upload(worker, ORDERS + "2.csv"), ORDERS, receives=MAX_RECEIVE_COUNT)
    after = fifo_record(upload(worker, ORDERS + "3.csv"), ORDERS, receives=MAX_RECEIVE_COUNT)
    failing_on(worker, {ORDERS + "2.csv"})
    response = worker.run(stuck, after)
    assert response == {"batchItemFailures": []}
    assert written_keys(worker) == {ORDERS + "3.csv"}
    dead = worker.sqs.receive_message(
        QueueUrl=worker.dlq_url,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
    )["Messages"]
    (message,) = dead
    assert message["Body"] == stuck["body"]
    reason = message["MessageAttributes"]["FailureReason"]["StringValue"]
    assert f"each of its {MAX_RECEIVE_COUNT} receives" in reason and "InternalError" in reason
    # The FIFO DLQ keeps the group, and a retried send of this message would be a duplicate.
    assert message["Attributes"]["MessageGroupId"] == ORDERS
    assert message["Attributes"]["MessageDeduplicationId"] == stuck["messageId"]


def test_before_its_last_receive_a_failing_message_is_left_for_retry(worker):
    stuck = fifo_record(upload(worker, ORDERS + "2.csv"), ORDERS, receives=MAX_RECEIVE_COUNT - 1)
    failing_on(worker, {ORDERS + "2.csv"})
    # Powertools raises when every record failed: Lambda returns the whole batch to the queue.
    with pytest.raises(Exception, match="All records failed"):
        worker.run(stuck)
    assert not worker.dead_letters()


messages = st.lists(
    st.tuples(st.sampled_from([ORDERS, CLICKS, INPUT_PREFIX + "c/"]), st.booleans()),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(messages)
def test_every_message_is_written_or_returned_and_no_group_passes_a_failure(worker, batch):
    # Property: in any FIFO batch, the messages returned are exactly, per group, those from the
    # group's first failure on; every other message is written; nothing is dead-lettered early.
    worker.s3.delete_objects(
        Bucket=OUTPUT_BUCKET,
        Delete={"Objects": [{"Key": k} for k in worker.manifests()] or [{"Key": "none"}]},
    )
    records, failing, expected_returned, failed_groups = [], set(), [], set()
    for n, (group, fails) in enumerate(batch):
        key = f"{group}{n}.csv"
        record = fifo_record(upload(worker, key), group, sequence=n)
        records.append(record)
        if fails:
            failing.add(key)
        if fails or group in failed_groups:
            failed_groups.add(group)
            expected_returned.append(record["messageId"])
    original = worker.handler._write_manifest
    failing_on(worker, failing)
    try:
        if len(expected_returned) == len(records):
            with pytest.raises(Exception, match="All records failed"):
                worker.run(*records)
            return
        response = worker.run(*records)
    finally:
        worker.handler._write_manifest = original
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == expected_returned
    returned = set(expected_returned)
    assert written_keys(worker) == {
        json.loads(r["body"])["detail"]["object"]["key"]
        for r in records
        if r["messageId"] not in returned
    }
