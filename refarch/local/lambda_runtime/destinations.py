"""What Lambda sends where when an asynchronous event is done: DLQ messages, invocation records.

Formats as AWS documents them: a dead-letter message is the event itself with the
``RequestID``, ``ErrorCode`` and ``ErrorMessage`` attributes; a destination receives an
invocation record (request context, request payload, response payload).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3

from refarch.local.errors import LocalRunnerError
from refarch.local.lambda_runtime.invocation import AsyncOutcome, ErrorInfo

#: The DLQ message's ErrorMessage attribute is cut to this many characters.
DLQ_ERROR_MESSAGE_LIMIT = 1024


def send(session: boto3.Session, target: str, body: str, attributes: dict[str, Any]) -> None:
    """Send ``body`` to an SQS queue or SNS topic ARN with the function role's ``session``.

    Raises:
        botocore.exceptions.ClientError: The role may not send there (AccessDenied).
        LocalRunnerError: The target is neither a queue nor a topic.
    """
    service = target.split(":")[2]
    if service == "sqs":
        _, _, _, region, account, name = target.split(":", 5)
        # Lambda addresses the queue by URL without calling GetQueueUrl.
        url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
        session.client("sqs").send_message(
            QueueUrl=url, MessageBody=body, MessageAttributes=attributes
        )
    elif service == "sns":
        session.client("sns").publish(TopicArn=target, Message=body, MessageAttributes=attributes)
    else:
        raise LocalRunnerError(f"sending events to {target} is not supported by the local runner")


def dead_letter_attributes(request_id: str, error: ErrorInfo | None) -> dict[str, Any]:
    """Return the message attributes Lambda adds to a dead-lettered event."""
    message = (error.message or error.error_type) if error else ""
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {
            "DataType": "String",
            "StringValue": message[:DLQ_ERROR_MESSAGE_LIMIT] or "Unhandled",
        },
    }


def invocation_record(function_arn: str, outcome: AsyncOutcome) -> dict[str, Any]:
    """Return the record an ``OnSuccess``/``OnFailure`` destination receives."""
    last = outcome.attempts[-1]
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": last.request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "Success" if last.error is None else "RetriesExhausted",
            "approximateInvokeCount": len(outcome.attempts),
        },
        "requestPayload": outcome.event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
    }
    if last.error is None:
        record["responsePayload"] = last.result
    else:
        record["responseContext"]["functionError"] = "Unhandled"
        record["responsePayload"] = {
            "errorMessage": last.error.message,
            "errorType": last.error.error_type,
            "stackTrace": last.error.stack_trace,
        }
    return record
