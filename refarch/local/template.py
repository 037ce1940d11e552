"""Read a template's resources in the order CloudFormation would create them."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any

from refarch.local.errors import TemplateError
from refarch.local.intrinsics import references


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Map each resource to the resources it needs first (references and ``DependsOn``)."""
    resources = template.get("Resources", {})
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        needs = {ref for ref in references(resource.get("Properties", {})) if ref in resources}
        depends_on = resource.get("DependsOn", [])
        needs.update([depends_on] if isinstance(depends_on, str) else depends_on)
        unknown = needs - set(resources)
        if unknown:
            raise TemplateError(f"{logical_id} depends on undefined {sorted(unknown)}")
        needs.discard(logical_id)
        graph[logical_id] = needs
    return graph


def creation_order(template: Mapping[str, Any]) -> list[str]:
    """Return the logical ids so that each comes after everything it depends on.

    Among resources that are ready at the same time, template order is kept, so the trace reads
    like the template.

    Raises:
        TemplateError: The dependencies form a cycle.
    """
    graph = dependencies(template)
    position = {logical_id: index for index, logical_id in enumerate(graph)}
    waiting = {logical_id: set(needs) for logical_id, needs in graph.items()}
    dependents: dict[str, list[str]] = {logical_id: [] for logical_id in graph}
    for logical_id, needs in graph.items():
        for need in needs:
            dependents[need].append(logical_id)
    ready = [(position[i], i) for i, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    order = []
    while ready:
        _, logical_id = heapq.heappop(ready)
        order.append(logical_id)
        for dependent in dependents[logical_id]:
            waiting[dependent].discard(logical_id)
            if not waiting[dependent]:
                heapq.heappush(ready, (position[dependent], dependent))
    if len(order) != len(graph):
        stuck = sorted(set(graph) - set(order))
        raise TemplateError(f"circular dependency between {stuck}")
    return order
