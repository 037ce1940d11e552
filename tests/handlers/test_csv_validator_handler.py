"""The csv-validator handler end to end on moto: records, keys, idempotency, ordering, streaming."""

from __future__ import annotations

import hashlib
import io
import json

import csv_stream
import moto.s3.models
import multipart_writer
import pytest
from botocore.exceptions import ClientError
from csv_validator_harness import CURATED, HEADER, REJECTED, OrdersBuckets, csv_body
from lambda_harness import emf_documents
from s3_events import object_created_record, record_for_put, s3_event, sequencer

NO_METRICS = "ignore:No application metrics to publish"  # a raising invocation counts nothing
GOOD = "A-1,C-1,2024-05-01T10:00:00Z,12.50,EUR"
GOOD_2 = "A-2,C-2,2024-05-01T11:00:00+02:00,3,USD"
BAD_CURRENCY = "A-3,C-3,2024-05-01T12:00:00Z,1.00,eur"


def put_and_record(world: OrdersBuckets, key: str, body: bytes, n: int = 0) -> dict:
    """Upload an input object and return the S3 notification record for that upload."""
    response = world.put(key, body)
    return record_for_put(world.input_bucket, key, response, body, n)


def test_every_record_of_an_event_is_processed(orders_buckets):
    keys = ["incoming/a.csv", "incoming/b.csv", "incoming/c.csv"]
    records = [put_and_record(orders_buckets, key, csv_body(GOOD)) for key in keys]
    result = orders_buckets.invoke(s3_event(*records))
    assert [r["outcome"] for r in result["records"]] == ["processed"] * 3
    assert [r["key"] for r in result["records"]] == keys
    assert orders_buckets.output_keys() == [
        CURATED + "a.jsonl",
        CURATED + "b.jsonl",
        CURATED + "c.jsonl",
    ]


def test_every_record_is_read_by_the_keys_s3_really_sends(orders_buckets):
    # A handler that reads Records[0] only, via keys S3 never sends (s3.source_bucket /
    # s3.source_key), is a common mistake. Pin that the real ones drive it, for every record.
    first = put_and_record(orders_buckets, "incoming/first.csv", csv_body(GOOD))
    second = put_and_record(orders_buckets, "incoming/second.csv", csv_body(GOOD_2))
    for record in (first, second):
        assert "source_bucket" not in record["s3"] and "source_key" not in record["s3"]
    result = orders_buckets.invoke(s3_event(first, second))
    assert [r["bucket"] for r in result["records"]] == [orders_buckets.input_bucket] * 2
    assert orders_buckets.read_jsonl(CURATED + "second.jsonl")[0]["order_id"] == "A-2"


@pytest.mark.parametrize(
    ("key", "output"),
    [
        ("incoming/my orders.csv", "my orders.jsonl"),
        ("incoming/a+b.csv", "a+b.jsonl"),
        ("incoming/commandes été/ü 1.csv", "commandes été/ü 1.jsonl"),
        ("incoming/dt=2024-05-01/orders.csv", "dt=2024-05-01/orders.jsonl"),
        ("incoming/100%.csv", "100%.jsonl"),
    ],
)
def test_url_encoded_keys_are_decoded(orders_buckets, key, output):
    record = put_and_record(orders_buckets, key, csv_body(GOOD))
    assert record["s3"]["object"]["key"] != key  # S3 sends the key URL-encoded
    result = orders_buckets.invoke(s3_event(record))
    assert result["records"][0]["key"] == key
    assert orders_buckets.output_keys() == [CURATED + output]
    metadata = orders_buckets.output_metadata(CURATED + output)
    assert metadata["source-key"].isascii()
    assert metadata["source-version-id"] == record["s3"]["object"]["versionId"]


def test_outputs_carry_the_source_version_and_sequencer(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD, BAD_CURRENCY), n=7)
    orders_buckets.invoke(s3_event(record))
    expected = {
        "source-bucket": orders_buckets.input_bucket,
        "source-key": "incoming/o.csv",
        "source-key-sha256": hashlib.sha256(b"incoming/o.csv").hexdigest(),
        "source-version-id": record["s3"]["object"]["versionId"],
        "source-sequencer": sequencer(7),
    }
    assert orders_buckets.output_metadata(CURATED + "o.jsonl") == expected
    assert orders_buckets.output_metadata(REJECTED + "o.jsonl") == expected


