"""Shared test setup: nothing may reach AWS."""

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Fake credentials and a region before any boto3 client exists: a test that forgets to mock
    # AWS fails on invalid credentials instead of touching a real account.
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
