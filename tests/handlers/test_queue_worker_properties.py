"""Properties of the queue worker's pure parts, over generated messages and object bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lambda_harness import LAMBDA_ROOT, put_on_path
from queue_worker_harness import INPUT_BUCKET, INPUT_PREFIX, s3_body

put_on_path(LAMBDA_ROOT / "queue_worker")

from manifest import (  # noqa: E402  (after the asset directory is on the path, as in Lambda)
    SNIFF_BYTES,
    manifest_body,
    manifest_bytes,
    manifest_key,
    manifest_record,
    sniff,
)
from upload_message import (  # noqa: E402
    MAX_KEY_BYTES,
    ObjectVersion,
    PoisonMessageError,
    parse_upload_message,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# Keys S3 accepts: any UTF-8 (no lone surrogates) up to 1,024 bytes, here under the prefix.
keys = (
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200)
    .map(lambda suffix: INPUT_PREFIX + suffix)
    .filter(lambda k: len(k.encode()) <= MAX_KEY_BYTES)
)


def _parse(body: str):
    return parse_upload_message(body, input_bucket=INPUT_BUCKET, input_prefix=INPUT_PREFIX)


@given(st.text())
def test_any_text_body_is_parsed_or_refused_as_poison(body):
    try:
        _parse(body)
    except PoisonMessageError as exc:
        assert exc.reason


@given(json_values)
def test_any_json_body_is_parsed_or_refused_as_poison(value):
    try:
        _parse(json.dumps(value))
    except PoisonMessageError as exc:
        assert exc.reason


@given(keys, st.integers(min_value=0, max_value=5 * 2**40))
def test_every_key_survives_s3s_url_encoding(key, size):
    (version,) = _parse(s3_body(key, size=size, version_id="v1"))
    assert (version.key, version.size, version.version_id) == (key, size, "v1")


@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=10**9))
def test_sniffing_never_raises_and_the_manifest_is_deterministic(data, extra):
    found = sniff(data, truncated=extra > 0)
    assert found["format"]
    version = ObjectVersion(
        bucket=INPUT_BUCKET,
        key=INPUT_PREFIX + "x",
        version_id="v",
        size=len(data) + extra,
        etag="e",
        sequencer="s",
        event_time="t",
        event_name="ObjectCreated:Put",
    )
    first = manifest_record(version, first_bytes=data, content_type=None)
    again = manifest_record(version, first_bytes=data, content_type=None)
    assert manifest_body(first) == manifest_body(again)
    assert first["status"] in ("accepted", "rejected")
    assert (first["status"] == "rejected") == ("reason" in first)


# Bytes made of what a header's judgement turns on: delimiters, quotes, line ends, braces.
header_like = st.text(',;\t|"\r\n{} ab\ufeff', max_size=40).map(str.encode)


@given(header_like, st.booleans())
def test_a_header_made_of_delimiters_quotes_and_line_ends_never_raises(data, truncated):
    found = sniff(data, truncated=truncated)
    assert found["format"]
    if found["format"] == "jsonl":  # e.g. b"{}": accepted, and JSON Lines have no delimiter
        assert "reason" not in found and "delimiter" not in found
    else:
        assert ("reason" in found) != (found.get("delimiter") is not None)


names = st.lists(
    st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=12),
    min_size=1,
    max_size=8,
    unique=True,
)


@given(names, st.text(st.characters(blacklist_categories=("Cs",))), st.integers(0, SNIFF_BYTES))
def test_a_csv_header_is_read_wherever_the_first_bytes_cut_the_rows(columns, rows, cut):
    data = (",".join(["id", *columns]) + "\n" + rows).encode()
    if len(set(["id", *columns])) != len(columns) + 1:
        return
    # The sniffed prefix may end inside a multi-byte character: that is not a decoding error.
    found = sniff(data[: max(cut, len(",".join(["id", *columns]).encode()) + 1)], truncated=True)
    assert found == {"format": "csv", "delimiter": ",", "columns": ["id", *columns]}


@given(keys, keys, st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_manifest_keys_differ_for_different_object_versions(key_a, key_b, version_a, version_b):
    def key(k, v):
        return manifest_key(
            "manifests/", ObjectVersion(INPUT_BUCKET, k, v, 0, "", "", "", "ObjectCreated:Put")
        )

    if (key_a, version_a) != (key_b, version_b) and "/" not in version_a + version_b:
        assert key(key_a, version_a) != key(key_b, version_b)


# Text fields as S3 may send them, lone surrogates included (JSON escapes can carry them).
any_text = st.text(max_size=40)
headers = st.sampled_from(
    [b"", b"a,b\n", b'"x",y\n', b"k;k\n", b'{"a": 1}\n', b"PAR1", b"\xff"]
) | st.lists(  # CSV headers whose names need JSON escapes: quotes, backslashes, controls
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=",\n"), max_size=6),
    min_size=1,
    max_size=4,
).map(lambda names: (",".join(names) + "\n").encode())


@given(
    st.builds(
        ObjectVersion,
        bucket=any_text,
        key=any_text,
        version_id=st.none() | any_text,
        size=st.integers(min_value=0, max_value=5 * 2**40),
        etag=any_text,
        sequencer=any_text,
        event_time=any_text,
        event_name=st.just("ObjectCreated:Put"),
    ),
    headers.flatmap(lambda h: st.binary(max_size=64).map(lambda rest: h + rest)) | st.binary(),
    st.none() | any_text,
)
def test_the_manifest_bytes_are_the_records_canonical_json(version, data, content_type):
    record = manifest_record(version, first_bytes=data, content_type=content_type)
    try:
        expected = manifest_body(record)
    except UnicodeEncodeError:  # a lone surrogate: neither way can write it
        with pytest.raises(UnicodeEncodeError):
            manifest_bytes(version, first_bytes=data, content_type=content_type)
        return
    assert manifest_bytes(version, first_bytes=data, content_type=content_type) == (
        expected,
        record["status"],
    )