def test_curated_and_rejected_rows_are_json_lines(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD, BAD_CURRENCY, GOOD_2))
    result = orders_buckets.invoke(s3_event(record))
    assert result["records"][0] | {"valid": 2, "rejected": 1} == result["records"][0]
    assert orders_buckets.read_jsonl(CURATED + "o.jsonl") == [
        {
            "order_id": "A-1",
            "customer_id": "C-1",
            "order_ts": "2024-05-01T10:00:00Z",
            "amount": "12.50",
            "currency": "EUR",
        },
        {
            "order_id": "A-2",
            "customer_id": "C-2",
            "order_ts": "2024-05-01T09:00:00Z",
            "amount": "3.00",
            "currency": "USD",
        },
    ]
    assert orders_buckets.read_jsonl(REJECTED + "o.jsonl") == [
        {
            "line": 3,
            "reason": "currency is not 3 uppercase letters: 'eur'",
            "raw": BAD_CURRENCY,
            "source_bucket": orders_buckets.input_bucket,
            "source_key": "incoming/o.csv",
            "source_version_id": record["s3"]["object"]["versionId"],
        }
    ]


def test_the_version_in_the_event_is_read_not_the_latest(orders_buckets):
    first = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD), n=1)
    orders_buckets.put("incoming/o.csv", csv_body(GOOD_2))  # a newer version, not yet notified
    orders_buckets.invoke(s3_event(first))
    assert [r["order_id"] for r in orders_buckets.read_jsonl(CURATED + "o.jsonl")] == ["A-1"]


def test_duplicate_delivery_writes_identical_outputs(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD, BAD_CURRENCY))
    first = orders_buckets.invoke(s3_event(record))
    before = orders_buckets.snapshot()
    second = orders_buckets.invoke(s3_event(record))
    assert second == first
    assert orders_buckets.snapshot() == before
    assert list(before) == [CURATED + "o.jsonl", REJECTED + "o.jsonl"]


def test_duplicate_records_in_one_event_write_one_output(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    result = orders_buckets.invoke(s3_event(record, record))
    assert [r["outcome"] for r in result["records"]] == ["processed", "processed"]
    assert orders_buckets.output_keys() == [CURATED + "o.jsonl"]
    assert len(orders_buckets.read_jsonl(CURATED + "o.jsonl")) == 1


def test_out_of_order_delivery_skips_the_stale_event(orders_buckets):
    older = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD), n=1)
    newer = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD_2, BAD_CURRENCY), n=2)
    orders_buckets.invoke(s3_event(newer))
    before = orders_buckets.snapshot()
    result = orders_buckets.invoke(s3_event(older))
    assert result["records"][0]["outcome"] == "skipped_stale"
    assert sequencer(2) in result["records"][0]["reason"]
    assert orders_buckets.snapshot() == before


def test_in_order_delivery_replaces_obsolete_outputs(orders_buckets):
    with_rejections = csv_body(GOOD, BAD_CURRENCY)
    older = put_and_record(orders_buckets, "incoming/o.csv", with_rejections, n=1)
    newer = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD_2), n=2)
    orders_buckets.invoke(s3_event(older))
    assert orders_buckets.output_keys() == [CURATED + "o.jsonl", REJECTED + "o.jsonl"]
    orders_buckets.invoke(s3_event(newer))
    # The newer version has no rejections: the older version's rejected output must not linger.
    assert orders_buckets.output_keys() == [CURATED + "o.jsonl"]
    assert orders_buckets.read_jsonl(CURATED + "o.jsonl")[0]["order_id"] == "A-2"


def test_newer_unusable_version_replaces_the_curated_output(orders_buckets):
    older = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD), n=1)
    newer = put_and_record(orders_buckets, "incoming/o.csv", b"order_id;amount\n1;2\n", n=2)
    orders_buckets.invoke(s3_event(older))
    result = orders_buckets.invoke(s3_event(newer))
    assert result["records"][0]["outcome"] == "rejected"
    assert orders_buckets.output_keys() == [REJECTED + "o.jsonl"]
    # ...and a late duplicate of the older event is now stale against the rejection.
    late = orders_buckets.invoke(s3_event(older))
    assert late["records"][0]["outcome"] == "skipped_stale"
    assert orders_buckets.output_keys() == [REJECTED + "o.jsonl"]


