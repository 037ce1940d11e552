"""Every action a run's roles are granted is exercised by the scenario, or acknowledged.

``test_iam_necessity`` removes whole statements; an unused action inside a needed statement
(``cloudwatch:DeleteAlarms`` beside ``DescribeScalableTargets``) survives it. Here each
pattern's demo runs once, the emulator records every request IAM allowed each role with the
statements that allowed it (``refarch.local.access_record``), and each ``Action`` entry of each
``Allow`` statement of each role the run assumes must have allowed at least one request
(``refarch.iam_unused``), unless:

- the stack acknowledges it next to the grant, with the reason the scenario cannot reach it
  (``refarch.constructs.iam_unexercised``: a failure path, a call AWS makes that the runner
  does not model);
- the local runner does not make the call yet though AWS does (``RUNNER_GAPS``);
- it looks unused by the pattern's code and by AWS alike and is listed for a reviewer to remove
  or justify (``FOR_REVIEW``).

Both lists are exact: an entry the run starts to exercise, or that the stack acknowledges,
fails the test until it is removed here, and so does an acknowledgment of an action the run
exercises everywhere it is granted.
"""

import pytest
from assemblies import run_variant
from complete_runs import LOCAL_RUNS, complete_run

from refarch.iam_unused import acknowledged_unexercised
from refarch.local import DemoResult
from refarch.local.access_record import assumed_roles

pytestmark = pytest.mark.slow


#: (pattern, role logical-id prefix) -> actions AWS calls that the local runner does not yet.
RUNNER_GAPS: dict[tuple[str, str], dict[str, str]] = {}

#: (pattern, role logical-id prefix) -> actions that look unused by the code and by AWS: for a
#: reviewer to remove (usually by replacing a CDK grant helper with the actions it needs, as
#: ``refarch.constructs.s3_object_grants`` does) or to acknowledge in the stack with the reason.
FOR_REVIEW: dict[tuple[str, str], dict[str, str]] = {}


def _run(run: str) -> DemoResult:
    # One run per pattern or variant for every test here (and test_iam_necessity's complete run).
    return complete_run(run)


def _listed(table, pattern_id, role):
    return {
        action.lower()
        for (pattern, prefix), actions in table.items()
        if pattern == pattern_id and role.startswith(prefix)
        for action in actions
    }


@pytest.mark.parametrize("run", LOCAL_RUNS)
def test_the_report_covers_every_role_the_run_assumes(run):
    result = _run(run)
    assert result.ok
    assert [r.role for r in result.access] == assumed_roles(run_variant(run)[1].template)
    assert all(report.requests for report in result.access)


@pytest.mark.parametrize("run", LOCAL_RUNS)
def test_every_granted_action_is_exercised_or_explained(run):
    result = _run(run)
    pattern_id = run.partition("[")[0]
    for report in result.access:
        unexplained = {u.action.lower() for u in report.unacknowledged}
        listed = _listed(RUNNER_GAPS, pattern_id, report.role) | _listed(
            FOR_REVIEW, pattern_id, report.role
        )
        details = [str(u) for u in report.unacknowledged if u.action.lower() not in listed]
        assert unexplained - listed == set(), (report.role, details)
        # A listed action the run now exercises (or the stack acknowledges) leaves the list.
        assert listed - unexplained == set(), report.role


@pytest.mark.parametrize("run", LOCAL_RUNS)
def test_no_acknowledgment_covers_an_exercised_action(run):
    template = run_variant(run)[1].template
    for report in _run(run).access:
        unused = {u.action.lower() for u in report.unused}
        acknowledged = set(acknowledged_unexercised(template, report.role))
        assert acknowledged - unused == set(), report.role
