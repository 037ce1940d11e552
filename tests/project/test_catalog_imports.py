"""Synthesizing one pattern imports that pattern's stack module only."""

from __future__ import annotations

import subprocess
import sys

from refarch import REPO_ROOT
from refarch.catalog import PATTERNS

_PROBE = """
import sys
from refarch.catalog import PATTERNS, get
pattern = get({pattern_id!r})
assert pattern.stack_class.__name__ == pattern.stack.split(":")[1]
loaded = sorted(p.stack.split(":")[0] for p in PATTERNS if p.stack.split(":")[0] in sys.modules)
print(",".join(loaded))
"""


def test_listing_the_catalog_imports_no_stack_module() -> None:
    code = (
        "import sys, refarch.catalog; "
        "print(any(m.startswith('refarch.stacks.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_building_one_pattern_imports_its_stack_module_only() -> None:
    pattern = PATTERNS[0]
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(pattern_id=pattern.id)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == pattern.stack.split(":")[0]
