"""One execution environment of a function: its code unpacked, its modules, its credentials.

Like Lambda's, an environment is created on the first invocation (cold start: unzip, import the
handler module under the function's environment variables) and reused by later invocations, so
module-level state (a cached boto3 client, Powertools' Logger) lives as long as it does in AWS.

Isolation inside one Python process:

- The handler's modules are imported from the unpacked code directory, then removed from
  ``sys.modules`` and kept here; each invocation puts them back for its duration. Two functions
  that both ship a ``handler.py`` (or a ``schema.py``) never see each other's module.
- ``os.environ`` holds exactly the function's variables plus the ones Lambda sets (region,
  function name, log group, the role session's credentials) during import and invocation; the
  host's ``AWS_*`` variables are hidden.
- ``boto3.DEFAULT_SESSION`` is this environment's session, so ``boto3.client("s3")`` inside the
  handler signs with the execution role, never with the runner's identity.
- ``sys.stdout``/``sys.stderr`` go to this environment's buffer: what the handler prints or logs
  is what Lambda would ship to CloudWatch Logs.
- ``logging.getLogger`` looks names up in this environment's own registry, as in a fresh
  process: Powertools' ``Logger()`` reuses an already configured logger of the same service
  name, which would otherwise be the one (and the stream) of an earlier environment or test.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import sys
import time
import traceback
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from refarch.local.lambda_runtime.invocation import ErrorInfo

#: The real counter: the emulator makes ``time.perf_counter`` a virtual inference clock
#: (``inference_clock``), which must not time a cold start.
_perf_counter = time.perf_counter

#: Host variables hidden from the function (Lambda sets its own AWS_* values).
_HIDDEN_PREFIXES = ("AWS_", "POWERTOOLS_", "_X_AMZN_", "_HANDLER", "LAMBDA_")


class InitError(Exception):
    """Importing the handler module failed: Lambda reports ``Runtime.ImportModuleError``."""

    def __init__(self, error: ErrorInfo) -> None:
        super().__init__(str(error))
        self.error = error


def error_info(exc: BaseException) -> ErrorInfo:
    """Describe an exception the way the Python runtime reports it."""
    return ErrorInfo(
        error_type=type(exc).__name__,
        message=str(exc),
        stack_trace=traceback.format_exception(exc)[1:],
    )


class ExecutionEnvironment:
    """A warm sandbox of one function.

    Parameters
    ----------
    function_name, handler, runtime:
        As configured on the function (``handler`` is ``module.function``).
    code:
        The deployment package (zip bytes).
    variables:
        The function's environment variables and the ones Lambda adds.
    session:
        A session of the execution role (what Lambda puts in ``AWS_ACCESS_KEY_ID`` etc.).
    workdir:
        Where to unpack the code.
    """

    def __init__(
        self,
        *,
        function_name: str,
        handler: str,
        code: bytes,
        variables: Mapping[str, str],
        session: boto3.Session,
        workdir: Path,
    ) -> None:
        self.function_name = function_name
        self.handler_name = handler
        self.session = session
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.code_dir = workdir / f"{function_name}-{uuid.uuid4().hex[:8]}"
        self.code_dir.mkdir(parents=True)
        with zipfile.ZipFile(io.BytesIO(code)) as package:
            package.extractall(self.code_dir)
        # Top-level module names the package defines: same-named modules already imported
        # elsewhere (another function's handler.py, a test's import) are hidden while it runs.
        self._own_names = {
            path.stem if path.suffix == ".py" else path.name
            for path in self.code_dir.iterdir()
            if path.suffix == ".py" or path.is_dir()
        }
        credentials = session.get_credentials().get_frozen_credentials()
        self.variables = {
            **variables,
            "AWS_ACCESS_KEY_ID": credentials.access_key,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
            "AWS_SESSION_TOKEN": credentials.token or "",
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream_name,
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": handler,
        }
        self._modules: dict[str, ModuleType] = {}
        self._handler: Callable[[Any, Any], Any] | None = None
        self._boto3_session: boto3.Session | None = None
        self._output = io.StringIO()
        self._loggers: dict[str, Any] = {}
        self.init_duration_ms: float | None = None

    def take_output(self) -> list[str]:
        """Return what the function wrote since the last call, as lines."""
        text = self._output.getvalue()
        self._output.seek(0)
        self._output.truncate(0)
        return text.splitlines()

    def initialize(self) -> None:
        """Import the handler module (the cold start).

        Raises:
            InitError: The module or the function cannot be loaded.
        """
        module_name, _, function_name = self.handler_name.rpartition(".")
        started = _perf_counter()
        with self._activated({}):
            try:
                module = importlib.import_module(module_name.replace("/", "."))
                handler = getattr(module, function_name)
            except Exception as exc:
                error = error_info(exc)
                raise InitError(
                    ErrorInfo("Runtime.ImportModuleError", str(error), error.stack_trace)
                ) from exc
        self._handler = handler
        self.init_duration_ms = (_perf_counter() - started) * 1000

    def run(
        self, event: Any, context: Any, extra_variables: Mapping[str, str]
    ) -> tuple[Any, ErrorInfo | None]:
        """Call the handler; return its result or the error it raised."""
        assert self._handler is not None, "initialize() first"
        # Warnings go to the function's log, as the runtime prints them to stderr.
        with self._activated(extra_variables), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                outcome: tuple[Any, ErrorInfo | None] = (self._handler(event, context), None)
            except Exception as exc:
                outcome = (None, error_info(exc))
            for warning in caught:
                self._output.write(
                    warnings.formatwarning(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )
                )
        return outcome

    @contextmanager
    def _activated(self, extra_variables: Mapping[str, str]) -> Iterator[None]:
        saved_environ = dict(os.environ)
        saved_path = list(sys.path)
        saved_default_session = boto3.DEFAULT_SESSION
        saved_streams = sys.stdout, sys.stderr
        manager = logging.Logger.manager
        saved_loggers = manager.loggerDict
        displaced = {
            name: module
            for name, module in sys.modules.items()
            if name.partition(".")[0] in self._own_names
        }
        code_dir = str(self.code_dir)
        try:
            for name in list(os.environ):
                if name.startswith(_HIDDEN_PREFIXES):
                    del os.environ[name]
            os.environ.update(self.variables)
            os.environ.update(extra_variables)
            for name in displaced:
                del sys.modules[name]
            sys.modules.update(self._modules)
            sys.path.insert(0, code_dir)
            importlib.invalidate_caches()
            if self._boto3_session is None:
                # Created under the role's variables: it signs with the execution role.
                self._boto3_session = boto3.Session()
            boto3.DEFAULT_SESSION = self._boto3_session
            sys.stdout = sys.stderr = self._output
            manager.loggerDict = self._loggers
            yield
        finally:
            manager.loggerDict = saved_loggers
            sys.stdout, sys.stderr = saved_streams
            boto3.DEFAULT_SESSION = saved_default_session
            for name, module in list(sys.modules.items()):
                if (getattr(module, "__file__", None) or "").startswith(code_dir + os.sep):
                    self._modules[name] = module
                    del sys.modules[name]
            sys.modules.update(displaced)
            sys.path[:] = saved_path
            os.environ.clear()
            os.environ.update(saved_environ)
