"""Announce persistent drift: violations in N consecutive monitoring executions → one event.

Flow per ``SageMaker Processing Job State Change`` of the schedule's executions (EventBridge
rule): list the schedule's reports (``$REPORT_PREFIX``: Model Monitor writes each execution's
``constraint_violations.json`` under ``<endpoint>/<schedule>/yyyy/mm/dd/hh/``), read the latest
``$CONSECUTIVE_RUNS`` of them, and if every one lists violations, put a ``Model Data Drift
Persisted`` event on the default bus: the retraining hook a training pipeline subscribes to.

- A failed execution writes no report: it neither breaks nor extends a streak (its own event
  goes to the alarm topic through the execution-status rule).
- SageMaker may send an event more than once; the hook's ``detail.latestReport`` names the
  report that completed the streak, so a subscriber can ignore repeats.
- An execution event for another schedule, or without a status, is logged and ignored.
- Listing or reading fails (throttling, AccessDenied): the invocation raises, and Lambda's
  asynchronous retries and then the on-failure queue keep the event.

Environment: ``REPORT_BUCKET``, ``REPORT_PREFIX``, ``SCHEDULE_ARN``, ``ENDPOINT_NAME``,
``SCHEDULE_NAME``, ``CONSECUTIVE_RUNS`` (3), ``EVENT_SOURCE`` (``refarch.model-monitor``).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()

VIOLATIONS_FILE = "constraint_violations.json"
DETAIL_TYPE = "Model Data Drift Persisted"


def latest_reports(s3: Any, bucket: str, prefix: str, count: int) -> list[str]:
    """The keys of the latest ``count`` violation reports under ``prefix`` (oldest first)."""
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(VIOLATIONS_FILE)]
    # The hour folders (yyyy/mm/dd/hh) sort as the executions ran.
    return sorted(keys)[-count:]


def violated_features(s3: Any, bucket: str, key: str) -> list[str]:
    """The features a report names (empty: the execution found no violation)."""
    document = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return sorted({v.get("feature_name", "") for v in document.get("violations", [])})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check the latest executions of the schedule; put the retraining event on a streak."""
    detail = event.get("detail") or {}
    if detail.get("MonitoringScheduleArn") != os.environ["SCHEDULE_ARN"]:
        logger.warning("not an execution of this schedule", extra={"detail": detail})
        return {"outcome": "ignored"}
    status = detail.get("ProcessingJobStatus")
    if status != "Completed":
        logger.info("execution did not complete", extra={"status": status})
        return {"outcome": "no_report", "status": status}
    bucket, prefix = os.environ["REPORT_BUCKET"], os.environ["REPORT_PREFIX"]
    runs = int(os.environ.get("CONSECUTIVE_RUNS", "3"))
    s3 = boto3.client("s3")
    keys = latest_reports(s3, bucket, prefix, runs)
    features = [violated_features(s3, bucket, key) for key in keys]
    streak = len(keys) == runs and all(features)
    logger.info("latest reports", extra={"reports": keys, "violated": features})
    if not streak:
        return {"outcome": "no_streak", "reports": len(keys)}
    hook = {
        "endpointName": os.environ["ENDPOINT_NAME"],
        "scheduleName": os.environ["SCHEDULE_NAME"],
        "consecutiveRuns": runs,
        "features": sorted({f for names in features for f in names}),
        "reports": [f"s3://{bucket}/{key}" for key in keys],
        "latestReport": f"s3://{bucket}/{keys[-1]}",
    }
    answer = boto3.client("events").put_events(
        Entries=[
            {
                "Source": os.environ.get("EVENT_SOURCE", "refarch.model-monitor"),
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(hook),
            }
        ]
    )
    if answer.get("FailedEntryCount"):
        raise RuntimeError(f"the retraining event was not accepted: {answer['Entries']}")
    metrics.add_metric(name="DriftPersisted", unit=MetricUnit.Count, value=1)
    return {"outcome": "retraining_event", "features": hook["features"]}
