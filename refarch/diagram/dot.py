"""The Graphviz DOT text: data path left to right, control and observability in clusters."""

from __future__ import annotations

import html

from refarch.diagram.edges import diagram_edges
from refarch.diagram.model import EDGE_STYLES, Edge, Kind, Node, Template
from refarch.diagram.nodes import diagram_nodes

#: Where objects come from: drawn in front of every bucket that notifies a function or queue.
PRODUCER = Kind("any S3 client", "plaintext", "#232f3e", "#ffffff")

#: Where records come from: drawn in front of every stream the stack only reads.
STREAM_PRODUCER = Kind("any Kinesis producer", "plaintext", "#232f3e", "#ffffff")


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _wrap(text: str, width: int = 20) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [text]


def _node_line(node: Node) -> str:
    kind = node.kind
    size = 8 if kind.minor else 10
    rows = [f"<b>{html.escape(line)}</b>" for line in _wrap(node.name)]
    rows.append(f'<font point-size="{size - 1}">{html.escape(kind.label)}</font>')
    rows.extend(
        f'<font point-size="{size - 2}" color="#545b64">{html.escape(d)}</font>'
        for d in node.details
    )
    label = "<" + "<br/>".join(rows) + ">"
    attributes = [
        f"label={label}",
        f"shape={kind.shape}",
        f'color="{kind.color}"',
        f'fillcolor="{kind.fill}"',
        f"fontsize={size}",
    ]
    if kind.style != "filled":
        attributes.append(f'style="{kind.style}"')
    if kind.minor:
        attributes.append("margin=0.05")
    return f"  {_quote(node.id)} [{', '.join(attributes)}];"


def _edge_line(edge: Edge, *, constraint: bool = True) -> str:
    if _is_watch(edge):
        # Next to the alarm, not mid-edge: the edges into a watched function converge there.
        label = f"taillabel={_quote(edge.label)}, labelangle=20, labeldistance=2, labelfontsize=8"
    else:
        label = f"label={_quote(edge.label)}"
    attributes = [label, EDGE_STYLES[edge.kind]]
    if not constraint:
        attributes.append("constraint=false")
    return f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attributes)}];"


def _flow(nodes: list[Node], edges: list[Edge]) -> list[str]:
    """The nodes on the data flow: the ends of "data" edges, drawn in one row."""
    ends = {e.source for e in edges if e.kind == "data"} | {
        e.target for e in edges if e.kind == "data"
    }
    return [n.id for n in nodes if n.id in ends]


#: Where versions come from, and who approves them: in front of a model package group.
REGISTRY_CLIENT = Kind("any SageMaker client", "plaintext", "#232f3e", "#ffffff")

#: Where images come from: in front of an image repository the stack only reads.
IMAGE_PRODUCER = Kind("any Docker client", "plaintext", "#232f3e", "#ffffff")

#: Resources whose data always comes from outside the stack when nothing in it writes them.
_FED_FROM_OUTSIDE = (
    "AWS::Kinesis::Stream",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::ECR::Repository",
)


def _producers(template: Template, edges: list[Edge]) -> list[str]:
    """Buckets, streams, model groups and image repositories whose data comes from outside.

    A bucket that triggers a notification, or that a Glue job or a runtime resource reads; a
    stream, model package group or image repository that is read; and that nothing in the stack
    writes to.
    """
    resources = template.get("Resources", {})
    written = {e.target for e in edges if e.kind == "data"}

    def type_of(logical_id: str) -> str:
        return resources.get(logical_id, {}).get("Type", "")

    return sorted(
        {
            e.source
            for e in edges
            if e.kind == "data"
            and e.source not in written
            and (
                (e.label.startswith("s3:") and type_of(e.source) == "AWS::S3::Bucket")
                or type_of(e.source) in _FED_FROM_OUTSIDE
                or (
                    type_of(e.source) == "AWS::S3::Bucket"
                    and (type_of(e.target) == "AWS::Glue::Job" or e.target.startswith("runtime:"))
                )
            )
        }
    )


def _producer_node(source: str, template: Template) -> Node:
    """The actor outside the stack that feeds a bucket, a stream, a model group or a repository."""
    source_type = template["Resources"][source]["Type"]
    if source_type == "AWS::Kinesis::Stream":
        return Node(f"producer:{source}", "Producer", STREAM_PRODUCER, ("puts records",))
    if source_type == "AWS::SageMaker::ModelPackageGroup":
        return Node(
            f"producer:{source}", "Reviewer", REGISTRY_CLIENT, ("registers, approves versions",)
        )
    if source_type == "AWS::ECR::Repository":
        return Node(f"producer:{source}", "Producer", IMAGE_PRODUCER, ("pushes images",))
    return Node(f"producer:{source}", "Producer", PRODUCER, ("uploads objects",))


def _is_watch(edge: Edge) -> bool:
    return edge.kind == "monitor" and edge.label == "watches"


def diagram_dot(template: Template, title: str) -> str:
    """The Graphviz DOT text of a template's architecture diagram.

    The data flow is one row, left to right (producer -> bucket -> function -> bucket);
    failure handling, monitoring and audit hang below it: DLQs and log groups under their
    function, alarms under what they watch, the alarm topic and its key at the bottom.

    Parameters
    ----------
    template:
        The synthesized CloudFormation template, as parsed JSON.
    title:
        Drawn above the diagram, e.g. "S3 → Lambda event processing (S3EventProcessing)".

    Returns
    -------
    str
        DOT text, deterministic: nodes and edges are sorted, so an unchanged template gives a
        byte-identical file. Edges with ``style=invis`` only steer the layout.

    Example
    -------
    >>> diagram_dot({"Resources": {}}, "empty").startswith("digraph")
    True
    """
    nodes = diagram_nodes(template)
    edges = diagram_edges(template)
    producers = _producers(template, edges)
    flow = _flow(nodes, edges)
    by_id = {node.id: node for node in nodes}
    lines = [
        "digraph architecture {",
        f"  graph [label={_quote(title)}, labelloc=t, fontsize=14, fontname=Helvetica,"
        ' rankdir=TB, newrank=true, nodesep=0.45, ranksep=0.55, pad=0.2, bgcolor="white"];',
        '  node [fontname=Helvetica, style=filled, penwidth=1.2, margin="0.12,0.06"];',
        "  edge [fontname=Helvetica, fontsize=8, arrowsize=0.7];",
    ]
    lines.extend(_node_line(_producer_node(source, template)) for source in producers)
    lines.extend(_node_line(node) for node in nodes)
    row = [f"producer:{source}" for source in producers] + flow
    if row:
        # The data flow is one row: its edges run left to right, everything else hangs below.
        lines.append(f"  {{rank=same; {'; '.join(_quote(i) for i in row)};}}")
    # A small supporting node below the flow (a topic's key) sits beside what it supports.
    for edge in edges:
        if by_id[edge.target].kind.minor and edge.source not in row:
            lines.append(f"  {{rank=same; {_quote(edge.source)}; {_quote(edge.target)};}}")
    lines.extend(
        f"  {_quote('producer:' + source)} -> {_quote(source)} [{EDGE_STYLES['data']}];"
        for source in producers
    )
    # An alarm points up at what it watches; it is laid out below it (the invisible edge).
    lines.extend(_edge_line(e, constraint=not _is_watch(e)) for e in edges)
    lines.extend(
        f"  {_quote(e.target)} -> {_quote(e.source)} [style=invis];" for e in edges if _is_watch(e)
    )
    lines.append("}")
    return "\n".join(lines) + "\n"
