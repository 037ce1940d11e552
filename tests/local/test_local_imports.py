"""The local runner's modules import one way: no module of ``refarch/local`` reaches itself.

Every import counts: at module level, inside a function, and under ``if TYPE_CHECKING:`` (a
circle hidden behind a lazy import or an annotation is still a circle a reader must follow).
A service receives the account it runs in and its collaborators (``refarch.local.account``);
it never imports ``refarch.local.emulator``, which builds the services.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "refarch.local"


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Every module of ``refarch/local`` by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((root / "refarch" / "local").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        # ``from pkg import name``: the submodule ``pkg.name`` if there is one, else ``pkg``.
        return [f"{base}.{alias.name}" for alias in node.names] + [base]
    return []


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of ``refarch.local`` it imports, anywhere in its source."""

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found = _imported(node, package)
            if isinstance(node, ast.ImportFrom):
                # The submodule named, when it is one; otherwise the module it comes from.
                *names, base = found
                found = [n for n in names if n in modules] or [base]
            targets.update(t for t in map(owner, found) if t and t != name)
        graph[name] = {t for t in targets if t == PACKAGE or t.startswith(PACKAGE + ".")}
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle (``[a, b, …, a]``), or None if the graph is acyclic."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_reports_a_circle_through_a_lazy_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_import_graph_counts_function_and_type_checking_imports(tmp_path: Path) -> None:
    local = tmp_path / "refarch" / "local"
    (local / "sources").mkdir(parents=True)
    (local / "__init__.py").write_text("")
    (local / "sources" / "__init__.py").write_text("")
    (local / "emulator.py").write_text(
        "def start():\n    from refarch.local.sources import firehose\n"
    )
    (local / "sources" / "firehose.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from refarch.local.emulator import Emulator\n"
    )
    graph = import_graph(module_names(tmp_path))
    assert graph["refarch.local.emulator"] == {"refarch.local.sources.firehose"}
    assert find_cycle(graph) == [
        "refarch.local.emulator",
        "refarch.local.sources.firehose",
        "refarch.local.emulator",
    ]


def test_refarch_local_has_no_import_cycle() -> None:
    graph = import_graph(module_names())
    assert graph.get("refarch.local.emulator")
    cycle = find_cycle(graph)
    assert cycle is None, (
        "import cycle in refarch/local: "
        + " → ".join(cycle or [])
        + " (a service takes the LocalAccount and its collaborators, see refarch/local/account.py;"
        + " a scenario imports Check from refarch.local.scenario, not refarch.local.demo)"
    )
