"""Rendering DOT to SVG with Graphviz, deterministically."""

from __future__ import annotations

import shutil
import subprocess


def render_svg(dot_text: str) -> bytes:
    """Render DOT text to SVG with Graphviz's ``dot`` (Debian/Ubuntu package ``graphviz``).

    Raises:
        FileNotFoundError: ``dot`` is not installed (``make diagrams`` installs it).
    """
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError("Graphviz 'dot' not found: install graphviz (make diagrams does)")
    result = subprocess.run(
        [dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, check=True
    )
    return result.stdout
