"""A small hand-written stack for Lambda's SQS poller: queue (+ DLQ) → mapping → function.

The function is inline Python. For each record it reads the JSON body:

- ``{"fail": true}``: reported in ``batchItemFailures`` (a partial batch response);
- ``{"raise": true}``: the whole invocation raises;
- ``{"bogus_id": true}``: the response names an ``itemIdentifier`` that is not in the batch;
- anything else succeeds.

With ``report=False`` the mapping has no ``ReportBatchItemFailures``, so a response listing
failures counts as success.
"""

import json

from inline_assembly import inline_assembly

WORKER = """
import json

def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if body.get("raise"):
            raise RuntimeError("the worker failed on " + record["messageId"])
        if body.get("fail"):
            failures.append({"itemIdentifier": record["messageId"]})
        if body.get("bogus_id"):
            failures.append({"itemIdentifier": "not-in-this-batch"})
    return {"batchItemFailures": failures}
"""


def _allow(actions, resource):
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def template(
    *,
    batch_size=10,
    window=0,
    report=True,
    max_receive_count=3,
    visibility_timeout=30,
    function_timeout=10,
    filters=None,
    consume_actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
):
    """The fixture stack's template (see the module docstring)."""
    queue_arn = {"Fn::GetAtt": ["Queue", "Arn"]}
    mapping = {
        "EventSourceArn": queue_arn,
        "FunctionName": {"Ref": "Worker"},
        "BatchSize": batch_size,
    }
    if window:
        mapping["MaximumBatchingWindowInSeconds"] = window
    if report:
        mapping["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    if filters:
        mapping["FilterCriteria"] = {"Filters": [{"Pattern": json.dumps(f)} for f in filters]}
    statements = [
        _allow(["logs:CreateLogStream", "logs:PutLogEvents"], {"Fn::GetAtt": ["Logs", "Arn"]})
    ]
    if consume_actions:
        statements.append(_allow(list(consume_actions), queue_arn))
    return {
        "Resources": {
            "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "VisibilityTimeout": visibility_timeout,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]},
                        "maxReceiveCount": max_receive_count,
                    },
                },
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
            "WorkerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "sts:AssumeRole",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                            }
                        ],
                    }
                },
            },
            "WorkerPolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "WorkerPolicy",
                    "Roles": [{"Ref": "WorkerRole"}],
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                },
            },
            "Worker": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["WorkerPolicy"],
                "Properties": {
                    "Code": {"ZipFile": WORKER},
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Timeout": function_timeout,
                    "Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]},
                    "LoggingConfig": {"LogGroup": {"Ref": "Logs"}},
                },
            },
            "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": mapping},
        }
    }


def assembly(**options):
    """A cloud assembly of the fixture stack (no file assets: the code is inline)."""
    return inline_assembly("queue-fixture", "QueueFixture", template(**options))
