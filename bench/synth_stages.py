"""Where synthesis time goes: each stage of the empty app, one pattern and every pattern.

`bench.synth_ratio` times the three apps whole; this splits each into its stages, in fresh
processes, so a change can be aimed at the stage that costs:

- python + import aws_cdk: the interpreter, aws-cdk-lib's Python modules, the jsii kernel's
  Node.js start and the assemblies it loads;
- import cdk_nag; import stack modules: the selected patterns' modules and the aws-cdk-lib
  service modules they import (Python side; their Node.js side loads during construction);
- construction: the constructs, in Python and in the kernel, with the jsii round trips counted;
- synthesis (templates, assets, tree): aws-cdk-lib's "phase:Synthesis" less its validation;
- built-in template checks: aws-cdk-lib's CloudFormationValidatePlugin (engine start included);
  of it, "template validation" is the checking of the templates proper;
- cdk-nag (AwsSolutions): the validation phase when the built-in plugin is off
  (`CDK_VALIDATION=false`), i.e. cdk-nag and the annotations report;
- kernel stop: from the end of `synth()` to the end of the process; mostly the Node.js exit,
  which frees the built-in plugin's validation engine (about 0.1 s without it).

The synthesis-side figures are aws-cdk-lib's own performance counters (`CDK_PERF_COUNTERS_FILE`,
written after `synth()`); the cdk-nag figure comes from a second run of the same app without the
built-in plugin, as the counters do not split the two plugins. Contended machines move wall
times; compare columns of one run.

    python -m bench.synth_stages [--repeat N] [--pattern ID]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from refarch import REPO_ROOT
from refarch.catalog import PATTERNS

CHILD = """
import json, sys, time
started = time.perf_counter()
import jsii._kernel.providers.process as process
calls = [0]
send = process._NodeProcess.send
def counted(self, request, response_type):
    calls[0] += 1
    return send(self, request, response_type)
process._NodeProcess.send = counted
marks = {}
import aws_cdk as cdk
marks["import aws_cdk"] = time.perf_counter()
outdir, which = sys.argv[1], sys.argv[2]
if which == "empty":
    marks["import cdk_nag"] = marks["import stack modules"] = time.perf_counter()
    app = cdk.App(outdir=outdir)
    cdk.Stack(app, "Empty")
else:
    import cdk_nag
    marks["import cdk_nag"] = time.perf_counter()
    from refarch.cdk_app import build_app
    from refarch.catalog import select
    selected = None if which == "all" else which
    for pattern in select(selected):
        pattern.stack_class
    marks["import stack modules"] = time.perf_counter()
    app = build_app(selected, outdir=outdir)
marks["construction"] = time.perf_counter()
construction_calls = calls[0]
app.synth()
marks["synth"] = time.perf_counter()
print(json.dumps({"started": started, "marks": marks, "calls": construction_calls}))
"""

STAGES = (
    "python + import aws_cdk",
    "import cdk_nag",
    "import stack modules",
    "construction",
    "synthesis (templates, assets, tree)",
    "built-in template checks",
    "  of which template validation",
    "cdk-nag (AwsSolutions)",
    "kernel stop",
    "total (process wall)",
)


def run_child(which: str, *, builtin: bool) -> dict[str, float]:
    """One fresh process synthesizing ``which``; its stages in seconds."""
    with tempfile.TemporaryDirectory() as outdir:
        counters_file = os.path.join(outdir, "perf.json")
        env = {
            **os.environ,
            "CDK_PERF_COUNTERS_FILE": counters_file,
            # aws-cdk-lib writes the counters only for a synthesis slower than this per stack.
            "CDK_CONTEXT_JSON": json.dumps({"@aws-cdk/core.slowSynthThreshold": 0}),
        }
        if not builtin:
            env["CDK_VALIDATION"] = "false"
        launched = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", CHILD, os.path.join(outdir, "cdk.out"), which],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        ended = time.perf_counter()
        with open(counters_file) as counters_json:
            counters = json.load(counters_json)["counters"]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    marks = child["marks"]
    # perf_counter is one clock for the whole machine (CLOCK_MONOTONIC), parent and child alike.
    validation = counters.get("validateTemplates", 0) / 1000
    return {
        "python + import aws_cdk": marks["import aws_cdk"] - launched,
        "import cdk_nag": marks["import cdk_nag"] - marks["import aws_cdk"],
        "import stack modules": marks["import stack modules"] - marks["import cdk_nag"],
        "construction": marks["construction"] - marks["import stack modules"],
        "synthesis (templates, assets, tree)": counters["phase:Synthesis"] / 1000 - validation,
        "validation": validation,
        "  of which template validation": counters.get("CloudFormationValidate.validate", 0) / 1000,
        "synth call": marks["synth"] - marks["construction"],
        "kernel stop": ended - marks["synth"],
        "total (process wall)": ended - launched,
        "jsii round trips (construction)": child["calls"],
    }


def measure(which: str) -> dict[str, float]:
    """Stages of ``which``: one run with every check, one without the built-in plugin."""
    full = run_child(which, builtin=True)
    without_builtin = run_child(which, builtin=False)
    full["cdk-nag (AwsSolutions)"] = without_builtin["validation"]
    full["built-in template checks"] = full["validation"] - without_builtin["validation"]
    return full


def main(argv: list[str] | None = None) -> int:
    """Print the stage table (medians over ``--repeat`` interleaved runs)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pattern", default=PATTERNS[0].id, help="the one pattern to time")
    args = parser.parse_args(argv)
    apps = {"empty app": "empty", f"one ({args.pattern})": args.pattern, "all patterns": "all"}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in apps}
    for _ in range(args.repeat):
        for name, which in apps.items():
            runs[name].append(measure(which))
    rows = (*STAGES, "jsii round trips (construction)")
    width = max(len(name) for name in apps) + 2
    print(f"{'stage (median seconds)':<38}" + "".join(f"{name:>{width}}" for name in apps))
    for row in rows:
        cells = []
        for name in apps:
            value = statistics.median(run[row] for run in runs[name])
            cells.append(f"{value:>{width}.0f}" if "round trips" in row else f"{value:>{width}.2f}")
        print(f"{row:<38}" + "".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
