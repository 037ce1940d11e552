"""The demo bench counts the CPU of processes the command never waits for (local Spark's JVM)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from refarch import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # bench/ is a directory of the repository, not installed
    sys.path.insert(0, str(REPO_ROOT))

from bench.demo_time import time_command

# A parent that starts a busy child and exits without waiting for it, as pyspark leaves its JVM.
PARENT = (
    "import subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', 'x = 0\\nfor i in range(5_000_000): x += i'])\n"
)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="the whole-session figure reads /proc")
def test_a_child_left_running_counts_in_the_whole_session_only() -> None:
    wall, waited, whole = time_command([sys.executable, "-c", PARENT])
    assert wall > 0
    assert whole > waited + 0.1  # the child's loop: about a quarter of a second of CPU


def test_a_failed_command_is_an_error() -> None:
    with pytest.raises(subprocess.CalledProcessError):
        time_command([sys.executable, "-c", "raise SystemExit(3)"])
