"""The files a pattern's diagram is committed as: ``<id>.dot`` (the graph) and ``<id>.svg``.

One function writes both for `refarch diagram` and for the test that fails when a committed
diagram no longer matches its stack, so the two cannot disagree on what "current" means.
"""

from __future__ import annotations

from refarch.catalog import Pattern
from refarch.diagram.dot import diagram_dot
from refarch.diagram.model import Template
from refarch.diagram.render import render_svg


def diagram_title(pattern: Pattern) -> str:
    """The title drawn above a pattern's diagram."""
    return f"{pattern.title} ({pattern.stack_name})"


def diagram_source(pattern: Pattern, template: Template) -> str:
    """The DOT text of a pattern's diagram, drawn from its synthesized template."""
    return diagram_dot(template, diagram_title(pattern))


def diagram_files(pattern: Pattern, template: Template) -> dict[str, bytes]:
    """File name -> content of a pattern's diagram: the DOT source and its SVG rendering.

    Raises:
        FileNotFoundError: Graphviz's ``dot`` is not installed (the message says what to
            install).
    """
    source = diagram_source(pattern, template)
    return {f"{pattern.id}.dot": source.encode(), f"{pattern.id}.svg": render_svg(source)}
