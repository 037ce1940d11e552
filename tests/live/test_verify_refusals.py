"""``refarch verify``'s refusals: nothing is deployed unless every condition holds."""

from __future__ import annotations

import io

import boto3
from emulated_account import EmulatorDeployer, emulated_account

from refarch.catalog import PATTERNS
from refarch.cli import main
from refarch.live.account import Account
from refarch.live.plans import PLANS
from refarch.live.verify import verify_live
from refarch.local.demos import SCENARIOS
from refarch.scenarios import CONVERTED

PATTERN = "s3-event-processing"
#: Nothing listens here: a request would fail to connect instead of reaching anything.
UNREACHABLE = "http://127.0.0.1:9"


def _unreachable_account(region: str | None = "us-east-1") -> Account:
    return Account(boto3.Session(region_name=region), endpoint_url=UNREACHABLE)


def test_converted_patterns_are_listed_with_a_plan_and_a_demo():
    assert set(CONVERTED) == {
        "s3-event-processing",
        "dynamodb-cdc",
        "stream-consumer",
        "stream-to-lake",
        "model-quality-monitor",
        "glue-partitioned-etl",
        "queue-worker",
        "approved-model-endpoint",
        "staged-model-promotion",
    }
    assert set(PLANS) == set(CONVERTED)
    catalog = {p.id for p in PATTERNS}
    assert set(CONVERTED) <= catalog
    # Every pattern still has a local demo: converted ones through as_demo, the rest as before.
    assert catalog <= set(SCENARIOS) | {"queue-worker-fifo"}


def test_without_live_nothing_happens(capsys):
    assert main(["verify", PATTERN]) == 2
    assert "pass --live" in capsys.readouterr().err


def test_every_pattern_in_the_catalog_can_be_verified_live():
    assert {p.id for p in PATTERNS} == set(CONVERTED)


def test_a_pattern_without_a_converted_scenario_is_refused_before_any_request(monkeypatch):
    # A pattern added to the catalog before its scenario runs on both targets.
    from refarch.live import verify

    pattern_id = "queue-worker"
    monkeypatch.setattr(
        verify, "CONVERTED", {k: v for k, v in CONVERTED.items() if k != pattern_id}
    )
    deployer = EmulatorDeployer()
    out = io.StringIO()
    result = verify_live(
        pattern_id, account=_unreachable_account(), deployer=deployer, yes=True, out=out
    )
    assert result.refused and "not yet converted" in result.refused
    assert f"refarch demo {pattern_id}" in result.refused
    assert deployer.calls == []
    assert not result.ok


def test_no_region_is_refused(monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    deployer = EmulatorDeployer()
    result = verify_live(
        PATTERN, account=_unreachable_account(region=None), deployer=deployer, out=None
    )
    assert result.refused == "no region: pass --region or set AWS_REGION"
    assert deployer.calls == []


def test_an_account_not_bootstrapped_is_refused_saying_how():
    with emulated_account() as stand_in:
        deployer = EmulatorDeployer()
        result = verify_live(PATTERN, account=stand_in.account, deployer=deployer, yes=True)
    assert result.refused is not None
    assert "is not bootstrapped in us-east-1" in result.refused
    assert "npx cdk bootstrap aws://123456789012/us-east-1" in result.refused
    assert deployer.calls == []


def test_declining_the_confirmation_deploys_nothing():
    asked: list[str] = []

    def decline(prompt: str) -> bool:
        asked.append(prompt)
        return False

    out = io.StringIO()
    with emulated_account() as stand_in:
        stand_in.bootstrap()
        deployer = EmulatorDeployer()
        result = verify_live(
            PATTERN, account=stand_in.account, deployer=deployer, confirm=decline, out=out
        )
    assert asked == ["Deploy S3EventProcessing to 123456789012/us-east-1? [y/N] "]
    assert result.refused == "not confirmed: nothing was deployed"
    assert deployer.calls == []
    trace = out.getvalue()
    # What will be created and what it costs were printed before the question.
    assert (
        "creates (cdk deploy S3EventProcessing -c patterns=s3-event-processing -c destroy=true)"
        in trace
    )
    assert "cost: under $0.05" in trace
    assert "https://aws.amazon.com/kms/pricing/" in trace


def test_a_stack_already_there_is_never_touched():
    template = '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}'
    with emulated_account() as stand_in:
        stand_in.bootstrap()
        stand_in.client("cloudformation").create_stack(
            StackName="S3EventProcessing", TemplateBody=template
        )
        deployer = EmulatorDeployer()
        result = verify_live(PATTERN, account=stand_in.account, deployer=deployer, yes=True)
    assert result.refused is not None and "already exists" in result.refused
    assert deployer.calls == []


def test_the_cli_passes_its_options_to_the_live_run(monkeypatch):
    from refarch.live import verify
    from refarch.live.cdk import CdkDeployer

    seen = {}

    def fake_verify_live(pattern_id, *, account, deployer, yes, keep, context):
        seen.update(pattern_id=pattern_id, region=account.region, yes=yes, keep=keep)
        seen["context"] = context
        seen["deployer"] = deployer
        return verify.LiveResult(pattern_id=pattern_id, run_id="r", refused="declined")

    monkeypatch.setattr(verify, "verify_live", fake_verify_live)
    code = main(
        ["verify", PATTERN, "--live", "--region", "eu-west-1", "--yes", "--keep", "-c", "a=b"]
    )
    assert code == 2  # refused
    assert seen["region"] == "eu-west-1" and seen["yes"] and seen["keep"]
    assert seen["context"] == {"a": "b"}
    assert isinstance(seen["deployer"], CdkDeployer)


def test_a_variant_may_not_set_what_the_run_sets():
    out = io.StringIO()
    deployer = EmulatorDeployer()
    with emulated_account() as stand_in:
        stand_in.bootstrap()
        result = verify_live(
            PATTERN,
            account=stand_in.account,
            deployer=deployer,
            yes=True,
            out=out,
            context={"destroy": "false"},
        )
    assert result.refused is not None and "destroy" in result.refused
    assert deployer.calls == []
