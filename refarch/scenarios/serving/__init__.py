"""The model a version serves: its handlers for SageMaker's scikit-learn container.

``inference.py`` is packed into each ``model.tar.gz`` under ``code/``
(``refarch.scenarios.model_artifacts.model_artifact``); the container imports it from there
(``SAGEMAKER_PROGRAM``, ``SAGEMAKER_SUBMIT_DIRECTORY``), and so does the local emulator, with
``load_handlers`` (a module of its own, nothing added to ``sys.path`` or ``sys.modules``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

#: The handlers' file, as the repository keeps it.
INFERENCE_FILE = Path(__file__).with_name("inference.py")
#: Where the handlers go inside ``model.tar.gz``, and the entry point's name.
PROGRAM = "inference.py"
CODE_DIRECTORY = "code"


def inference_source() -> bytes:
    """The bytes of ``inference.py``, as ``model_artifact`` packs them."""
    return INFERENCE_FILE.read_bytes()


def load_handlers(
    source: bytes, *, name: str = "inference", pause: Callable[[float], None] | None = None
) -> ModuleType:
    """Import ``source`` as a fresh module; ``pause`` replaces its ``pause`` (no sleeping).

    Raises:
        SyntaxError, or whatever the module raises while it is imported.
    """
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"{CODE_DIRECTORY}/{PROGRAM}", "exec"), module.__dict__)
    if pause is not None:
        module.pause = pause
    return module
