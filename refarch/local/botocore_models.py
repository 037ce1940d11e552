"""One botocore data loader for every boto3 session of the process: each model parsed once.

botocore gives every session a loader of its own, and a loader parses the service model, the
endpoint rules and ``endpoints.json`` again for each session's first client of a service. A
local run makes many sessions (the deployer's, one per role assumed, one per Lambda execution
environment), so most of a short run went to parsing the same JSON files again. The models are
read-only data, shared the same way between the clients of one session already.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from botocore.loaders import Loader, create_loader
from botocore.session import Session

#: One loader per data path (``AWS_DATA_PATH``), kept for the life of the process.
_LOADERS: dict[Any, Loader] = {}


def _shared_loader(session: Session) -> Loader:
    data_path = session.get_config_variable("data_path")
    if data_path not in _LOADERS:
        _LOADERS[data_path] = create_loader(data_path)
    return _LOADERS[data_path]


def _register_shared_loader(session: Session) -> None:
    session._components.lazy_register_component("data_loader", lambda: _shared_loader(session))


@contextmanager
def shared_data_loader() -> Iterator[None]:
    """Inside the block, every new botocore session uses the process's shared loader."""
    with mock.patch.object(Session, "_register_data_loader", _register_shared_loader):
        yield
