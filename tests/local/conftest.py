"""Local-runner tests: fake credentials, and one synthesis per pattern for the whole session."""

from collections.abc import Iterator

import pytest
from assemblies import synthesized

from refarch.local import CloudAssembly

FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(autouse=True, scope="session")
def fake_aws_environment() -> Iterator[None]:
    # The emulator sets these itself; this guards the code that runs outside it.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def s3_event_processing() -> CloudAssembly:
    return synthesized("s3-event-processing")
