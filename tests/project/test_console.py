"""The ``refarch`` console script: ``main``'s status and output, then an exit without teardown.

Each case runs a fresh interpreter, as the console script does: stdout is a pipe there (block
buffered), so a missing flush before ``os._exit`` would lose output.
"""

import subprocess
import sys

import pytest

from refarch import REPO_ROOT

#: Runs the console with ``refarch.cli.main`` replaced by the body given (a function of argv).
WITH_MAIN = """
import atexit, sys
import refarch.cli
{body}
refarch.cli.main = main
from refarch.console import run
run()
"""


def _console(*args: str, body: str | None = None) -> subprocess.CompletedProcess[str]:
    if body is None:
        command = [sys.executable, "-m", "refarch", *args]
    else:
        command = [sys.executable, "-c", WITH_MAIN.format(body=body), *args]
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120
    )


def test_a_command_exits_with_its_status_and_all_its_output():
    done = _console("list")
    assert done.returncode == 0, done.stderr
    assert "s3-event-processing" in done.stdout and "dynamodb-cdc" in done.stdout


def test_an_unknown_pattern_exits_2_with_the_reason():
    done = _console("demo", "no-such-pattern")
    assert done.returncode == 2
    assert "no-such-pattern" in done.stderr


def test_a_usage_error_exits_2_with_the_usage():
    done = _console("--no-such-option")
    assert done.returncode == 2
    assert "usage: refarch" in done.stderr


@pytest.mark.parametrize("status", [0, 1, 3])
def test_the_status_main_returns_is_the_exit_status(status):
    done = _console(body=f"def main():\n    print('x' * 100_000)\n    return {status}")
    assert done.returncode == status
    assert done.stdout == "x" * 100_000 + "\n"  # flushed before the process ends


def test_exit_handlers_registered_by_the_command_still_run():
    body = "def main():\n    atexit.register(print, 'handler ran')\n    return 0"
    done = _console(body=body)
    assert done.returncode == 0
    assert done.stdout == "handler ran\n"


def test_an_unhandled_error_is_printed_and_exits_1():
    done = _console(body="def main():\n    raise RuntimeError('broken')")
    assert done.returncode == 1
    assert "RuntimeError: broken" in done.stderr
