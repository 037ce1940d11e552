"""Model Monitor's data-quality analysis: a window of captured records vs a json.loads floor.

A monitoring execution reads an hour of data-capture JSON Lines (one JSON object per request,
the request base64-encoded inside it) and profiles every feature. The floor, measured in the
same run on the same lines, is what any reader of the window must do: ``json.loads`` each line.
The figure is the whole analysis (``refarch.model_monitor.jobs.analyse_window``: decode the
payload, parse it, statistics, buckets at the baseline's edges, constraint checks). Lines come
from a pool of 1,000 distinct captured requests cycled to the window size, so neither run holds
the window. Run alternately, median of ``--repeat`` runs. Target: floor time / analysis time
>= 0.5.

Memory: each window size is analysed in a fresh child process, and the process's peak RSS
(interpreter included) for the full window must stay within 1.2 times the peak for a tenth of
it: the analysis holds one batch of column values, never the window.

    python -m bench.model_monitor [--records 1000000] [--repeat 3]
"""

import argparse
import itertools
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from refarch.model_monitor.capture import capture_line as capture_records_line
from refarch.model_monitor.jobs import analyse_window, suggest_baseline

TARGET_RATIO = 0.5
TARGET_MEMORY_RATIO = 1.2
PLANS = ("basic", "gold", "platinum")


def features(rng: random.Random) -> dict[str, Any]:
    """One request of the demo's churn model."""
    return {
        "tenure_months": rng.randrange(72),
        "monthly_charges": round(rng.gauss(70.0, 15.0), 2),
        "support_calls": min(int(rng.expovariate(0.7)), 12),
        "plan": rng.choice(PLANS),
        "discount": round(rng.uniform(0, 0.3), 3),
    }


def capture_line(request: dict[str, Any]) -> bytes:
    """A data-capture line as SageMaker writes it."""
    return capture_records_line(
        request,
        answer="0.42",
        event_id="9f1c5a1e-7c53-4d7e-9d51-2f0a8d2b6c11",
        inference_time="2026-06-01T09:15:02.123Z",
    ).encode()


def setup() -> tuple[list[bytes], dict[str, Any], dict[str, Any]]:
    """The pool of captured lines, and a baseline from 5,000 training rows."""
    rng = random.Random(1)
    pool = [capture_line(features(rng)) for _ in range(1_000)]
    training = [json.dumps(features(rng)).encode() for _ in range(5_000)]
    baseline = suggest_baseline(lambda: iter(training), "json")
    return pool, baseline.constraints, baseline.statistics


def window(pool: list[bytes], records: int) -> Iterator[bytes]:
    """``records`` lines, cycled from the pool."""
    return itertools.islice(itertools.cycle(pool), records)


def floor(pool: list[bytes], records: int) -> float:
    """Seconds to json.loads every line of the window."""
    start = time.perf_counter()
    for line in window(pool, records):
        json.loads(line)
    return time.perf_counter() - start


def analysis(pool: list[bytes], records: int, constraints: Any, baseline: Any) -> float:
    """Seconds to analyse the window as a monitoring execution does."""
    start = time.perf_counter()
    result = analyse_window(window(pool, records), constraints, baseline)
    elapsed = time.perf_counter() - start
    assert result.statistics["dataset"]["item_count"] == records
    return elapsed


def _child(records: int) -> None:
    """In a fresh process: print the peak RSS (KiB) after analysing ``records``."""
    pool, constraints, baseline = setup()
    analyse_window(window(pool, records), constraints, baseline)
    print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def peak(records: int) -> int:
    """Peak RSS of a child process analysing a window of ``records``."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.model_monitor", "--child", str(records)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(json.loads(out.strip().splitlines()[-1])["peak_kib"])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 if both targets hold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    pool, constraints, baseline = setup()
    floors, analyses = [], []
    for _ in range(args.repeat):
        floors.append(floor(pool, args.records))
        analyses.append(analysis(pool, args.records, constraints, baseline))
    ratio = statistics.median(floors) / statistics.median(analyses)
    print(
        f"{args.records:,} captured records: floor (json.loads) {statistics.median(floors):.2f} s "
        f"= {args.records / statistics.median(floors):,.0f} lines/s; analysis "
        f"{statistics.median(analyses):.2f} s = {args.records / statistics.median(analyses):,.0f} "
        f"records/s; ratio {ratio:.2f} (target >= {TARGET_RATIO})"
    )
    small, large = peak(args.records // 10), peak(args.records)
    memory_ratio = large / max(small, 1)
    print(
        f"peak RSS: {small:,} KiB for {args.records // 10:,} records, {large:,} KiB for "
        f"{args.records:,}; ratio {memory_ratio:.2f} (target <= {TARGET_MEMORY_RATIO})"
    )
    return 0 if ratio >= TARGET_RATIO and memory_ratio <= TARGET_MEMORY_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
