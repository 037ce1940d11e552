"""SageMaker's prebuilt scikit-learn container, as a fleet runs it locally: the model's own code.

When a fleet comes up, SageMaker extracts ``model.tar.gz`` into ``/opt/ml/model`` and the
container imports the entry point the model's environment names (``SAGEMAKER_PROGRAM`` in
``SAGEMAKER_SUBMIT_DIRECTORY``), calls its ``model_fn`` with the model directory, and serves
each request through ``input_fn`` → ``predict_fn`` → ``output_fn``
(https://sagemaker.readthedocs.io/en/stable/frameworks/sklearn/using_sklearn.html). Here the
same happens in-process: the artifact is extracted into a temporary directory (tar's ``data``
filter: no links out, no absolute paths), the entry point imported as a module of its own
(``refarch.scenarios.serving.load_handlers``) whose ``pause`` is the emulator's inference clock
(the model's latency is time on that clock, not a sleep), and ``model_fn`` run on it. A fleet
whose environment names no entry point, whose artifact lacks it, or whose ``model_fn`` raises
does not start (``ContainerStartError``), as a container that fails its health check does not
(https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html).

A handler's exception answers the request with a ``ModelError`` (``ModelRequestError``): the
container answers 500 with it (sagemaker-containers wraps user errors,
https://github.com/aws/sagemaker-containers/blob/master/src/sagemaker_containers/_transformer.py).
A request without ``Accept``, or with ``*/*``, is answered in the environment's
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` (``application/json`` without it,
https://github.com/aws/sagemaker-containers/blob/master/src/sagemaker_containers/_env.py).
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from refarch.scenarios.serving import load_handlers

MODEL_DIR = "/opt/ml/model"
DEFAULT_ACCEPT = "application/json"
ANY = "*/*"


class ContainerStartError(ValueError):
    """The container cannot serve the model: the fleet does not come up."""


class ModelRequestError(ValueError):
    """A handler raised for one request: the client gets a ``ModelError`` saying why."""


@dataclass
class LoadedModel:
    """A model as a fleet's container runs it: its package, handlers and loaded model."""

    package_arn: str
    handlers: ModuleType
    model: Any
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def description(self) -> str:
        """The model's name and version, if ``model_fn`` returned a document that has them."""
        if isinstance(self.model, Mapping):
            return f"{self.model.get('name', '?')} {self.model.get('version', '?')}"
        return type(self.model).__name__

    @property
    def version(self) -> str:
        """The model's version ('' if it names none)."""
        return str(self.model.get("version", "")) if isinstance(self.model, Mapping) else ""

    def answer(self, body: bytes | str, content_type: str, accept: str | None) -> tuple[str, str]:
        """Serve one request: (answer, its content type).

        Raises:
            ModelRequestError: A handler raised (the container answers 500).
        """
        if not accept or accept == ANY:
            accept = self.environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", DEFAULT_ACCEPT)
        handlers = self.handlers
        try:
            data = handlers.input_fn(body, content_type)
            prediction = handlers.predict_fn(data, self.model)
            result = handlers.output_fn(prediction, accept)
        except Exception as exc:  # the container answers any handler's error with a 500
            raise ModelRequestError(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(result, tuple):
            answer, answered_type = result[0], str(result[1])
        else:
            answer, answered_type = result, accept
        if isinstance(answer, bytes | bytearray):
            answer = bytes(answer).decode("utf-8", errors="replace")
        return str(answer), answered_type


def start_container(
    artifact: bytes,
    environment: Mapping[str, str],
    *,
    package_arn: str,
    pause: Callable[[float], None],
) -> LoadedModel:
    """Extract ``artifact``, import its entry point and load the model with ``model_fn``.

    Raises:
        ContainerStartError: No entry point, or importing it or ``model_fn`` failed.
    """
    program = environment.get("SAGEMAKER_PROGRAM")
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    if not program:
        raise ContainerStartError(
            "the model's environment names no SAGEMAKER_PROGRAM: the scikit-learn container "
            "has no model_fn to load it with"
        )
    if posixpath.commonpath([MODEL_DIR, submit or "/"]) != MODEL_DIR:
        raise ContainerStartError(
            f"SAGEMAKER_SUBMIT_DIRECTORY {submit!r} is not in {MODEL_DIR}: only the model "
            "artifact's own code can be imported here"
        )
    inside = posixpath.relpath(posixpath.join(submit, program), MODEL_DIR)
    with tempfile.TemporaryDirectory(prefix="model-") as model_dir:
        try:
            with tarfile.open(fileobj=io.BytesIO(artifact), mode="r:gz") as archive:
                _extract(archive, model_dir)
                member = archive.extractfile(inside)
                source = member.read() if member is not None else None
        except KeyError:
            source = None
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ContainerStartError(f"model.tar.gz cannot be extracted: {exc}") from exc
        if source is None:
            raise ContainerStartError(
                f"model.tar.gz has no {inside} (SAGEMAKER_PROGRAM={program} in {submit})"
            )
        try:
            handlers = load_handlers(source, name=program.removesuffix(".py"), pause=pause)
            model = handlers.model_fn(model_dir)
        except Exception as exc:  # the container does not pass its health check
            raise ContainerStartError(f"{inside}: {type(exc).__name__}: {exc}") from exc
    return LoadedModel(
        package_arn=package_arn, handlers=handlers, model=model, environment=dict(environment)
    )


def _extract(archive: tarfile.TarFile, directory: str) -> None:
    """Extract with tar's ``data`` filter; where Python has none, refuse what it would.

    The filter came in Python 3.12 and 3.11.4 (https://docs.python.org/3/library/tarfile.html#tarfile-extraction-filter);
    an earlier 3.11 (Debian 12 ships 3.11.2) gets the same refusals by hand: absolute paths,
    paths out of the directory, links and special files.
    """
    if hasattr(tarfile, "data_filter"):
        archive.extractall(directory, filter="data")
        return
    for member in archive.getmembers():
        name = posixpath.normpath(member.name)
        if name.startswith(("/", "../")) or name == ".." or not (member.isfile() or member.isdir()):
            raise tarfile.TarError(f"{member.name!r}: not a plain file or folder inside the model")
    archive.extractall(directory)  # every member checked above
