"""Shared test setup: nothing may reach AWS.

Fake credentials and a region are set when this module is imported, before any test module
creates a boto3 client: a test that forgets to mock AWS fails on invalid credentials instead of
touching a real account.
"""

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
)
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402

# Importing refarch points JAVA_HOME at the pinned Java 17 (see refarch.java_runtime).
from refarch.java_runtime import MISSING_JAVA, java_available  # noqa: E402

#: Test paths that start Spark: the Glue job's tests and the Glue pattern's local runs.
_NEEDS_JAVA = ("tests/glue/", "glue-partitioned-etl", "glue_partitioned_etl")


def pytest_configure(config: pytest.Config) -> None:
    """One directory of synthesized assemblies for the run, its xdist workers included; one
    botocore model loader for every boto3 session a test makes (``refarch.local.botocore_models``).
    """
    from assemblies import share

    from refarch.local.botocore_models import shared_data_loader

    share(config)
    loader = shared_data_loader()
    loader.__enter__()
    config.add_cleanup(lambda: loader.__exit__(None, None, None))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a Java runtime, skip what starts Spark (saying what to install); run the rest."""
    if java_available():
        return
    skip = pytest.mark.skip(reason=MISSING_JAVA.splitlines()[0] + " See refarch/java_runtime.py.")
    for item in items:
        if any(part in item.nodeid for part in _NEEDS_JAVA):
            item.add_marker(skip)


# Property-based tests: no per-example deadline (a shared 2-core CI machine makes timings
# noise, and performance is measured in bench/), and in CI a derandomized run so a red run can be
# reproduced from its log.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "refarch",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
    print_blob=True,
)
settings.load_profile("refarch")
