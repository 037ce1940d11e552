"""The handler benches run end to end on small batches and print their figures.

No timing is asserted (the figures are the benches' to report, on a quiet machine): these tests
hold that each bench still builds its batch, checks that the handler and the floor both do the
whole job, times both, and prints the floor's and the handler's throughput and their ratio.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

import pytest

from refarch import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # bench/ is a directory of the repository, not installed
    sys.path.insert(0, str(REPO_ROOT))

from bench import dynamodb_cdc, queue_worker, stream_consumer
from bench.handler_ratio import Comparison, compare, load_function, report


@pytest.fixture(autouse=True)
def _environment_and_path_restored() -> Iterator[None]:
    """The benches set their handlers' environment and put the function directories on the
    path, as a bench process does: undone after each test, so no other test sees them."""
    environ, path = dict(os.environ), list(sys.path)
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path


THROUGHPUTS = re.compile(
    r"floor +\d+ (msg|rec)/s \(\d+ ms\), handler +\d+ (msg|rec)/s \(\d+ ms\), median of 2"
)
RATIO = re.compile(r"throughput ratio handler / floor: \d+\.\d\d \(target >= 0\.7\)")


@pytest.mark.parametrize(
    ("bench", "argv"),
    [
        (queue_worker, ["--messages", "40"]),
        (queue_worker, ["--messages", "40", "--distinct-headers"]),
        (stream_consumer, ["--records", "40"]),
        (dynamodb_cdc, ["--records", "40"]),
    ],
    ids=["queue_worker", "queue_worker-distinct-headers", "stream_consumer", "dynamodb_cdc"],
)
def test_a_handler_bench_prints_both_throughputs_and_the_ratio(bench, argv, capsys):
    status = bench.main([*argv, "--repeat", "2"])
    out = capsys.readouterr().out
    assert status in (0, 1)  # met the target or not: timing, not asserted here
    assert THROUGHPUTS.search(out), out
    assert RATIO.search(out), out


def test_the_queue_worker_bench_prints_its_reference_figures(capsys):
    queue_worker.main(["--messages", "20", "--repeat", "1"])
    out = capsys.readouterr().out
    assert re.search(r"reference, the floor writing its JSON through a template.*: ratio \d", out)
    alone = r"Powertools BatchProcessor alone .*: \d+\.\d\d us/msg, \d+% of the floor's time"
    assert re.search(alone, out), out


def test_the_three_handlers_load_side_by_side_in_one_process():
    # Every function's module is ``handler``: each bench must get its own (python -m bench).
    modules = [load_function(d) for d in ("queue_worker", "stream_consumer", "dynamodb_cdc")]
    assert len({m.__file__ for m in modules}) == 3
    assert all(hasattr(m, "lambda_handler") for m in modules)


def test_compare_runs_both_alternately_and_resets_before_each():
    calls: list[str] = []

    def floor(event, context):
        calls.append("floor")

    def handler(event, context):
        calls.append("handler")

    comparison = compare(floor, handler, {}, None, 3, reset=lambda: calls.append("reset"))
    assert calls == ["reset", "floor", "reset", "handler"] * 3
    assert comparison.floor >= 0 and comparison.handler >= 0


@pytest.mark.parametrize(("floor", "handler", "status"), [(7.0, 10.0, 0), (6.9, 10.0, 1)])
def test_report_prints_the_ratio_and_fails_below_the_target(floor, handler, status, capsys):
    comparison = Comparison(floor=floor, handler=handler)
    assert report(comparison, label="x", count=10, unit="rec", repeat=1, target=0.7) == status
    assert f"ratio handler / floor: {floor / handler:.2f}" in capsys.readouterr().out
