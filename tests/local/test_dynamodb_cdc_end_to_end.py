"""dynamodb-cdc end to end on the local runner: table stream → Lambda's poller → log and totals."""

import pytest
from complete_runs import complete_run

from refarch.local import run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run("dynamodb-cdc")


def test_the_demo_passes_with_nothing_lost_or_denied(result):
    failed = [c for c in result.checks if not c.ok]
    assert result.ok, (failed, result.lost, result.denials, result.error)


def test_a_consumer_without_the_stream_grant_cannot_poll(dynamodb_cdc):
    # Lambda's poller reads the stream as the function's role: without the statement on the
    # stream the poller is denied and nothing is applied.
    def without_stream_read(template):
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Policy":
                statements = resource["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if "dynamodb:GetRecords" not in s["Action"]]

    result = run_demo(
        "dynamodb-cdc", out=None, assembly=dynamodb_cdc, template_hook=without_stream_read
    )
    assert not result.ok
    assert {d.action for d in result.denials} == {"dynamodb:DescribeStream"}
