"""Synthesis cost: every pattern, and one pattern, vs an app holding one empty stack.

All run as fresh processes on the pinned Node.js (Python and aws-cdk-lib import, jsii kernel
start, synthesis, cdk-nag and aws-cdk-lib's built-in template checks), so the floor contains
everything a `cdk synth` pays regardless of the patterns, and each ratio is what the patterns
themselves add. Targets: all patterns <= 2.0x the floor, one pattern (`-c patterns=<id>`, what
a deployer of that pattern pays; the catalog's first unless `--pattern` names another) <= 1.3x.

    python -m bench.synth_ratio [--repeat N] [--pattern ID]
"""

import argparse
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


def time_process(code: str) -> float:
    """Seconds of wall time for one fresh Python process running `code`."""
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code.replace("{outdir!r}", repr(outdir))],
            check=True,
            cwd=REPO_ROOT,
            # The empty stack draws CDK's "Resources must be non-empty" validation warning.
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


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
    times: dict[str, list[float]] = {name: [] for name in apps}
    time_process(EMPTY_APP)  # warm the file cache so the first measured run is not penalised
    for _ in range(args.repeat):
        # Interleave so machine noise lands on every app alike.
        for name, code in apps.items():
            times[name].append(time_process(code))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor, all_patterns, one_pattern = medians.values()
    for name, median in medians.items():
        print(f"synth, {name + ':':<40} median {median:.2f} s over {args.repeat} runs")
    ratio_all, ratio_one = all_patterns / floor, one_pattern / floor
    print(f"ratio all patterns {ratio_all:.2f} (target <= {TARGET_ALL})")
    print(f"ratio one pattern  {ratio_one:.2f} (target <= {TARGET_ONE})")
    return 0 if ratio_all <= TARGET_ALL and ratio_one <= TARGET_ONE else 1


if __name__ == "__main__":
    sys.exit(main())
