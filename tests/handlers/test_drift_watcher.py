"""The drift watcher on moto: the retraining event only after N executions with violations."""

from __future__ import annotations

import json

import boto3
import pytest
from lambda_harness import LAMBDA_ROOT, FakeLambdaContext, load_lambda_module
from moto import mock_aws

BUCKET = "model-monitor-reports"
PREFIX = "reports/churn/churn-data-quality/"
SCHEDULE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/churn-data-quality"


@pytest.fixture
def watcher(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "drift-watcher")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "refarch")
    for name, value in {
        "REPORT_BUCKET": BUCKET,
        "REPORT_PREFIX": PREFIX,
        "SCHEDULE_ARN": SCHEDULE_ARN,
        "ENDPOINT_NAME": "churn",
        "SCHEDULE_NAME": "churn-data-quality",
        "CONSECUTIVE_RUNS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield load_lambda_module(LAMBDA_ROOT / "drift_watcher", "handler", "drift_watcher_handler")


def _report(hour: int, features: list[str]) -> None:
    violations = [
        {"feature_name": f, "constraint_check_type": "baseline_drift_check", "description": "d"}
        for f in features
    ]
    boto3.client("s3").put_object(
        Bucket=BUCKET,
        Key=f"{PREFIX}2026/06/01/{hour:02d}/constraint_violations.json",
        Body=json.dumps({"violations": violations}).encode(),
    )


def _event(status: str = "Completed", schedule: str = SCHEDULE_ARN) -> dict:
    return {
        "detail-type": "SageMaker Processing Job State Change",
        "source": "aws.sagemaker",
        "detail": {"ProcessingJobStatus": status, "MonitoringScheduleArn": schedule},
    }


def test_a_streak_of_violations_puts_the_retraining_event(watcher):
    _report(9, [])
    _report(10, ["monthly_charges"])
    assert watcher.lambda_handler(_event(), FakeLambdaContext())["outcome"] == "no_streak"
    _report(11, ["discount", "monthly_charges"])
    result = watcher.lambda_handler(_event(), FakeLambdaContext())
    assert result == {"outcome": "retraining_event", "features": ["discount", "monthly_charges"]}


def test_other_schedules_and_failed_executions_are_not_counted(watcher):
    _report(10, ["a"])
    _report(11, ["a"])
    other = _event(schedule=SCHEDULE_ARN.replace("churn-data", "other-data"))
    assert watcher.lambda_handler(other, FakeLambdaContext())["outcome"] == "ignored"
    failed = watcher.lambda_handler(_event("Failed"), FakeLambdaContext())
    assert failed["outcome"] == "no_report"
