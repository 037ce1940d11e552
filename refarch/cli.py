"""`refarch`: list the patterns, synthesize them, check them, and run them locally.

refarch list                 the catalog
refarch synth [ID ...|--all] templates to cdk.out/ (cdk-nag runs during synthesis)
refarch check [ID ...|--all] synthesize, then cfn-lint and check the IAM grants of every template
refarch demo  [ID ...|--all] run patterns end to end on the local emulator (no AWS account)
refarch diagram [ID ...|--all] architecture diagrams from the templates, to docs/patterns/img/
refarch verify ID --live [--region R] [--keep] [--yes]   deploy ID in your AWS account, run its
                             scenario there, tear everything down (costs money: see the README)
refarch promote EXECUTION     promote the version a staged-model-promotion execution waits on
refarch reject EXECUTION [--reason TEXT]   reject it (in your AWS account, with your credentials)
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from refarch import REPO_ROOT
from refarch.catalog import PATTERNS, Pattern, get

DEFAULT_OUTDIR = REPO_ROOT / "cdk.out"
DIAGRAM_DIR = REPO_ROOT / "docs" / "patterns" / "img"


def _selected(args: argparse.Namespace) -> list[Pattern]:
    if args.all or not args.ids:
        return list(PATTERNS)
    return [get(pattern_id) for pattern_id in args.ids]


def cmd_list(args: argparse.Namespace) -> int:
    """Print the catalog: id, stack name and what each pattern shows (and what to read)."""
    width = max(len(p.id) for p in PATTERNS)
    for pattern in PATTERNS:
        print(f"{pattern.id:<{width}}  {pattern.stack_name:<20}  {pattern.title}")
        print(f"{'':<{width}}  {pattern.summary}")
        if args.verbose:
            print(f"{'':<{width}}  guide: {pattern.guide}")
            for url in pattern.references:
                print(f"{'':<{width}}  - {url}")
    return 0


def synthesize(patterns: Sequence[Pattern], outdir: Path) -> list[Path]:
    """Synthesize the patterns into one cloud assembly; return their template paths."""
    from refarch.cdk_app import build_app  # imports aws-cdk-lib: keep `refarch list` instant

    build_app(",".join(p.id for p in patterns), outdir=str(outdir)).synth()
    return [outdir / f"{p.stack_name}.template.json" for p in patterns]


def cmd_synth(args: argparse.Namespace) -> int:
    """Write the selected patterns' templates; cdk-nag findings fail here."""
    for template in synthesize(_selected(args), Path(args.outdir)):
        print(f"synthesized {template}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Synthesize (cdk-nag), run cfn-lint (.cfnlintrc.yaml) and check the IAM grants.

    The IAM check (``refarch.iam_findings``) compares every grant with the Service Authorization
    Reference: unknown actions, grants on resources of none of the action's types, and
    unacknowledged ``Resource: "*"``.
    """
    from refarch.cfn_lint import lint_template
    from refarch.iam_findings import check_template

    failures = 0
    for template in synthesize(_selected(args), Path(args.outdir)):
        findings = lint_template(template)
        iam_findings = check_template(template)
        for finding in [*findings, *iam_findings]:
            print(finding)
        failures += len(findings) + len(iam_findings)
        print(
            f"{template.name}: cdk-nag clean, cfn-lint {len(findings)} finding(s), "
            f"IAM {len(iam_findings)} finding(s)"
        )
    return 1 if failures else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Run each selected pattern end to end on moto; non-zero if any record was lost."""
    from refarch.java_runtime import MISSING_JAVA, java_available
    from refarch.local import run_demo

    results, skipped = [], []
    for pattern in _selected(args):
        if pattern.needs_java and not java_available():
            skipped.append(pattern.id)
            continue
        extra = {"context": dict(args.context)} if args.context else {}
        results.append(run_demo(pattern.id, **extra))
    if skipped:
        # The other patterns still ran; the exit status says not everything did.
        print(f"== SKIPPED: {', '.join(skipped)}: no Java runtime\n{MISSING_JAVA}")
    return 0 if all(result.ok for result in results) and not skipped else 1


def cmd_verify(args: argparse.Namespace) -> int:
    """Run a pattern's scenario against its stack deployed in the caller's account (``live``)."""
    if not args.live:
        print(
            "refarch: verify deploys to your AWS account, which costs money, and deletes what it "
            "deployed afterwards; pass --live to confirm that you mean it (the estimate is "
            "printed before anything is created). `refarch demo` runs the same scenario locally.",
            file=sys.stderr,
        )
        return 2
    import boto3

    from refarch.live.account import Account
    from refarch.live.cdk import CdkDeployer
    from refarch.live.verify import verify_live

    account = Account(boto3.Session(region_name=args.region))
    result = verify_live(
        args.id,
        account=account,
        deployer=CdkDeployer(),
        yes=args.yes,
        keep=args.keep,
        context=dict(args.context),
    )
    if result.refused:
        return 2
    return 0 if result.ok else 1


def cmd_diagram(args: argparse.Namespace) -> int:
    """Write `<id>.dot` and `<id>.svg` per pattern, drawn from its synthesized template."""
    import json
    import tempfile

    from refarch.diagram.files import diagram_files
    from refarch.diagram.render import INSTALL_GRAPHVIZ, graphviz

    if graphviz() is None:  # before synthesizing: say what to install, install nothing
        print(f"refarch: {INSTALL_GRAPHVIZ}", file=sys.stderr)
        return 1
    imgdir = Path(args.imgdir)
    imgdir.mkdir(parents=True, exist_ok=True)
    patterns = _selected(args)
    with tempfile.TemporaryDirectory(prefix="refarch-diagram-") as outdir:
        templates = synthesize(patterns, Path(outdir))
        for pattern, template in zip(patterns, templates, strict=True):
            for name, content in diagram_files(pattern, json.loads(template.read_text())).items():
                (imgdir / name).write_bytes(content)
            print(f"wrote {imgdir / pattern.id}.svg (and .dot)")
    return 0


def _context_pair(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not key or not equals:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def cmd_decide(args: argparse.Namespace) -> int:
    """Answer a promotion waiting for a person (``refarch.promotion_commands``), in AWS.

    The token comes from the execution's history; the decision is sent with the caller's
    credentials, whose ARN is recorded as the approver (the AWS CLI equivalent is in the
    pattern's guide).
    """
    import boto3

    from refarch.promotion_commands import (
        REJECTED,
        NoPendingPromotionError,
        promote_output,
        reject_cause,
        task_token,
    )

    states = boto3.client("stepfunctions")
    approver = boto3.client("sts").get_caller_identity()["Arn"]
    pages = states.get_paginator("get_execution_history").paginate(executionArn=args.execution)
    try:
        token = task_token(event for page in pages for event in page["events"])
    except NoPendingPromotionError as error:
        print(f"refarch: {error}", file=sys.stderr)
        return 1
    try:
        if args.command == "promote":
            states.send_task_success(taskToken=token, output=promote_output(approver))
        else:
            cause = reject_cause(approver, args.reason)
            states.send_task_failure(taskToken=token, error=REJECTED, cause=cause)
    except (states.exceptions.TaskTimedOut, states.exceptions.InvalidToken) as error:
        # Answered already, expired, or not a token of this account: nothing changed.
        print(f"refarch: the promotion is no longer waiting ({error})", file=sys.stderr)
        return 1
    print(f"{args.command}d {args.execution} as {approver}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="refarch", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show the catalog")
    listing.add_argument(
        "-v", "--verbose", action="store_true", help="also the guide and the pages to read"
    )
    listing.set_defaults(func=cmd_list)
    for name, func, summary in (
        ("synth", cmd_synth, "synthesize templates to cdk.out/"),
        ("check", cmd_check, "synthesize, then cfn-lint and IAM-check every template"),
        ("demo", cmd_demo, "run patterns end to end on the local emulator"),
    ):
        command = commands.add_parser(name, help=summary)
        command.add_argument("ids", nargs="*", metavar="ID", help="pattern ids (default: all)")
        command.add_argument("--all", action="store_true", help="every pattern in the catalog")
        if name != "demo":
            command.add_argument("--outdir", default=str(DEFAULT_OUTDIR), help="cloud assembly")
        else:
            command.add_argument(
                "-c",
                "--context",
                action="append",
                default=[],
                type=_context_pair,
                metavar="KEY=VALUE",
                help="CDK context for synthesis, as with cdk (e.g. -c fifo=true)",
            )
        command.set_defaults(func=func)
    verify = commands.add_parser(
        "verify", help="run a pattern's scenario in your AWS account (--live), then tear down"
    )
    verify.add_argument("id", metavar="ID", help="a pattern id (see `refarch list`)")
    verify.add_argument(
        "--live", action="store_true", help="required: deploy to the account of your credentials"
    )
    verify.add_argument("--region", help="the region (default: your AWS configuration's)")
    verify.add_argument("--keep", action="store_true", help="leave the stack deployed")
    verify.add_argument("--yes", action="store_true", help="do not ask before deploying")
    verify.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        type=_context_pair,
        metavar="KEY=VALUE",
        help="the variant to deploy and verify, as with cdk (e.g. -c fifo=true)",
    )
    verify.set_defaults(func=cmd_verify)
    diagram = commands.add_parser("diagram", help="draw architecture diagrams from the templates")
    diagram.add_argument("ids", nargs="*", metavar="ID", help="pattern ids (default: all)")
    diagram.add_argument("--all", action="store_true", help="every pattern in the catalog")
    diagram.add_argument("--imgdir", default=str(DIAGRAM_DIR), help="where .dot and .svg go")
    diagram.set_defaults(func=cmd_diagram)
    for name, summary in (
        ("promote", "promote the version a staged-model-promotion execution waits on"),
        ("reject", "reject the version a staged-model-promotion execution waits on"),
    ):
        decide = commands.add_parser(name, help=summary)
        decide.add_argument("execution", help="the execution's ARN (in the approval message)")
        if name == "reject":
            decide.add_argument("--reason", default="", help="recorded in the cause")
        decide.set_defaults(func=cmd_decide)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `refarch` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyError as error:  # an unknown pattern id: the message lists the known ones
        print(f"refarch: {error.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
