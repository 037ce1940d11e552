"""Synthesis cost: every pattern, and one pattern, vs an app holding one empty stack.

All run as fresh processes on the pinned Node.js (Python and aws-cdk-lib import, jsii kernel
start, synthesis, cdk-nag and aws-cdk-lib's built-in template checks), so the floor contains
everything a `cdk synth` pays regardless of the patterns, and each ratio is what the patterns
themselves add. Targets: all patterns <= 2.0x the floor, one pattern (`-c patterns=<id>`, what
a deployer of that pattern pays; the catalog's first unless `--pattern` names another) <= 1.3x.

    python -m bench.synth_ratio [--repeat N] [--pattern ID]
"""

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from refarch import REPO_ROOT
from refarch.catalog import PATTERNS

TARGET_ALL = 2.0
TARGET_ONE = 1.3

EMPTY_APP = """
import aws_cdk as cdk
app = cdk.App(outdir={outdir!r})
cdk.Stack(app, "Empty")
app.synth()
"""

PATTERNS_APP = """
from refarch.cdk_app import build_app
build_app({patterns!r}, outdir={outdir!r}).synth()
"""


def time_process(code: str) -> tuple[float, float]:
    """Seconds of wall time and of CPU time for one fresh Python process running `code`.

    The CPU time (user + system) is the process's and its children's, the jsii kernel's Node.js
    included: on a machine shared with other work it moves far less than the wall time.
    """
    with tempfile.TemporaryDirectory() as outdir:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code.replace("{outdir!r}", repr(outdir))],
            check=True,
            cwd=REPO_ROOT,
            # The empty stack draws CDK's "Resources must be non-empty" validation warning.
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Run the three apps in turn, `--repeat` times each; print medians and both ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pattern", default=PATTERNS[0].id, help="the one pattern to time")
    args = parser.parse_args(argv)
    apps = {
        "empty app (floor)": EMPTY_APP,
        "all patterns": PATTERNS_APP.replace("{patterns!r}", repr(None)),
        f"one pattern ({args.pattern})": PATTERNS_APP.replace("{patterns!r}", repr(args.pattern)),
    }
    walls: dict[str, list[float]] = {name: [] for name in apps}
    cpus: dict[str, list[float]] = {name: [] for name in apps}
    time_process(EMPTY_APP)  # warm the file cache so the first measured run is not penalised
    for _ in range(args.repeat):
        # Interleave so machine noise lands on every app alike.
        for name, code in apps.items():
            wall, cpu = time_process(code)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    for name in apps:
        print(
            f"synth, {name + ':':<40} median {wall[name]:.2f} s wall, {cpu[name]:.2f} s CPU "
            f"over {args.repeat} runs"
        )
    floor, all_patterns, one_pattern = wall.values()
    cpu_floor, cpu_all, cpu_one = cpu.values()
    ratio_all, ratio_one = all_patterns / floor, one_pattern / floor
    print(
        f"ratio all patterns {ratio_all:.2f} (CPU time {cpu_all / cpu_floor:.2f}; "
        f"target <= {TARGET_ALL})"
    )
    print(
        f"ratio one pattern  {ratio_one:.2f} (CPU time {cpu_one / cpu_floor:.2f}; "
        f"target <= {TARGET_ONE})"
    )
    return 0 if ratio_all <= TARGET_ALL and ratio_one <= TARGET_ONE else 1


if __name__ == "__main__":
    sys.exit(main())
