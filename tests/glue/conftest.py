"""Spark tests of the Glue job: one local SparkSession for the whole test session.

Starting the JVM costs seconds, so the session is created once and shared; each test writes its
own small files under ``tmp_path``. The job's modules are imported flat, as Glue imports them
from ``--extra-py-files``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from raw_events import JOB_DIR, put_on_path

put_on_path(JOB_DIR)

from local_spark import local_session  # noqa: E402  (needs the job directory on sys.path)
from pyspark.sql import SparkSession  # noqa: E402


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """The local SparkSession (``local[2]``, UTC, no UI), stopped at the end of the session."""
    session = local_session("refarch-tests")
    yield session
    session.stop()
