"""Load Lambda handler modules the way the Lambda runtime does, and fake its context object."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_ROOT = REPO_ROOT / "lambda"


def put_on_path(function_dir: Path) -> None:
    """Put a function's asset directory on sys.path, as the Lambda runtime does."""
    if str(function_dir) not in sys.path:
        sys.path.insert(0, str(function_dir))


def load_lambda_module(function_dir: Path, module: str, as_name: str) -> ModuleType:
    """Import ``function_dir/module.py`` as ``as_name``, with ``function_dir`` on sys.path.

    Lambda puts the asset directory on the path, so handlers import their sibling modules flat;
    the entry module is loaded under a unique name because every function has a ``handler.py``.
    """
    put_on_path(function_dir)
    if as_name in sys.modules:
        return sys.modules[as_name]
    spec = importlib.util.spec_from_file_location(as_name, function_dir / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[as_name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


@dataclass
class FakeLambdaContext:
    """The attributes of a Lambda context object that Powertools' Logger reads."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def emf_documents(stdout: str) -> list[dict]:
    """The CloudWatch embedded-metric documents Powertools printed (one JSON object a line)."""
    return [
        json.loads(line)
        for line in stdout.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
