"""Where the test suite's CPU goes: a pytest plugin that records each test's CPU time.

CPU time (user + system) of the pytest process and of its children alive at the time (the jsii
kernel's Node.js, Spark's JVM), per test and for collection, as JSON lines. On a machine shared
with other work, wall time says little; CPU time moves far less. Run the suite on one process so
that each test's children are its own, then sum per directory or file::

    python -m pytest -n 0 -p bench.suite_cpu tests/local tests/stacks   # writes suite-cpu.jsonl
    python -m bench.suite_cpu suite-cpu.jsonl                            # shares per directory
"""

from __future__ import annotations

import collections
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Where the plugin appends its records (``SUITE_CPU_OUT`` overrides).
OUT = Path(os.environ.get("SUITE_CPU_OUT", "suite-cpu.jsonl"))
_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [grandchild for child in found for grandchild in _children(child)]


def cpu_seconds() -> float:
    """CPU time of this process, its reaped children and its live descendants (Linux /proc)."""
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    for pid in _children(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / _TICKS
    return total


def _record(test_id: str, cpu: float, wall: float) -> None:
    with OUT.open("a") as out:
        out.write(json.dumps({"id": test_id, "cpu": cpu, "wall": wall}) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    """Collection (parametrizing over synthesized templates synthesizes them)."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    yield
    _record("<collection>", cpu_seconds() - cpu, time.perf_counter() - wall)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """One test: setup, call and teardown (module fixtures land on their first test)."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    yield
    _record(item.nodeid, cpu_seconds() - cpu, time.perf_counter() - wall)


def main(argv: list[str] | None = None) -> int:
    """Print the recorded CPU time per directory and the ten costliest files."""
    path = Path((argv or sys.argv[1:] or [str(OUT)])[0])
    records = [json.loads(line) for line in path.read_text().splitlines()]
    total = sum(r["cpu"] for r in records)
    directories: collections.Counter[str] = collections.Counter()
    files: collections.Counter[str] = collections.Counter()
    for r in records:
        directories["/".join(r["id"].split("/")[:2])] += r["cpu"]
        files[r["id"].split("::")[0]] += r["cpu"]
    print(f"{len(records)} records, {total:.1f} s CPU")
    for name, cpu in directories.most_common():
        print(f"{cpu:8.1f} s {100 * cpu / total:5.1f}%  {name}")
    for name, cpu in files.most_common(10):
        print(f"{cpu:8.1f} s {100 * cpu / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
