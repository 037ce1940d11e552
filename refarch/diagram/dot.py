"""The Graphviz DOT text: data path left to right, control and observability in clusters."""

from __future__ import annotations

import html
from collections.abc import Mapping

from refarch.diagram.alarms import ALARMS_ID, ALARMS_KIND, summarize, summary_label
from refarch.diagram.edges import diagram_edges
from refarch.diagram.icons import icon_for
from refarch.diagram.layout import (
    ALARM_TYPE,
    CONTROL,
    DATA,
    GROUP_TITLES,
    OBSERVABILITY,
    classify,
)
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
    icon = icon_for(node.resource_type)
    shape, style = kind.shape, kind.style
    if icon is None:
        label = "<" + "<br/>".join(rows) + ">"
    else:
        # The service's icon on the left, the name, type and settings beside it.
        side = 20 if kind.minor else 32
        image = (
            f'<td rowspan="{len(rows)}" fixedsize="true" width="{side}" height="{side}">'
            f'<img src="{icon}"/></td>'
        )
        label = (
            '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
            + "".join(
                f'<tr>{image if i == 0 else ""}<td align="left">{row}</td></tr>'
                for i, row in enumerate(rows)
            )
            + "</table>>"
        )
        shape = "box"
        style = "rounded,dashed,filled" if "dashed" in kind.style else "rounded,filled"
    attributes = [
        f"label={label}",
        f"shape={shape}",
        f'color="{kind.color}"',
        f'fillcolor="{kind.fill}"',
        f"fontsize={size}",
    ]
    if style != "filled":
        attributes.append(f'style="{style}"')
    if kind.minor:
        attributes.append("margin=0.05")
    return f"  {_quote(node.id)} [{', '.join(attributes)}];"


def _edge_line(edge: Edge, *, constraint: bool = True) -> str:
    attributes = [f"label={_quote(edge.label)}", EDGE_STYLES[edge.kind]]
    if not constraint:
        attributes.append("constraint=false")
    return f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attributes)}];"


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
                    and (
                        type_of(e.target) in ("AWS::Glue::Job", "AWS::Events::Rule")
                        or e.target.startswith("runtime:")
                    )
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


#: How each group's cluster is drawn: (border colour, background).
_CLUSTER_COLORS: dict[str, tuple[str, str]] = {
    DATA: ("#232f3e", "#ffffff"),
    CONTROL: ("#693cc5", "#f8f6fd"),
    OBSERVABILITY: ("#b0084d", "#fdf6f9"),
}


def _cluster(group: str, node_lines: list[str]) -> list[str]:
    color, background = _CLUSTER_COLORS[group]
    return [
        f"  subgraph cluster_{group} {{",
        f"    label={_quote(GROUP_TITLES[group])}; labeljust=l; fontsize=12;"
        f' style="rounded,filled"; color="{color}"; fillcolor="{background}"; penwidth=1;',
        *(f"  {line}" for line in node_lines),
        "  }",
    ]


def _constrains(edge: Edge, groups: Mapping[str, str]) -> bool:
    """Whether an edge steers the layout: inside a group, or on the data or control path.

    An edge from the data path to its log group, key or alarms does not pull those to the
    right of the data path: observability sits in its own cluster, beside it.
    """
    return True


def diagram_dot(template: Template, title: str) -> str:
    """The Graphviz DOT text of a template's architecture diagram.

    Left to right: the data path (producer -> source -> processing -> stores) in its own
    cluster; the control path (rules, triggers and what they invoke) and observability (one
    node listing every alarm, the topic they notify, log groups, access logs) in clusters of
    their own, so the data path reads first.

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
        byte-identical file.

    Example
    -------
    >>> diagram_dot({"Resources": {}}, "empty").startswith("digraph")
    True
    """
    nodes = diagram_nodes(template)
    edges = diagram_edges(template)
    groups = dict(classify(nodes, edges).of)
    producers = _producers(template, edges)
    summary = summarize(nodes, edges)
    members: dict[str, list[str]] = {group: [] for group in GROUP_TITLES}
    for source in producers:
        members[DATA].append(_node_line(_producer_node(source, template)))
    for node in nodes:
        if node.kind.label != ALARM_TYPE:
            members[groups[node.id]].append(_node_line(node))
    if summary.rows:
        groups[ALARMS_ID] = OBSERVABILITY
        members[OBSERVABILITY].append(
            f"  {_quote(ALARMS_ID)} [label={summary_label(summary.rows)}, shape=box,"
            f' color="{ALARMS_KIND.color}", fillcolor="{ALARMS_KIND.fill}", fontsize=9];'
        )
    lines = [
        "digraph architecture {",
        f"  graph [label={_quote(title)}, labelloc=t, fontsize=14, fontname=Helvetica,"
        " rankdir=LR, newrank=true, nodesep=0.3, ranksep=0.6, pad=0.2,"
        ' bgcolor="white"];',
        '  node [fontname=Helvetica, style=filled, penwidth=1.2, margin="0.12,0.06"];',
        "  edge [fontname=Helvetica, fontsize=8, arrowsize=0.7];",
    ]
    for group, node_lines in members.items():
        if node_lines:
            lines.extend(_cluster(group, node_lines))
    lines.extend(
        f"  {_quote('producer:' + source)} -> {_quote(source)} [{EDGE_STYLES['data']}];"
        for source in producers
    )
    lines.extend(_edge_line(e, constraint=_constrains(e, groups)) for e in summary.edges)
    # The alarms come after what they watch: the data path starts at the left edge.
    lines.extend(
        f"  {_quote(watched)} -> {_quote(ALARMS_ID)} [style=invis];" for watched in summary.watched
    )
    lines.append("}")
    return "\n".join(lines) + "\n"
