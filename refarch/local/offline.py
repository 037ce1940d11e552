"""Keep a local run offline: fake credentials, no profile or endpoint overrides, no sockets."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from refarch.local.errors import NetworkBlockedError

#: Credentials that cannot sign anything real; moto accepts them until enforcement starts.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}

#: Variables that could send a request somewhere real, or to another emulator.
_REMOVED_PREFIXES = ("AWS_ENDPOINT_URL",)
_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)


_LOOPBACK = (None, "localhost", "127.0.0.1", "::1", b"localhost", b"127.0.0.1")


@contextmanager
def offline_environment(region: str) -> Iterator[None]:
    """Set fake credentials and ``region`` in ``os.environ``; restore everything on exit."""
    with mock.patch.dict(os.environ):
        for name in list(os.environ):
            if name in _REMOVED or name.startswith(_REMOVED_PREFIXES):
                del os.environ[name]
        os.environ.update(FAKE_CREDENTIALS)
        os.environ["AWS_DEFAULT_REGION"] = region
        os.environ["AWS_REGION"] = region
        # botocore would otherwise ask the EC2 instance metadata service for credentials.
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        yield


@contextmanager
def network_blocked() -> Iterator[None]:
    """Make any IP connection attempt raise ``NetworkBlockedError``.

    moto answers SDK calls in-process, so nothing legitimate opens a socket; a handler that reaches
    for the internet (or a custom resource posting its response) is stopped with a clear error.
    Name lookups are refused too (DNS is network); Unix sockets and the loopback stay usable.
    """
    connect = socket.socket.connect
    getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK:
            raise NetworkBlockedError(f"the local runner never reaches the network ({host})")
        return getaddrinfo(host, *args, **kwargs)

    connect_ex = socket.socket.connect_ex

    def guard(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOOPBACK:
            raise NetworkBlockedError(f"the local runner never reaches the network ({address})")

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        guard(sock, address)
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        guard(sock, address)
        return connect_ex(sock, address)

    with (
        mock.patch.object(socket, "getaddrinfo", guarded_getaddrinfo),
        mock.patch.object(socket.socket, "connect", guarded_connect),
        mock.patch.object(socket.socket, "connect_ex", guarded_connect_ex),
    ):
        yield
