"""Synthesis cost: every pattern of the catalog vs an app holding one empty stack.

Both run as fresh processes on the pinned Node.js (Python and aws-cdk-lib import, jsii kernel
start, synthesis), so the floor contains everything a `cdk synth` pays regardless of the
patterns, and the ratio is what the patterns themselves add. Target: ratio <= 1.3.

    python -m bench.synth_ratio [--repeat N]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

from refarch import REPO_ROOT

TARGET_RATIO = 1.3

EMPTY_APP = """
import aws_cdk as cdk
app = cdk.App(outdir={outdir!r})
cdk.Stack(app, "Empty")
app.synth()
"""

ALL_PATTERNS = """
from refarch.cdk_app import build_app
build_app(outdir={outdir!r}).synth()
"""


def time_process(code: str) -> float:
    """Seconds of wall time for one fresh Python process running `code`."""
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code.format(outdir=outdir)],
            check=True,
            cwd=REPO_ROOT,
            # The empty stack draws CDK's "Resources must be non-empty" validation warning.
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run both apps alternately, `--repeat` times each; print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    floors, figures = [], []
    time_process(EMPTY_APP)  # warm the file cache so the first measured run is not penalised
    for _ in range(args.repeat):
        # Alternate so machine noise lands on both sides alike.
        floors.append(time_process(EMPTY_APP))
        figures.append(time_process(ALL_PATTERNS))
    floor, figure = statistics.median(floors), statistics.median(figures)
    ratio = figure / floor
    print(f"synth, empty app (floor):  median {floor:.2f} s over {args.repeat} runs")
    print(f"synth, all patterns:       median {figure:.2f} s over {args.repeat} runs")
    print(f"ratio {ratio:.2f} (target <= {TARGET_RATIO})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
