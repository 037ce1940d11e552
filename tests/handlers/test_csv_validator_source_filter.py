"""Events for a bucket, prefix or suffix the function is not configured for are refused.

Refused means raised before anything is read or written, so the event is retried and kept in the
DLQ (see ``source_filter.check_configured`` for why that, not skipping, keeps nothing lost).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from s3_notification import SourceObject
from source_filter import UnexpectedSourceError, check_configured

BUCKET, PREFIX, SUFFIX = "in", "incoming/", ".csv"
KEYS = st.one_of(
    st.text(max_size=30),
    st.text(max_size=30).map(lambda name: PREFIX + name),
    st.text(max_size=30).map(lambda name: PREFIX + name + SUFFIX),
    st.sampled_from(["incoming.csv", "incoming/", ".csv", "incoming/.csv", "INCOMING/a.csv"]),
)


def _source(bucket: str, key: str) -> SourceObject:
    return SourceObject("ObjectCreated:Put", bucket, key, None, None)


@given(st.sampled_from([BUCKET, "other", "In"]), KEYS)
def test_a_record_is_accepted_only_inside_the_configured_bucket_prefix_and_suffix(bucket, key):
    inside = bucket == BUCKET and key.startswith(PREFIX) and key.endswith(SUFFIX)
    inside = inside and len(key) >= len(PREFIX) + len(SUFFIX)
    if inside:
        check_configured([_source(bucket, key)], BUCKET, PREFIX, SUFFIX)
    else:
        with pytest.raises(UnexpectedSourceError, match="is not for this function: "):
            check_configured([_source(bucket, key)], BUCKET, PREFIX, SUFFIX)


def test_one_foreign_record_refuses_the_event_and_is_named():
    sources = [_source(BUCKET, "incoming/a.csv"), _source("other", "incoming/a.csv")]
    with pytest.raises(UnexpectedSourceError, match=r"^record 1 \(s3://other/incoming/a.csv\)"):
        check_configured(sources, BUCKET, PREFIX, SUFFIX)
