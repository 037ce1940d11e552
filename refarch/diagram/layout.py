"""Which group each drawn resource belongs to: the data path, the control path, observability.

A reader takes in the data path first (sources -> processing -> stores); what starts the
processing (rules, triggers, the functions they invoke) and what watches it (alarms, their
topic, log groups, access logs) are grouped apart. The classification is generic, by resource
type and by the kind of the edges the template gives a node, so a new pattern needs no code here:

- observability: alarms, the topics alarms notify (and their subscriptions), rules whose only
  target is such a topic, log groups, and buckets that only receive access logs;
- control: EventBridge rules, Glue triggers and workflows, Step Functions state machines, and
  the functions and topics they invoke or publish to (a deployer, an approval request; not a
  record processor); a rule that routes events onto a queue or
  stream is on the data path;
- a supporting node (a key, a dead-letter queue) joins the group of what it serves; one that
  serves several groups goes to the data path if it serves it, else to the control path;
- everything else is the data path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from refarch.diagram.model import Edge, Node

DATA = "data"
CONTROL = "control"
OBSERVABILITY = "observability"

#: Group -> the cluster's title, in the order the clusters are written.
GROUP_TITLES: dict[str, str] = {
    DATA: "Data path",
    CONTROL: "Control path",
    OBSERVABILITY: "Observability",
}

ALARM_TYPE = "CloudWatch alarm"
_CONTROL_LABELS = frozenset(
    {"EventBridge rule", "Glue trigger", "Glue workflow", "Step Functions state machine"}
)
_OBSERVABILITY_LABELS = frozenset(
    {ALARM_TYPE, "log group", "SNS subscription", "CloudWatch dashboard"}
)
#: Types that are on the control path when a rule, trigger or state machine starts them (a
#: deployer function, an approval topic); a Glue job a trigger starts still moves the data.
_STARTED_BY_CONTROL = frozenset({"Lambda function", "SNS topic"})
#: Edge kinds by which a supporting node serves its source (drawn with it).
_SERVES = frozenset({"support", "failure"})


@dataclass(frozen=True)
class Groups:
    """Logical id -> group (`DATA`, `CONTROL` or `OBSERVABILITY`) of every drawn node."""

    of: Mapping[str, str]

    def members(self, group: str, nodes: list[Node]) -> list[Node]:
        """The nodes of one group, in the given order."""
        return [node for node in nodes if self.of.get(node.id) == group]


def _alarm_topics(nodes: Mapping[str, Node], edges: list[Edge]) -> set[str]:
    return {
        e.target
        for e in edges
        if e.kind == "monitor"
        and nodes[e.source].kind.label == ALARM_TYPE
        and e.label.startswith("notifies")
    }


def _only_notifies(node: Node, edges: list[Edge]) -> bool:
    """Whether all a node does is notify (a rule whose only target is the alarm topic).

    What it watches and where its undelivered events go do not count.
    """
    outgoing = [
        e for e in edges if e.source == node.id and e.kind != "failure" and e.label != "watches"
    ]
    return bool(outgoing) and all(
        e.kind == "monitor" and e.label.startswith("notifies") for e in outgoing
    )


def _own_group(node: Node, edges: list[Edge], alarm_topics: set[str]) -> str | None:
    """The group a node's type or its edges decide, or None for a supporting node."""
    label = node.kind.label
    if label in _OBSERVABILITY_LABELS or node.id in alarm_topics or _only_notifies(node, edges):
        return OBSERVABILITY
    if label in _CONTROL_LABELS:
        # A rule that routes events onto a queue or stream is on the data path.
        routes = any(e.source == node.id and e.kind == "data" for e in edges)
        return DATA if routes else CONTROL
    # Being watched (by an alarm or a rule) says nothing about where a node belongs.
    incoming = [e for e in edges if e.target == node.id and e.kind != "monitor"]
    if label in _STARTED_BY_CONTROL and any(e.kind == "control" for e in incoming):
        return CONTROL
    if incoming and all(e.label.startswith("access logs") for e in incoming):
        return OBSERVABILITY
    if node.kind.minor or (incoming and all(e.kind in _SERVES for e in incoming)):
        return None
    return DATA


def _users(node: Node, edges: list[Edge]) -> set[str]:
    """The nodes a supporting node serves: the sources of its support and failure edges."""
    return {e.source for e in edges if e.target == node.id and e.kind in _SERVES}


def classify(nodes: list[Node], edges: list[Edge]) -> Groups:
    """Put every node in a group (see the module docstring)."""
    by_id = {node.id: node for node in nodes}
    topics = _alarm_topics(by_id, edges)
    groups: dict[str, str] = {}
    pending: list[Node] = []
    for node in nodes:
        group = _own_group(node, edges, topics)
        if group is None:
            pending.append(node)
        else:
            groups[node.id] = group
    # A supporting node may serve another (a queue's key): resolve those whose users are known
    # first; what is left (a cycle) goes by what is known so far.
    while pending:
        ready = [n for n in pending if not _users(n, edges) & {p.id for p in pending}] or pending
        for node in ready:
            users = {groups.get(source, DATA) for source in _users(node, edges)}
            # Shared by several groups: the data path wins, then the control path; serving
            # nothing drawn, it is on the data path.
            fallback = OBSERVABILITY if users else DATA
            groups[node.id] = next((g for g in (DATA, CONTROL) if g in users), fallback)
        pending = [n for n in pending if n not in ready]
    return Groups(groups)
