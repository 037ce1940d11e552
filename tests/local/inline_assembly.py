"""A cloud assembly around a hand-made template whose code is inline (no file assets).

The local runner's own tests deploy small fixture stacks (a Firehose, an SQS mapping) built as
template dictionaries; this wraps one the way ``synthesize`` wraps a synthesized stack.
"""

import tempfile
from pathlib import Path
from typing import Any

from refarch.local import CloudAssembly


def inline_assembly(pattern_id: str, stack_name: str, template: dict[str, Any]) -> CloudAssembly:
    """The assembly of ``template``, in a temporary directory kept alive by the assembly."""
    directory = tempfile.TemporaryDirectory(prefix=f"refarch-{pattern_id}-")
    return CloudAssembly(
        pattern_id=pattern_id,
        stack_name=stack_name,
        directory=Path(directory.name),
        template=template,
        assets={"files": {}, "dockerImages": {}},
        bootstrap_version_parameter=None,
        required_bootstrap_version=0,
        _keepalive=directory,
    )
