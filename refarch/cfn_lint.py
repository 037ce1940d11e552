"""cfn-lint over synthesized templates, configured by the repository's `.cfnlintrc.yaml`."""

from pathlib import Path

import yaml

from refarch import REPO_ROOT

CONFIG_FILE = REPO_ROOT / ".cfnlintrc.yaml"


def lint_template(template: Path) -> list[str]:
    """Lint one template with the repository's configuration; return the findings as text.

    The same configuration applies to `cfn-lint cdk.out/*.template.json` run from the
    repository root, so a reviewer sees what the tests see.
    """
    from cfnlint.api import ManualArgs, lint_file  # heavy import: only when linting

    config = yaml.safe_load(CONFIG_FILE.read_text())
    args = ManualArgs(regions=config["regions"], ignore_checks=config.get("ignore_checks", []))
    return [str(match) for match in lint_file(template, config=args)]
