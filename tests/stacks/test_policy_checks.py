"""Every pattern passes cdk-nag's AwsSolutions checks and cfn-lint with nothing unexplained."""

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from refarch.catalog import PATTERNS
from refarch.cfn_lint import lint_template

PATTERN_IDS = [pattern.id for pattern in PATTERNS]


@pytest.mark.parametrize("pattern_id", PATTERN_IDS)
def test_pattern_has_no_unacknowledged_nag_findings(synth, pattern_id):
    # build_app attaches AwsSolutionsChecks; a finding makes synthesis raise ValidationFailed.
    assert synth(pattern_id).json["Resources"]


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
