"""The local session's JVM: the class-data sharing archive, when ``make install`` built one."""

from __future__ import annotations

import os

import pytest
from local_spark import CLASS_ARCHIVE_ENV

from refarch.java_runtime import bundled_java_home

pytestmark = pytest.mark.spark


def test_the_driver_maps_the_class_archive(spark) -> None:
    archive = os.environ.get(CLASS_ARCHIVE_ENV)
    if not archive:
        pytest.skip("no class archive was built (`make install` builds it)")
    jvm = spark.sparkContext._jvm
    arguments = list(
        jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    assert f"-XX:SharedArchiveFile={archive}" in arguments
    home = jvm.java.lang.System.getProperty("java.home")
    if bundled_java_home() is not None and os.path.samefile(home, bundled_java_home()):
        # The pinned Java ships no archive of its own: sharing is this archive, mapped (the JVM
        # drops one built for another Java or class path, and would not say "sharing").
        assert "sharing" in jvm.java.lang.System.getProperty("java.vm.info")
