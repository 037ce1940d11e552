"""Local Spark maps the class-data sharing archive ``make install`` built, and only a real one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from refarch import REPO_ROOT
from refarch.java_runtime import ARCHIVE_ENV, archive_path, use_class_archive

sys.path.insert(0, str(REPO_ROOT / "glue" / "raw_to_curated"))

import local_spark  # the job's module, imported flat as Glue does


def test_the_driver_maps_an_archive_that_exists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    archive = tmp_path / "spark.jsa"
    archive.write_bytes(b"")
    monkeypatch.setenv(ARCHIVE_ENV, str(archive))
    options = local_spark.driver_java_options().split()
    assert f"-XX:SharedArchiveFile={archive}" in options
    # The archive is added to the local settings' options, not instead of them.
    assert set(local_spark.LOCAL_SETTINGS["spark.driver.extraJavaOptions"].split()) < set(options)


@pytest.mark.parametrize("name", [None, "missing.jsa", "with space/spark.jsa"])
def test_no_archive_option_without_a_usable_archive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str | None
) -> None:
    if name is None:
        monkeypatch.delenv(ARCHIVE_ENV, raising=False)
    else:
        path = tmp_path / name
        if " " in name:  # Spark splits the options on blanks: such a path never reaches the JVM
            path.parent.mkdir()
            path.write_bytes(b"")
        monkeypatch.setenv(ARCHIVE_ENV, str(path))
    options = local_spark.driver_java_options()
    assert options == local_spark.LOCAL_SETTINGS["spark.driver.extraJavaOptions"]
    assert "SharedArchiveFile" not in options


def test_importing_refarch_names_the_archive_only_once_it_is_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ARCHIVE_ENV, raising=False)
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    path = archive_path()
    assert path is not None and path.is_relative_to(tmp_path)
    use_class_archive()
    assert ARCHIVE_ENV not in os.environ
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    use_class_archive()
    assert os.environ[ARCHIVE_ENV] == str(path)


def test_an_archive_the_user_named_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ARCHIVE_ENV, "")  # e.g. to time a start without it
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    path = archive_path()
    assert path is not None
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    use_class_archive()
    assert os.environ[ARCHIVE_ENV] == ""


def test_the_archive_is_per_java_runtime(tmp_path: Path) -> None:
    assert archive_path(tmp_path / "java-a") != archive_path(tmp_path / "java-b")
