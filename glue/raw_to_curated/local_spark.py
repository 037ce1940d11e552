"""A SparkSession for running the job on one machine: tests, benchmarks and the local runner.

Glue 5.0 runs Spark 3.5.4 on Python 3.11 (AWS docs); ``pyspark==3.5.4`` in the dev extras is the
same Spark. The settings keep a local run small, quiet and offline:

- ``local[2]``: two worker threads, enough to exercise the shuffles (dedupe, partitioning);
- two shuffle partitions instead of 200: small data, so fewer, faster tasks;
- no web UI, and the driver bound to 127.0.0.1: no port opened beyond the loopback;
- the JVM compiles with its quick C1 compiler only and collects with the serial collector: a
  local run lasts seconds on small data, too short to repay the optimizing compiler's threads
  (about half the CPU of a first run) or a parallel collector. The options go to the driver's
  JVM through ``spark.driver.extraJavaOptions``
  (https://spark.apache.org/docs/3.5.4/configuration.html#runtime-environment): the same Spark,
  the same plans and results; only the JVM's own work changes;
- ``spark.sql.session.timeZone=UTC``: timestamps display as UTC (the job's partitions do not
  depend on it, see ``event_partitions``);
- the driver's JVM maps the class-data sharing archive named by ``REFARCH_SPARK_CLASS_ARCHIVE``
  when there is one (``refarch.spark_class_archive`` builds it): Spark's classes load already
  parsed and verified (https://docs.oracle.com/en/java/javase/17/vm/class-data-sharing.html).
  The JVM ignores an archive built for another Java or class path.
"""

from __future__ import annotations

import os

from pyspark.sql import SparkSession

LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    # Interpreted operators instead of whole-stage code generation: compiling each query's
    # generated Java (Janino) costs more than it saves on a local run's few rows, about a second
    # of a demo's first job; the plans' operators and results are the same. An internal setting
    # since Spark 2.0 (WHOLESTAGE_CODEGEN_ENABLED in https://github.com/apache/spark/blob/v3.5.4/sql/catalyst/src/main/scala/org/apache/spark/sql/internal/SQLConf.scala);
    # Glue itself keeps Spark's default.
    "spark.sql.codegen.wholeStage": "false",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # Read by spark-submit when it starts the driver's JVM (local mode: the only JVM).
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}
"""The configuration of the local session."""

CLASS_ARCHIVE_ENV = "REFARCH_SPARK_CLASS_ARCHIVE"
"""Names the class-data sharing archive of Spark's classes, if one was built."""


def driver_java_options() -> str:
    """The driver JVM's options: ``LOCAL_SETTINGS``'s, and the class archive if there is one."""
    options = LOCAL_SETTINGS["spark.driver.extraJavaOptions"]
    archive = os.environ.get(CLASS_ARCHIVE_ENV, "")
    # Spark splits the options on blanks: a path with one would not reach the JVM whole.
    if archive and os.path.isfile(archive) and not any(c.isspace() for c in archive):
        options += f" -XX:SharedArchiveFile={archive}"
    return options


def local_session(app_name: str = "refarch-glue-local") -> SparkSession:
    """Start (or reuse) the local SparkSession; a JVM start costs a few seconds, so share it."""
    # The driver binds to the loopback anyway; saying so spares the hostname-lookup warning.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master("local[2]").appName(app_name)
    for key, value in {
        **LOCAL_SETTINGS,
        "spark.driver.extraJavaOptions": driver_java_options(),
    }.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
