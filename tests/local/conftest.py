"""Local-runner tests: the synthesized assemblies they run (fake credentials: tests/conftest.py)."""

import pytest
from assemblies import synthesized

from refarch.local import CloudAssembly


@pytest.fixture(scope="module")
def s3_event_processing() -> CloudAssembly:
    return synthesized("s3-event-processing")


@pytest.fixture(scope="module")
def stream_to_lake() -> CloudAssembly:
    return synthesized("stream-to-lake")


@pytest.fixture(scope="module")
def glue_partitioned_etl() -> CloudAssembly:
    return synthesized("glue-partitioned-etl")


@pytest.fixture(scope="module")
def approved_model_endpoint() -> CloudAssembly:
    return synthesized("approved-model-endpoint")


@pytest.fixture(scope="module")
def queue_worker() -> CloudAssembly:
    return synthesized("queue-worker")


@pytest.fixture(scope="module")
def stream_consumer() -> CloudAssembly:
    return synthesized("stream-consumer")


@pytest.fixture(scope="module")
def dynamodb_cdc() -> CloudAssembly:
    return synthesized("dynamodb-cdc")
