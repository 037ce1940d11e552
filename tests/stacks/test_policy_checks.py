"""Every pattern passes cdk-nag's AwsSolutions checks and cfn-lint with nothing unexplained."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from refarch.catalog import PATTERNS
from refarch.cfn_lint import lint_template
from refarch.iam_findings import GETATT_ARN, identity_policies, template_findings

PATTERN_IDS = [pattern.id for pattern in PATTERNS]


#: Context variants whose resources differ enough to need their own nag and cfn-lint run.
#: The cross-account layout of staged-model-promotion (its target stacks are checked in
#: test_staged_model_promotion_accounts.py).
CROSS_ACCOUNT = (
    "staged-model-promotion",
    {
        "orchestration_account": "333333333333",
        "staging_account": "111111111111",
        "prod_account": "222222222222",
    },
)
LINTED_VARIANTS = [("queue-worker", {"fifo": "true"}), CROSS_ACCOUNT]


@pytest.mark.parametrize("pattern_id", PATTERN_IDS)
def test_pattern_has_no_unacknowledged_nag_findings(synth, pattern_id):
    # build_app attaches AwsSolutionsChecks; a finding makes synthesis raise ValidationFailed.
    assert synth(pattern_id).json["Resources"]


@pytest.mark.parametrize(("pattern_id", "context"), LINTED_VARIANTS)
def test_variant_has_no_unacknowledged_nag_findings_and_is_cfn_lint_clean(
    synth, pattern_id, context
):
    variant = synth(pattern_id, **context)
    assert variant.json["Resources"]
    assert lint_template(variant.path) == []


@pytest.mark.parametrize("pattern_id", PATTERN_IDS)
def test_every_acknowledgment_is_scoped_and_carries_a_reason(synth, pattern_id):
    acknowledgments = synth(pattern_id).acknowledgments()
    assert acknowledgments, "each pattern documents at least its IAM acknowledgments"
    for (path, rule), reason in acknowledgments.items():
        assert path.count("/") >= 2, f"{rule} acknowledged for a whole stack: {path}"
        assert len(reason) >= 40, f"{rule} at {path} lacks a real reason: {reason!r}"


def test_nag_fails_synthesis_on_an_insecure_resource(tmp_path):
    # Proves the checks are live: a bucket without TLS enforcement or access logs must not pass.
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Insecure")
    s3.Bucket(stack, "Bucket")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match=r"AwsSolutions-S(1|10)"):
        app.synth()


@pytest.mark.parametrize("pattern_id", PATTERN_IDS)
def test_template_is_cfn_lint_clean(synth, pattern_id):
    assert lint_template(synth(pattern_id).path) == []


# --- IAM grants against the Service Authorization Reference (refarch.iam_findings) -------------

#: Every pattern in the catalog (so a new one is checked without an edit here), and the context
#: variants that change its IAM.
IAM_VARIANTS = [
    *((pattern_id, {}) for pattern_id in PATTERN_IDS),
    ("stream-to-lake", {"parquet": "true"}),
    ("glue-partitioned-etl", {"flex": "true"}),
    ("approved-model-endpoint", {"instance_count": "1"}),
    ("approved-model-endpoint", {"serverless_memory_mb": "2048"}),
    ("queue-worker", {"fifo": "true"}),
    CROSS_ACCOUNT,
]


class KnownDefect(AssertionError):
    """A finding of a defect whose fix is pending elsewhere (the test is xfail on it only)."""


#: Defects the other streams of issue 9 are fixing: (reason, the (kind, action) findings they
#: leave). Remove an entry when its fix merges; any other finding fails the test.
KNOWN_DEFECTS: dict[str, tuple[str, set[tuple[str, str]]]] = {}


def _variant_id(variant):
    pattern_id, context = variant
    return pattern_id + "".join(f"[{k}={v}]" for k, v in context.items())


def _iam_cases():
    for variant in IAM_VARIANTS:
        known = KNOWN_DEFECTS.get(variant[0])
        marks = (
            [pytest.mark.xfail(strict=True, raises=KnownDefect, reason=known[0])] if known else []
        )
        yield pytest.param(*variant, id=_variant_id(variant), marks=marks)


@pytest.mark.parametrize(("pattern_id", "context"), list(_iam_cases()))
def test_every_grant_can_apply_and_every_wildcard_is_explained(synth, pattern_id, context):
    findings = template_findings(synth(pattern_id, **context).json)
    known = KNOWN_DEFECTS.get(pattern_id, ("", set()))[1]
    assert [str(f) for f in findings if (f.kind, f.action) not in known] == []
    if findings:
        raise KnownDefect("\n".join(str(f) for f in findings))


@pytest.mark.parametrize(
    ("pattern_id", "context"), [pytest.param(*v, id=_variant_id(v)) for v in IAM_VARIANTS]
)
def test_every_arn_a_policy_takes_from_a_resource_is_resolved(synth, pattern_id, context):
    # The check can only judge shapes it resolves: every Fn::GetAtt <resource>.Arn a policy uses
    # must be of a resource type GETATT_ARN knows.
    template = synth(pattern_id, **context).json
    resources = template["Resources"]
    unknown = set()
    for _, document, _ in identity_policies(template):
        for found in _getatts(document):
            kind = resources[found]["Type"]
            if kind not in GETATT_ARN:
                unknown.add(kind)
    assert unknown == set()


def _getatts(value):
    if isinstance(value, dict):
        if "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
            yield value["Fn::GetAtt"][0]
        for each in value.values():
            yield from _getatts(each)
    elif isinstance(value, list):
        for each in value:
            yield from _getatts(each)
