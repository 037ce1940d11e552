"""refarch: AWS CDK reference architectures for data and ML engineering, runnable locally."""

import os
from pathlib import Path

from refarch.java_runtime import use_bundled_java, use_class_archive

#: The repository root: where `lambda/`, `glue/` and `cdk.json` live.
REPO_ROOT = Path(__file__).resolve().parent.parent

#: One asset directory per Lambda function: `lambda/<function>/`.
LAMBDA_ROOT = REPO_ROOT / "lambda"

#: Where `npm ci` installs the Node.js pinned in package.json.
NODE_BIN = REPO_ROOT / "node_modules" / ".bin"

# aws-cdk-lib starts its jsii kernel on the first `node` on PATH when it is imported; put the
# pinned, supported Node.js first so every entry point (CLI, tests, local runner) uses it.
if NODE_BIN.is_dir() and str(NODE_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

# Local Spark (the Glue pattern) runs on the pinned Java 17 from PyPI, so no system Java is needed.
use_bundled_java()
# ... and maps Spark's classes from the archive `make install` built, when there is one.
use_class_archive()
