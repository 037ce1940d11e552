"""Every citation a reader meets opens: public pages by URL, never the private study material.

Code comments, docstrings and the Markdown docs cite the facts they embody. A learner reading a
stack as a worked example must be able to open each one, so a citation is a well-formed
``https://`` URL on a public documentation host, and nothing refers to the study digest the
patterns were planned from (its line numbers mean nothing to a reader).
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from refarch import REPO_ROOT

#: Hosts whose pages a citation may point to: AWS's documentation, product, pricing, FAQ,
#: blog and re:Post pages, and the documentation of the open-source projects the code runs on.
ALLOWED_HOSTS = frozenset(
    {
        "docs.aws.amazon.com",
        "aws.amazon.com",
        "repost.aws",
        "d1.awsstatic.com",
        "spark.apache.org",
        "docs.oracle.com",
        "github.com",
        "docs.python.org",
        "docs.powertools.aws.dev",
        "hypothesis.readthedocs.io",
        "sagemaker.readthedocs.io",
        "nodejs.org",
        "www.npmjs.com",
        "pypi.org",
        "graphviz.org",
    }
)

#: How the private study material was cited: the digest's name, or its file:line and section
#: locations. Spelled with character classes so that this file does not match itself.
STUDY_MATERIAL = re.compile(r"s[e]ed|\b00[04]:L\d|\b004/(D[E]|S[M])\b", re.IGNORECASE)

_URL = re.compile(r"""https?://[^\s)\]>"'`,]+""")


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", *patterns], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [REPO_ROOT / line for line in out.splitlines() if line]


def _python_prose(path: Path) -> list[tuple[int, str]]:
    """The comments and docstrings of a Python file: where it cites, (line, text)."""
    source = path.read_text(encoding="utf-8")
    prose = [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring is not None:
                prose.append((node.body[0].lineno, docstring))
    return prose


def _markdown_prose(path: Path) -> list[tuple[int, str]]:
    return list(enumerate(path.read_text(encoding="utf-8").splitlines(), start=1))


def _cited(paths: list[Path]) -> list[tuple[str, str]]:
    """(where, url) for every URL in the prose of ``paths``."""
    found = []
    for path in paths:
        prose = _python_prose(path) if path.suffix == ".py" else _markdown_prose(path)
        for line, text in prose:
            found += [(f"{path.relative_to(REPO_ROOT)}:{line}", url) for url in _URL.findall(text)]
    return found


PROSE_FILES = _tracked("*.py", "*.md")


def test_nothing_cites_the_private_study_material() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()[:100]}"
        for path in PROSE_FILES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if STUDY_MATERIAL.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("where_url", _cited(PROSE_FILES), ids=lambda item: item[0])
def test_every_citation_is_an_https_link_to_a_public_documentation_host(
    where_url: tuple[str, str],
) -> None:
    where, url = where_url
    parts = urlsplit(url)
    assert parts.scheme == "https", f"{where}: {url} is not https"
    assert parts.hostname in ALLOWED_HOSTS, f"{where}: {url} is not on a documentation host"
    assert parts.path not in ("", "/") or parts.hostname == "repost.aws", f"{where}: {url}"
    assert "search" not in parts.path.lower() and "q=" not in parts.query, f"{where}: {url}"
