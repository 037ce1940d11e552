"""The unused-access analysis (``refarch.iam_unused``) on hand-made statements and requests."""

from refarch.iam_unused import (
    UNEXERCISED_METADATA,
    Access,
    BroadResource,
    StatementRef,
    acknowledged_unexercised,
    analyze,
    granted_statements,
    render,
)

BUCKET = "arn:aws:s3:::out"
POLICY = "RoleDefaultPolicy"


def _statements(*statements):
    return granted_statements(POLICY, {"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions, resources):
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _access(action, resource, *indexes):
    return Access("role-name", action, resource, tuple(StatementRef(POLICY, i) for i in indexes))


def test_an_unused_action_beside_a_used_one_in_the_same_statement_is_reported():
    # The example: DescribeScalableTargets is used, DeleteAlarms is not.
    statements = _statements(
        _allow(["application-autoscaling:DescribeScalableTargets", "cloudwatch:DeleteAlarms"], "*")
    )
    report = analyze(
        "Role",
        statements,
        [_access("application-autoscaling:DescribeScalableTargets", "*", 0)],
    )
    assert [(u.action, u.statement) for u in report.unused] == [
        ("cloudwatch:DeleteAlarms", StatementRef(POLICY, 0))
    ]
    assert (report.granted, report.exercised) == (2, 1)


def test_a_wildcard_entry_counts_as_exercised_if_any_action_it_covers_was_used():
    statements = _statements(_allow(["s3:GetObject*", "s3:List*"], [BUCKET, f"{BUCKET}/*"]))
    report = analyze("Role", statements, [_access("s3:GetObjectVersion", f"{BUCKET}/a", 0)])
    # GetObject* covers GetObjectVersion (Service Authorization Reference); List* is unused.
    assert [u.action for u in report.unused] == ["s3:List*"]


def test_a_use_counts_for_the_statement_that_allowed_it_only():
    # The same action in two statements (on two resources): used through one of them.
    statements = _statements(
        _allow("sagemaker:AddTags", "arn:aws:sagemaker:us-east-1:1:model/m-*"),
        _allow("sagemaker:AddTags", "arn:aws:sagemaker:us-east-1:1:endpoint/e"),
    )
    report = analyze(
        "Role",
        statements,
        [_access("sagemaker:AddTags", "arn:aws:sagemaker:us-east-1:1:model/m-1", 0)],
    )
    assert [str(u.statement) for u in report.unused] == [f"{POLICY}[1]"]


def test_deny_and_not_action_statements_grant_nothing_to_judge():
    statements = _statements(
        {"Effect": "Deny", "Action": "cloudwatch:DeleteAlarms", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        _allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:dlq"),
    )
    assert [s.ref.index for s in statements] == [2]


def test_acknowledged_actions_carry_their_reason_and_are_not_unacknowledged():
    reason = "the DLQ receives a message only when every retry of an event failed"
    template = {
        "Resources": {
            "Role": {
                "Metadata": {
                    UNEXERCISED_METADATA: [{"actions": ["SQS:SendMessage"], "reason": reason}]
                }
            },
            "Other": {
                "Metadata": {UNEXERCISED_METADATA: [{"actions": ["s3:List*"], "reason": "short"}]}
            },
        }
    }
    statements = _statements(_allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:dlq"))
    report = analyze("Role", statements, [], acknowledged_unexercised(template, "Role"))
    assert report.unused[0].acknowledged == reason
    assert report.unacknowledged == []
    # Too short a reason acknowledges nothing; another role's acknowledgment is not this one's.
    assert acknowledged_unexercised(template, "Other") == {}
    assert analyze("Other", statements, []).unacknowledged


def test_resources_broader_than_used_are_reported_at_a_separator():
    statements = _statements(
        _allow(
            ["s3:GetObject", "s3:ListBucket"],
            [BUCKET, f"{BUCKET}/curated/*", f"{BUCKET}/rejected/*"],
        )
    )
    accesses = [
        _access("s3:GetObject", f"{BUCKET}/curated/in-bucket/orders-1.csv", 0),
        _access("s3:GetObject", f"{BUCKET}/curated/in-bucket/orders-2.csv", 0),
    ]
    report = analyze("Role", statements, accesses)
    assert report.broad == [
        BroadResource(StatementRef(POLICY, 0), BUCKET, None),
        BroadResource(
            StatementRef(POLICY, 0), f"{BUCKET}/curated/*", f"{BUCKET}/curated/in-bucket/*"
        ),
        BroadResource(StatementRef(POLICY, 0), f"{BUCKET}/rejected/*", None),
    ]


def test_an_entry_used_across_its_whole_wildcard_is_not_broad():
    statements = _statements(_allow("s3:GetObject", f"{BUCKET}/*"))
    accesses = [
        _access("s3:GetObject", f"{BUCKET}/a", 0),
        _access("s3:GetObject", f"{BUCKET}/b", 0),
    ]
    assert analyze("Role", statements, accesses).broad == []


def test_log_stream_names_are_not_a_narrower_prefix():
    # Lambda names its streams per execution environment: no grant could name them in advance.
    group = "arn:aws:logs:us-east-1:1:log-group:G"
    statements = _statements(_allow(["logs:CreateLogStream", "logs:PutLogEvents"], f"{group}:*"))
    accesses = [
        _access("logs:CreateLogStream", f"{group}:log-stream:2026/12/04/[$LATEST]abc", 0),
        _access("logs:PutLogEvents", f"{group}:log-stream:2026/12/04/[$LATEST]abc", 0),
    ]
    report = analyze("Role", statements, accesses)
    assert report.broad == []
    assert report.unused == []


def test_a_star_resource_of_an_action_without_resource_types_is_not_broad():
    statements = _statements(_allow("xray:PutTraceSegments", "*"))
    report = analyze("Role", statements, [_access("xray:PutTraceSegments", "*", 0)])
    assert report.broad == []


def test_the_report_is_one_line_per_role_then_its_findings():
    reason = "the DLQ receives a message only when every retry of an event failed"
    queue = "arn:aws:sqs:us-east-1:1:q"
    statements = _statements(
        _allow(["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"], queue),
        _allow("s3:PutObject", f"{BUCKET}/out/*"),
    )
    accesses = [
        _access("sqs:SendMessage", queue, 0),
        _access("s3:PutObject", f"{BUCKET}/out/2024/a.json", 1),
        _access("s3:PutObject", f"{BUCKET}/out/2024/b.json", 1),
    ]
    report = analyze("Role", statements, accesses, {"sqs:getqueueattributes": reason})
    assert render([report]) == [
        "Role: 2/4 granted actions exercised (3 distinct requests), 1 unexercised acknowledged",
        f"  unused: sqs:GetQueueUrl in {POLICY}[0]",
        "  unused, acknowledged: sqs:GetQueueAttributes",
        f"  broader than used: {BUCKET}/out/* in {POLICY}[1]: used only under …2024/*",
    ]


def test_a_single_object_narrows_to_its_prefix_not_its_generated_key():
    statements = _statements(_allow("s3:PutObject", f"{BUCKET}/errors/*"))
    accesses = [_access("s3:PutObject", f"{BUCKET}/errors/failed/2026/stream-1-uuid.gz", 0)]
    (broad,) = analyze("Role", statements, accesses).broad
    assert broad.used_under == f"{BUCKET}/errors/failed/2026/*"


def test_a_single_named_resource_under_a_wildcard_is_named():
    tables = "arn:aws:glue:us-east-1:1:table/db/raw_*"
    statements = _statements(_allow("glue:CreateTable", tables))
    accesses = [_access("glue:CreateTable", "arn:aws:glue:us-east-1:1:table/db/raw_raw", 0)]
    (broad,) = analyze("Role", statements, accesses).broad
    assert broad.used_under == "arn:aws:glue:us-east-1:1:table/db/raw_raw"
