"""All of a stack's alarms drawn as one node: "N CloudWatch alarms", with the list inside it.

One box per alarm, each with an arrow to what it watches and one to the topic, buries the data
path (a stack with eight alarms draws sixteen arrows). The summary keeps every fact the boxes
showed (name, metric, condition, what it watches) as a table, and draws one arrow per topic.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from refarch.diagram.layout import ALARM_TYPE
from refarch.diagram.model import Edge, Kind, Node

#: The id of the summary node.
ALARMS_ID = "alarms"

#: How the summary is drawn: CloudWatch's colour (management & governance).
ALARMS_KIND = Kind("CloudWatch alarms", "box", "#b0084d", "#fbe9f1")


@dataclass(frozen=True)
class AlarmRow:
    """One alarm in the summary's table."""

    name: str
    metric: str
    condition: str
    watches: str


@dataclass(frozen=True)
class Summary:
    """The alarms' rows, and the edges with every alarm replaced by the summary node."""

    rows: tuple[AlarmRow, ...]
    edges: tuple[Edge, ...]
    watched: tuple[str, ...]
    """The ids of what the alarms watch: the summary is laid out after them (to their right)."""


def summarize(nodes: list[Node], edges: list[Edge]) -> Summary:
    """Fold every alarm node into one summary: its rows and the rewritten edges.

    An alarm's "watches" edge becomes its row's last column; its "notifies" edges and the edges
    into it (a deployment that uses alarms for rollback) are kept once, on the summary node.
    """
    by_id = {node.id: node for node in nodes}
    alarms = [node for node in nodes if node.kind.label == ALARM_TYPE]
    ids = {alarm.id for alarm in alarms}
    watched: dict[str, list[str]] = {}
    watched_ids: set[str] = set()
    kept: set[Edge] = set()
    for edge in edges:
        if edge.source in ids and edge.label == "watches":
            watched.setdefault(edge.source, []).append(by_id[edge.target].name)
            watched_ids.add(edge.target)
        elif edge.source in ids or edge.target in ids:
            source = ALARMS_ID if edge.source in ids else edge.source
            target = ALARMS_ID if edge.target in ids else edge.target
            kept.add(Edge(source, target, edge.label, edge.kind))
        else:
            kept.add(edge)
    rows = tuple(
        AlarmRow(
            name=alarm.name.removesuffix(" Alarm"),
            metric=alarm.details[0] if alarm.details else "",
            condition=" ".join(alarm.details[1:]),
            watches=", ".join(sorted(watched.get(alarm.id, []))) or "(custom metric)",
        )
        for alarm in alarms
    )
    return Summary(rows, tuple(sorted(kept)), tuple(sorted(watched_ids)))


def summary_label(rows: tuple[AlarmRow, ...]) -> str:
    """The summary node's HTML-like Graphviz label: a title and one table row per alarm."""
    cell = '<td align="left">{}</td>'
    header = "".join(
        cell.format(f'<font point-size="8"><b>{title}</b></font>')
        for title in ("alarm", "metric", "condition", "watches")
    )
    body = "".join(
        "<tr>"
        + cell.format(f"<b>{html.escape(row.name)}</b>")
        + "".join(
            cell.format(f'<font color="#545b64">{html.escape(text)}</font>')
            for text in (row.metric, row.condition, row.watches)
        )
        + "</tr>"
        for row in rows
    )
    plural = "" if len(rows) == 1 else "s"
    title = f'<tr><td colspan="4"><b>{len(rows)} CloudWatch alarm{plural}</b></td></tr>'
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="2">'
        f"{title}<tr>{header}</tr>{body}</table>>"
    )
