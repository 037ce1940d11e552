"""`refarch demo <id>`: wall time, and CPU time counted two ways, per fresh process.

Target: under 15 s per pattern (`make demo`). The CPU time of the processes the command waits
for (what `/usr/bin/time` reports: Python and the jsii kernel's Node.js) misses local Spark's JVM,
which pyspark never waits for; the whole session's CPU time counts every process the command
started, the JVM included (read from /proc while they run, so Linux only; elsewhere it is the
first figure again). On a machine shared with other work, compare CPU times, and wall times
only between runs interleaved in one sitting.

    python -m bench.demo_time [--repeat N] [ID ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from refarch import REPO_ROOT

TARGET_SECONDS = 15.0
DEFAULT_PATTERNS = ("glue-partitioned-etl",)
_PROC = Path("/proc")
_POLL_SECONDS = 0.1


def _session_cpu(session: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds so far of every live process of ``session`` (by pid)."""
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended in between
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # After the command name: state, ppid, pgrp, session, ..., utime (14th), stime (15th).
        if int(fields[3]) == session:
            seen[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks


def time_command(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, waited-for CPU seconds and whole-session CPU seconds of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: dict[int, float] = {}
    wall = None
    # The command's processes share its new session; one left running (the JVM, briefly) is
    # followed until it ends too.
    while True:
        if _PROC.is_dir():
            _session_cpu(process.pid, seen)
        if wall is None and process.poll() is not None:
            wall = time.perf_counter() - started
        live = {pid for pid in seen if (_PROC / str(pid)).exists()} if _PROC.is_dir() else set()
        if wall is not None and not live:
            break
        time.sleep(_POLL_SECONDS)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, command)
    return wall, waited, max(waited, sum(seen.values()))


def main(argv: list[str] | None = None) -> int:
    """Time each pattern's demo ``--repeat`` times, interleaved; print medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", default=list(DEFAULT_PATTERNS), metavar="ID")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    figures: dict[str, list[tuple[float, float, float]]] = {pid: [] for pid in args.ids}
    for _ in range(args.repeat):
        for pattern_id in args.ids:
            command = [sys.executable, "-m", "refarch", "demo", pattern_id]
            figures[pattern_id].append(time_command(command))
    for pattern_id, runs in figures.items():
        wall, waited, whole = (statistics.median(column) for column in zip(*runs, strict=True))
        verdict = "met" if wall < TARGET_SECONDS else "NOT met"
        print(
            f"refarch demo {pattern_id}: median of {len(runs)}: wall {wall:.1f} s "
            f"(target < {TARGET_SECONDS:.0f} s: {verdict}), CPU {waited:.1f} s waited-for, "
            f"{whole:.1f} s whole session (JVM included)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