def test_header_only_object_writes_an_empty_curated_output(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(), n=3)
    result = orders_buckets.invoke(s3_event(record))
    assert result["records"][0] | {"outcome": "processed", "valid": 0} == result["records"][0]
    assert orders_buckets.read_output(CURATED + "o.jsonl") == b""
    # The empty output still carries the sequencer that orders later deliveries.
    assert orders_buckets.output_metadata(CURATED + "o.jsonl")["source-sequencer"] == sequencer(3)


def test_object_deleted_from_an_unversioned_view_is_rejected_not_retried(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    del record["s3"]["object"]["versionId"]  # as from a bucket without versioning
    orders_buckets.s3.delete_object(Bucket=orders_buckets.input_bucket, Key="incoming/o.csv")
    result = orders_buckets.invoke(s3_event(record))
    assert result["records"][0]["outcome"] == "rejected"
    assert result["records"][0]["reason"] == "source object no longer exists"
    assert orders_buckets.read_jsonl(REJECTED + "o.jsonl")[0]["source_version_id"] is None


def test_event_without_sequencer_is_processed(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    del record["s3"]["object"]["sequencer"]  # a hand-made replay: cannot be ordered
    assert orders_buckets.invoke(s3_event(record))["records"][0]["outcome"] == "processed"


@pytest.mark.filterwarnings(NO_METRICS)
@pytest.mark.parametrize(
    "code", ["SlowDown", "InternalError", "ServiceUnavailable", "AccessDenied"]
)
def test_transient_and_permission_errors_propagate(orders_buckets, monkeypatch, code):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    client = orders_buckets.handler.s3_client()

    def failing_get_object(**kwargs):
        raise ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")

    monkeypatch.setattr(client, "get_object", failing_get_object)
    with pytest.raises(ClientError, match=code):
        orders_buckets.invoke(s3_event(record))
    assert orders_buckets.output_keys() == []


@pytest.mark.filterwarnings(NO_METRICS)
def test_failure_mid_stream_aborts_uploads_and_raises(orders_buckets, monkeypatch):
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1024)
    monkeypatch.setattr(multipart_writer, "PART_SIZE_BYTES", 1024)
    monkeypatch.setattr(csv_stream, "READ_CHUNK_BYTES", 4096)
    body = csv_body(*[GOOD] * 2000)
    record = put_and_record(orders_buckets, "incoming/o.csv", body)
    client = orders_buckets.handler.s3_client()
    real_get_object = client.get_object

    class BrokenBody:
        """A body whose connection drops after 32 KiB, as a reset HTTP stream would."""

        def __init__(self, body):
            self._body = body
            self._served = 0

        def read(self, size):
            if self._served > 32 * 1024:
                raise ConnectionResetError("connection reset by peer")
            data = self._body.read(size)
            self._served += len(data)
            return data

        def close(self):
            self._body.close()

    def get_object(**kwargs):
        response = real_get_object(**kwargs)
        return {**response, "Body": BrokenBody(response["Body"])}

    monkeypatch.setattr(client, "get_object", get_object)
    with pytest.raises(ConnectionResetError):
        orders_buckets.invoke(s3_event(record))
    uploads = orders_buckets.s3.list_multipart_uploads(Bucket=orders_buckets.output_bucket)
    assert uploads.get("Uploads", []) == []
    assert orders_buckets.output_keys() == []


def test_large_object_is_streamed_in_chunks_and_written_in_parts(orders_buckets, monkeypatch):
    part_size = 64 * 1024
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", part_size)
    monkeypatch.setattr(multipart_writer, "PART_SIZE_BYTES", part_size)
    monkeypatch.setattr(csv_stream, "READ_CHUNK_BYTES", 16 * 1024)
    rows = [f"A-{i},C-{i % 97},2024-05-01T10:00:00Z,{i % 1000}.25,EUR" for i in range(6000)]
    rows[4321] = "A-4321,C-1,not-a-time,1.00,EUR"
    body = csv_body(*rows)
    assert len(body) > 10 * csv_stream.READ_CHUNK_BYTES
    record = put_and_record(orders_buckets, "incoming/big.csv", body)

    client = orders_buckets.handler.s3_client()
    real_get_object = client.get_object
    read_sizes: list[int | None] = []

    class RecordingBody:
        def __init__(self, body):
            self._body = body

        def read(self, size=None):
            read_sizes.append(size)
            return self._body.read(size)

        def close(self):
            self._body.close()

    def get_object(**kwargs):
        response = real_get_object(**kwargs)
        return {**response, "Body": RecordingBody(response["Body"])}

    monkeypatch.setattr(client, "get_object", get_object)
    result = orders_buckets.invoke(s3_event(record))

    assert result["records"][0] | {"valid": 5999, "rejected": 1} == result["records"][0]
    # Read incrementally: many bounded reads, never one read of the whole body.
    assert len(read_sizes) > 10
    assert all(size is not None and size <= csv_stream.READ_CHUNK_BYTES for size in read_sizes)
    # Written incrementally: the curated output went up as a multipart upload of several parts.
    curated = orders_buckets.read_output(CURATED + "big.jsonl")
    assert len(curated) > 3 * part_size
    etag = orders_buckets.s3.head_object(
        Bucket=orders_buckets.output_bucket, Key=CURATED + "big.jsonl"
    )["ETag"]
    assert int(etag.strip('"').rsplit("-", 1)[1]) == -(-len(curated) // part_size)
    lines = curated.decode().splitlines()
    assert len(lines) == 5999
    assert json.loads(lines[-1])["order_id"] == "A-5999"
    assert orders_buckets.read_jsonl(REJECTED + "big.jsonl")[0]["line"] == 4323


@pytest.mark.filterwarnings(NO_METRICS)
def test_missing_output_bucket_setting_fails_loudly(orders_buckets, monkeypatch):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    monkeypatch.delenv("OUTPUT_BUCKET")
    with pytest.raises(RuntimeError, match="OUTPUT_BUCKET"):
        orders_buckets.invoke(s3_event(record))


def test_metrics_count_each_outcome(orders_buckets, capsys):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD, GOOD_2, BAD_CURRENCY))
    capsys.readouterr()
    orders_buckets.invoke(s3_event(record))
    emf = emf_documents(capsys.readouterr().out)
    assert len(emf) == 1
    (directive,) = emf[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "refarch-test"
    counts = {name: sum(emf[0][name]) for name in ("ObjectsProcessed", "RowsValid", "RowsRejected")}
    assert counts == {"ObjectsProcessed": 1, "RowsValid": 2, "RowsRejected": 1}


def test_outcome_is_logged_with_the_record_identity(orders_buckets, monkeypatch):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    # The Logger's handler keeps the stdout of import time: point it at a buffer instead.
    stream = io.StringIO()
    monkeypatch.setattr(orders_buckets.handler.logger.registered_handler, "stream", stream)
    orders_buckets.invoke(s3_event(record))
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    (processed,) = [entry for entry in logs if entry["message"] == "processed"]
    assert processed["key"] == "incoming/o.csv"
    assert processed["version_id"] == record["s3"]["object"]["versionId"]
    assert (processed["valid"], processed["rejected"]) == (1, 0)
    assert processed["service"] == "csv-validator"
    assert processed["function_request_id"] == orders_buckets.context.aws_request_id


def test_header_is_case_sensitive_and_reported(orders_buckets):
    record = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD, header=HEADER.upper()))
    result = orders_buckets.invoke(s3_event(record))
    assert result["records"][0]["outcome"] == "rejected"
    assert result["records"][0]["reason"].startswith("missing columns: order_id")


@pytest.mark.filterwarnings(NO_METRICS)
def test_a_missing_input_bucket_fails_the_invocation(orders_buckets, monkeypatch):
    """An infrastructure failure (here NoSuchBucket) raises: Lambda retries, then the DLQ."""
    monkeypatch.setenv("INPUT_BUCKET", "refarch-no-such-bucket")
    record = object_created_record("refarch-no-such-bucket", "incoming/o.csv")
    with pytest.raises(ClientError) as caught:
        orders_buckets.invoke(s3_event(record))
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"
    assert orders_buckets.output_keys() == []


@pytest.mark.filterwarnings(NO_METRICS)
def test_a_foreign_record_refuses_the_whole_event_before_any_write(orders_buckets):
    """Refused, not skipped: the event goes to the DLQ after retries, so nothing is lost."""
    good = put_and_record(orders_buckets, "incoming/o.csv", csv_body(GOOD))
    foreign = object_created_record("someone-elses-bucket", "incoming/o.csv")
    with pytest.raises(Exception, match=r"record 1 .* is not for this function: bucket"):
        orders_buckets.invoke(s3_event(good, foreign))
    assert orders_buckets.output_keys() == []
