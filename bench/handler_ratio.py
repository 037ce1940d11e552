"""Time a Lambda handler against its floor on one event: the shared loop of the handler benches.

A handler bench builds one event, checks the handler and a minimal floor (the same reads and
writes, none of the handler's checks) both do the whole job, then times them alternately (CPU
time, see ``seconds``): the ratio of their medians, measured in the same run, is the figure.
"""

import contextlib
import importlib.util
import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from refarch import LAMBDA_ROOT

Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """The few LambdaContext attributes Powertools' logger reads, for a function of the bench."""

    function_version = "$LATEST"
    aws_request_id = "bench"

    def __init__(self, function_name: str, memory_limit_in_mb: int) -> None:
        self.function_name = function_name
        self.memory_limit_in_mb = memory_limit_in_mb
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )


def load_function(directory: str) -> ModuleType:
    """``lambda/<directory>/handler.py``, imported as Lambda does: its directory on the path.

    Imported under a name of its own (``bench_<directory>_handler``): every function's module
    is ``handler``, so a plain ``import handler`` in a second bench of the same process
    (``python -m bench``) would return the first bench's handler.
    """
    function_dir = LAMBDA_ROOT / directory
    name = f"bench_{directory}_handler"
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(function_dir))
    spec = importlib.util.spec_from_file_location(name, function_dir / "handler.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler.py in {function_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def seconds(function: Handler, event: dict[str, Any], context: Any) -> float:
    """CPU time of one call; its stdout (logs and metrics) goes to a buffer.

    The process's CPU time, not wall time: both sides work on in-memory stand-ins (no I/O to
    wait for), and on a machine shared with other work, wall time also counts the moments
    this process was not running, which swung the same run's ratio by more than 0.2.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.process_time()
        function(event, context)
        return time.process_time() - started


@dataclass(frozen=True)
class Comparison:
    """Median seconds of the floor and the handler, and floor / handler (higher is better)."""

    floor: float
    handler: float

    @property
    def ratio(self) -> float:
        """The handler's throughput as a fraction of the floor's."""
        return self.floor / self.handler


def compare(
    floor: Handler,
    handler: Handler,
    event: dict[str, Any],
    context: Any,
    repeat: int,
    *,
    reset: Callable[[], None] = lambda: None,
) -> Comparison:
    """Run the floor and the handler alternately ``repeat`` times; their medians.

    ``reset`` runs before each call (e.g. to empty an in-memory table, so no repeat meets its
    own earlier writes as duplicates).
    """
    floors, figures = [], []
    for _ in range(repeat):
        reset()
        floors.append(seconds(floor, event, context))
        reset()
        figures.append(seconds(handler, event, context))
    return Comparison(statistics.median(floors), statistics.median(figures))


def report(
    comparison: Comparison, *, label: str, count: int, unit: str, repeat: int, target: float
) -> int:
    """Print both rates and the ratio; the exit status: 0 when the ratio meets ``target``."""
    floor, figure = comparison.floor, comparison.handler
    print(
        f"{label}: floor {count / floor:8.0f} {unit}/s "
        f"({floor * 1e3:.0f} ms), handler {count / figure:8.0f} {unit}/s "
        f"({figure * 1e3:.0f} ms), median of {repeat}"
    )
    print(f"throughput ratio handler / floor: {comparison.ratio:.2f} (target >= {target})")
    return 0 if comparison.ratio >= target else 1
