"""Each catalog entry names the public pages a learner should read first."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from refarch import REPO_ROOT, cli
from refarch.catalog import PATTERNS


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_each_pattern_has_aws_documentation_references_and_a_guide(pattern) -> None:
    assert len(pattern.references) >= 3
    assert len(set(pattern.references)) == len(pattern.references)
    for url in pattern.references:
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname) == ("https", "docs.aws.amazon.com"), url
    assert (REPO_ROOT / pattern.guide).is_file()


def test_list_verbose_shows_each_patterns_references(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list", "--verbose"]) == 0
    out = capsys.readouterr().out
    for pattern in PATTERNS:
        assert pattern.guide in out
        assert all(f"- {url}" in out for url in pattern.references)
