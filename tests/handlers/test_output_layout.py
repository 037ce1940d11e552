"""Output keys and metadata: within S3's limits for every valid key, and never shared.

S3 keys are at most 1,024 bytes of UTF-8
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html) and user metadata at most
2 KB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html); bucket names are
those of https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (plus the
legacy ones: up to 255 characters, upper case and underscores).
"""

from __future__ import annotations

import pytest
from csv_validator_harness import INPUT_BUCKET, OrdersBuckets, csv_body
from hypothesis import assume, given
from hypothesis import strategies as st
from output_layout import (
    HASHED_SEGMENT,
    MAX_KEY_BYTES,
    MAX_USER_METADATA_BYTES,
    metadata_bytes,
    output_key,
    provenance_metadata,
    read_provenance,
    read_source_key,
)
from s3_events import record_for_put, s3_event, sequencer

PREFIX, SUFFIX = "incoming/", ".csv"
BUCKETS = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]", fullmatch=True),  # legacy
)
# Names of any characters, from 1-byte to 4-byte UTF-8, including '/', '%', '+' and '!'.
NAMES = st.text(
    alphabet=st.one_of(st.sampled_from("/%+! ~!sha256"), st.characters(exclude_categories=["Cs"])),
    max_size=1024,
)


def _valid_key(name: str) -> str:
    key = PREFIX + name + SUFFIX
    assume(len(key.encode()) <= MAX_KEY_BYTES)
    return key


@given(BUCKETS, NAMES, st.sampled_from(["curated/", "rejected/"]))
def test_every_valid_key_yields_an_output_key_within_the_limit(bucket, name, prefix):
    key = _valid_key(name)
    derived = output_key(prefix, bucket, key, PREFIX, SUFFIX)
    assert len(derived.encode()) <= MAX_KEY_BYTES
    assert derived.startswith(prefix)


@given(BUCKETS, NAMES, st.text(alphabet="0123456789abcdefABCDEF._", min_size=32, max_size=32))
def test_metadata_stays_within_2_kb_ascii_and_holds_the_full_key(bucket, name, version_id):
    key = _valid_key(name)
    metadata = provenance_metadata(bucket, key, version_id, sequencer(5))
    assert metadata_bytes(metadata) <= MAX_USER_METADATA_BYTES
    assert all(value.isascii() for value in metadata.values())
    assert read_source_key(metadata) == key
    assert read_provenance(metadata).is_from(bucket, key)


@given(BUCKETS, NAMES, BUCKETS, NAMES)
def test_distinct_sources_never_share_an_output(bucket_a, name_a, bucket_b, name_b):
    key_a, key_b = _valid_key(name_a), _valid_key(name_b)
    assume((bucket_a, key_a) != (bucket_b, key_b))
    derive = lambda bucket, key: output_key("curated/", bucket, key, PREFIX, SUFFIX)  # noqa: E731
    assert derive(bucket_a, key_a) != derive(bucket_b, key_b)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param(("in", "incoming/a.csv"), ("in2", "incoming/a.csv"), id="other-bucket"),
        pytest.param(("in", "incoming/x/a.csv"), ("in", "incoming/x/a.csv.csv"), id="suffix"),
        pytest.param(("in", "incoming/a.csv"), ("in", "incoming/incoming/a.csv"), id="prefix"),
        pytest.param(
            ("in", "incoming/" + "x" * 1000 + ".csv"),
            ("in", f"incoming/../{HASHED_SEGMENT}/in/0.csv"),
            id="hashed-vs-plain",
        ),
    ],
)
def test_named_near_collisions_get_different_outputs(left, right):
    derive = lambda bucket, key: output_key("curated/", bucket, key, PREFIX, SUFFIX)  # noqa: E731
    assert derive(*left) != derive(*right)


def test_a_hashed_output_is_keyed_by_the_source_digest():
    key = "incoming/" + "é" * 505 + ".csv"  # 1,023 bytes: valid, but too long once prefixed
    derived = output_key("curated/", "in", key, PREFIX, SUFFIX)
    assert derived.startswith(f"curated/{HASHED_SEGMENT}/in/") and derived.endswith(".jsonl")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("é" * 505, id="long-two-byte"),
        pytest.param("€" * 337, id="percent-encoding-triples"),
        pytest.param("𝄞" * 252 + "ab", id="four-byte"),
        pytest.param("a" * 1011, id="long-ascii"),
    ],
)
def test_longest_keys_are_processed_end_to_end(orders_buckets: OrdersBuckets, name):
    key = PREFIX + name + SUFFIX
    assert len(key.encode()) <= MAX_KEY_BYTES
    body = csv_body("A-1,C-1,2024-05-01T10:00:00Z,1.00,EUR", "A-2,C-2,bad,1.00,EUR")
    record = record_for_put(orders_buckets.input_bucket, key, orders_buckets.put(key, body), body)
    result = orders_buckets.invoke(s3_event(record))["records"][0]
    assert (result["outcome"], result["valid"], result["rejected"]) == ("processed", 1, 1)
    for uri in result["outputs"]:
        output = uri.split("/", 3)[3]
        assert len(output.encode()) <= MAX_KEY_BYTES
        metadata = orders_buckets.output_metadata(output)
        assert read_source_key(metadata) == key
    rejected = orders_buckets.read_jsonl(result["outputs"][1].split("/", 3)[3])
    assert rejected[0]["source_key"] == key


def test_stale_check_ignores_an_output_of_another_source():
    """Provenance names bucket and key: a later event of another source is no reason to skip."""
    metadata = provenance_metadata("other-bucket", "incoming/o.csv", "v", sequencer(9))
    assert not read_provenance(metadata).is_from(INPUT_BUCKET, "incoming/o.csv")
    assert not read_provenance(metadata).is_from("other-bucket", "incoming/p.csv")
    assert read_provenance(metadata).is_from("other-bucket", "incoming/o.csv")
