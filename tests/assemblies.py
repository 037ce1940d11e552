"""Synthesized cloud assemblies, cached for the whole test run (synthesis takes seconds).

Every test layer reads templates through this cache, so each pattern and context is synthesized
once per run: modules that parametrize over a template call it at collection time, fixtures
return the same objects. The assemblies live in one directory for the run (``share()``, called
by the session's first process), so the pytest-xdist workers share them too: the first worker
to need a variant synthesizes it under a file lock, the others read what it wrote.
"""

import fcntl
import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from refarch.local import CloudAssembly, synthesize
from refarch.local.assembly import read_assembly

#: The run's assembly directory, inherited by the xdist workers through the environment.
CACHE_VARIABLE = "REFARCH_TEST_ASSEMBLIES"
_COMPLETE = "synthesized"


def share(config: pytest.Config) -> None:
    """In the run's first process: make the directory every process of the run caches in."""
    if hasattr(config, "workerinput") or CACHE_VARIABLE in os.environ:
        return  # an xdist worker (it inherited the directory), or a directory set by the user
    directory = tempfile.mkdtemp(prefix="refarch-assemblies-")
    os.environ[CACHE_VARIABLE] = directory
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))


def _run_directory() -> Path | None:
    root = os.environ.get(CACHE_VARIABLE)
    return Path(root) if root else None


def _key(name: str, *parts: object) -> str:
    """A file name for ``name`` and the parameters it was made with."""
    return f"{name}-{hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]}"


@functools.cache
def _synthesized(pattern_id: str, context: tuple[tuple[str, str], ...]) -> CloudAssembly:
    root = _run_directory()
    if root is None:
        return synthesize(pattern_id, context=dict(context))
    directory = root / _key(pattern_id, pattern_id, context)
    with open(f"{directory}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (directory / _COMPLETE).exists():
            # A failed synthesis leaves no marker: the next caller tries again, and fails alike.
            shutil.rmtree(directory, ignore_errors=True)
            synthesize(pattern_id, context=dict(context), outdir=directory)
            (directory / _COMPLETE).touch()
    return read_assembly(pattern_id, directory)


def made_once(name: str, make: Callable[[], bytes], *parts: object) -> bytes:
    """What ``make`` returns, made once for the run and shared by its xdist workers, like the
    assemblies: the first worker to ask makes it under a file lock, the others read it."""
    root = _run_directory()
    if root is None:
        return make()
    path = root / _key(name, *parts)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            partial = path.with_suffix(".partial")
            partial.write_bytes(make())
            partial.replace(path)  # a failed make leaves nothing: the next caller tries again
        return path.read_bytes()


def synthesized(pattern_id: str, **context: str) -> CloudAssembly:
    """The pattern's cloud assembly (cdk-nag included), with optional context such as destroy."""
    return _synthesized(pattern_id, tuple(sorted(context.items())))


def run_variant(run: str) -> tuple[str, CloudAssembly]:
    """The pattern id and assembly of a run id: ``"queue-worker"`` or ``"queue-worker[fifo=true]"``.

    Catalog-wide tests parametrize over run ids so a context variant with its own local scenario
    is covered like a pattern.
    """
    pattern_id, _, rest = run.partition("[")
    context = dict(pair.split("=", 1) for pair in rest.rstrip("]").split(",") if pair)
    return pattern_id, synthesized(pattern_id, **context)


def synthesize_in_turn(runs: Iterable[str]) -> None:
    """Synthesize ``runs`` ahead of a module that needs them all, each xdist worker starting at
    its own place in the list: the workers then split the work instead of queueing for each
    lock in the same order (a worker reads what another made)."""
    runs = list(runs)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    start = len(runs) * (int(worker) if worker.isdigit() else 0) // max(workers, 1)
    for run in runs[start:] + runs[:start]:
        run_variant(run)
