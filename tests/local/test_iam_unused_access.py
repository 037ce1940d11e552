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

import functools

import pytest
from assemblies import synthesized

from refarch.catalog import PATTERNS
from refarch.iam_unused import acknowledged_unexercised
from refarch.local import DemoResult, run_demo
from refarch.local.access_record import assumed_roles
from refarch.local.demos import SCENARIOS

pytestmark = pytest.mark.slow

LOCAL_PATTERNS = [p.id for p in PATTERNS if p.id in SCENARIOS]

#: (pattern, role logical-id prefix) -> actions AWS calls that the local runner does not yet.
RUNNER_GAPS: dict[tuple[str, str], dict[str, str]] = {}

_BUCKET_READS = (
    "grant_read's bucket-level group (GetBucketLocation, GetBucketPolicy, …): neither the code "
    "nor the service reading for it reads the bucket's configuration"
)
_PUT_EXTRAS = (
    "grant_put's group beyond PutObject: the writer sets no legal hold, retention or tags, and "
    "the bucket has no Object Lock"
)
_ABORT = "grant_put's Abort*: the code writes each object with one PutObject, never in parts"
#: (pattern, role logical-id prefix) -> actions that look unused by the code and by AWS: for a
#: reviewer to remove (usually by replacing a CDK grant helper with the actions it needs) or to
#: acknowledge in the stack with the reason.
FOR_REVIEW: dict[tuple[str, str], dict[str, str]] = {
    ("s3-event-processing", "CsvValidatorRole"): {
        "s3:GetBucket*": _BUCKET_READS,
        "s3:Abort*": _ABORT,
        "s3:PutObjectLegalHold": _PUT_EXTRAS,
        "s3:PutObjectRetention": _PUT_EXTRAS,
        "s3:PutObjectTagging": _PUT_EXTRAS,
        "s3:PutObjectVersionTagging": _PUT_EXTRAS,
    },
    ("queue-worker", "WorkerRole"): {
        "s3:GetBucket*": _BUCKET_READS,
        "s3:Abort*": _ABORT,
        "s3:PutObjectLegalHold": _PUT_EXTRAS,
        "s3:PutObjectRetention": _PUT_EXTRAS,
        "s3:PutObjectTagging": _PUT_EXTRAS,
        "s3:PutObjectVersionTagging": _PUT_EXTRAS,
        "sqs:GetQueueUrl": (
            "grant_send_messages and the event source's grant_consume_messages: the handler "
            "sends to the DLQ by the URL it is given, and Lambda's poller is given the queue ARN"
        ),
        "sqs:GetQueueAttributes": (
            "on the DLQ (grant_send_messages): the handler only sends to it; the work queue's "
            "GetQueueAttributes, which Lambda's poller needs, is exercised"
        ),
        "sqs:ChangeMessageVisibility": (
            "grant_consume_messages: Lambda's SQS poller is documented to need ReceiveMessage, "
            "DeleteMessage and GetQueueAttributes only, and the handler never changes a "
            "message's visibility"
        ),
    },
    ("stream-to-lake", "ProducerRole"): {
        "kms:Encrypt": (
            "grant_write's KMS group: a producer of a KMS-encrypted stream needs GenerateDataKey "
            "only (Kinesis encrypts)"
        ),
        "kms:ReEncrypt*": "grant_write's KMS group, as kms:Encrypt",
    },
    ("glue-partitioned-etl", "JobRole"): {
        "s3:GetBucket*": _BUCKET_READS,
        "s3:PutObjectLegalHold": _PUT_EXTRAS,
        "s3:PutObjectRetention": _PUT_EXTRAS,
        "s3:PutObjectTagging": _PUT_EXTRAS,
        "s3:PutObjectVersionTagging": _PUT_EXTRAS,
    },
    ("glue-partitioned-etl", "RawCrawlerRole"): {"s3:GetBucket*": _BUCKET_READS},
    ("approved-model-endpoint", "ExecutionRole"): {
        "s3:GetBucket*": _BUCKET_READS,
        "s3:List*": (
            "grant_read's listing on the artifacts bucket: SageMaker downloads the one model "
            "archive the model names"
        ),
        "ecr:BatchCheckLayerAvailability": (
            "grant_pull's push-side check: pulling reads the manifest (BatchGetImage) and the "
            "layers (GetDownloadUrlForLayer); keep it only if SageMaker's documented "
            "execution-role policy lists it"
        ),
        "s3:PutObjectLegalHold": _PUT_EXTRAS,
        "s3:PutObjectRetention": _PUT_EXTRAS,
        "s3:PutObjectTagging": _PUT_EXTRAS,
        "s3:PutObjectVersionTagging": _PUT_EXTRAS,
    },
}
# The staged pattern's production endpoint is approved-model-endpoint's, execution role included.
FOR_REVIEW[("staged-model-promotion", "ExecutionRole")] = FOR_REVIEW[
    ("approved-model-endpoint", "ExecutionRole")
]


@functools.cache
def _run(pattern_id: str) -> DemoResult:
    # One run per pattern for every test here: a demo takes seconds to a minute.
    return run_demo(pattern_id, out=None, assembly=synthesized(pattern_id))


def _listed(table, pattern_id, role):
    return {
        action.lower()
        for (pattern, prefix), actions in table.items()
        if pattern == pattern_id and role.startswith(prefix)
        for action in actions
    }


@pytest.mark.parametrize("pattern_id", LOCAL_PATTERNS)
def test_the_report_covers_every_role_the_run_assumes(pattern_id):
    result = _run(pattern_id)
    assert result.ok
    assert [r.role for r in result.access] == assumed_roles(synthesized(pattern_id).template)
    assert all(report.requests for report in result.access)


@pytest.mark.parametrize("pattern_id", LOCAL_PATTERNS)
def test_every_granted_action_is_exercised_or_explained(pattern_id):
    result = _run(pattern_id)
    for report in result.access:
        unexplained = {u.action.lower() for u in report.unacknowledged}
        listed = _listed(RUNNER_GAPS, pattern_id, report.role) | _listed(
            FOR_REVIEW, pattern_id, report.role
        )
        details = [str(u) for u in report.unacknowledged if u.action.lower() not in listed]
        assert unexplained - listed == set(), (report.role, details)
        # A listed action the run now exercises (or the stack acknowledges) leaves the list.
        assert listed - unexplained == set(), report.role


@pytest.mark.parametrize("pattern_id", LOCAL_PATTERNS)
def test_no_acknowledgment_covers_an_exercised_action(pattern_id):
    template = synthesized(pattern_id).template
    for report in _run(pattern_id).access:
        unused = {u.action.lower() for u in report.unused}
        acknowledged = set(acknowledged_unexercised(template, report.role))
        assert acknowledged - unused == set(), report.role
