"""The baseline promoter against a hostile corpus: every event ends promoted, ignored or refused
with its reason, and only a promotion changes the current baseline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from baseline_promoter_harness import (
    BUCKET,
    GROUP_HASH,
    PREFIX,
    baseline,
    completion,
    current,
    job,
    promoter_on_moto,
)
from lambda_harness import FakeLambdaContext


@pytest.fixture
def promoter(monkeypatch):
    yield from promoter_on_moto(monkeypatch)


def _with(**detail: Any) -> Callable[[], Any]:
    return lambda: completion(2, **detail)


def _output(uri: Any) -> Callable[[], Any]:
    def make() -> Any:
        event = completion(2)
        event["detail"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = uri
        return event

    return make


def _without_output() -> Any:
    event = completion(2)
    del event["detail"]["ProcessingOutputConfig"]
    return event


def _marker(body: bytes) -> Callable[[], None]:
    def setup() -> None:
        boto3.client("s3").put_object(
            Bucket=BUCKET, Key="baselines/current/version.json", Body=body
        )

    return setup


def _only_statistics() -> None:
    boto3.client("s3").delete_object(Bucket=BUCKET, Key="baselines/2/constraints.json")


@dataclass(frozen=True)
class Case:
    """One hostile event, what should become of it, and the start of its reason."""

    name: str
    make: Callable[[], Any]
    outcome: str
    reason: str = ""
    setup: Callable[[], None] = field(default=lambda: None)


CASES = [
    Case("not a mapping", lambda: "Completed", "ignored", "not an EventBridge event"),
    Case("a list", lambda: [completion(2)], "ignored", "not an EventBridge event"),
    Case("empty", lambda: {}, "ignored", "not a processing job state change"),
    Case("source spoofed", lambda: {**completion(2), "source": "custom.app"}, "ignored", "not a"),
    Case(
        "training job",
        lambda: {**completion(2), "detail-type": "SageMaker Training Job State Change"},
        "ignored",
        "not a processing job state change",
    ),
    Case("detail a string", lambda: {**completion(2), "detail": "{}"}, "ignored", "no detail"),
    Case("failed", _with(ProcessingJobStatus="Failed"), "ignored", "the job did not complete"),
    Case("stopped", _with(ProcessingJobStatus="Stopped"), "ignored", "the job did not complete"),
    Case("lowercase status", _with(ProcessingJobStatus="completed"), "ignored", "the job did not"),
    Case("status a list", _with(ProcessingJobStatus=["Completed"]), "ignored", "the job did not"),
    Case("name missing", _with(ProcessingJobName=None), "ignored", "no valid ProcessingJobName"),
    Case("name a number", _with(ProcessingJobName=2), "ignored", "no valid ProcessingJobName"),
    Case(
        "name too long",
        _with(ProcessingJobName=f"{PREFIX}-{GROUP_HASH}-v2" + "1" * 60),
        "ignored",
        "no valid ProcessingJobName",
    ),
    Case(
        "monitoring execution",
        _with(ProcessingJobName="model-monitoring-202606011000-1a2b3c4d"),
        "ignored",
        "not a baselining job of this stack",
    ),
    Case(
        "another stack's prefix",
        _with(ProcessingJobName=f"otherstack-baseline-{GROUP_HASH}-v2"),
        "ignored",
        "not a baselining job",
    ),
    Case("version zero", _with(ProcessingJobName=job(0)), "ignored", "not a baselining job"),
    Case(
        "leading zero",
        _with(ProcessingJobName=f"{PREFIX}-{GROUP_HASH}-v02"),
        "ignored",
        "not a baselining job",
    ),
    Case(
        "uppercase hash",
        _with(ProcessingJobName=f"{PREFIX}-1A2B3C4D-v2"),
        "ignored",
        "not a baselining job",
    ),
    Case(
        "eleven-digit version",
        _with(ProcessingJobName=f"{PREFIX}-{GROUP_HASH}-v12345678901"),
        "ignored",
        "not a baselining job",
    ),
    Case(
        "unicode in the name",
        _with(ProcessingJobName=f"{PREFIX}-{GROUP_HASH}-v\uff12"),
        "ignored",
        "not a baselining job",
    ),
    Case(
        "newline before the suffix",
        _with(ProcessingJobName=f"{PREFIX}\n-{GROUP_HASH}-v2"),
        "ignored",
        "not a baselining job",
    ),
    Case("output elsewhere", _output("s3://elsewhere/baselines/2/"), "refused", "the job's"),
    Case("another version's output", _output(f"s3://{BUCKET}/baselines/1/"), "refused", "the"),
    Case("output a number", _output(7), "refused", "the job's output is not"),
    Case(
        "outputs not a list",
        lambda: completion(2, ProcessingOutputConfig={"Outputs": "s3://x"}),
        "refused",
        "ProcessingOutputConfig has no S3 output",
    ),
    Case(
        "no outputs",
        lambda: completion(2, ProcessingOutputConfig={"Outputs": []}),
        "refused",
        "the job's output is not",
    ),
    Case(
        "a version without its files",
        lambda: completion(9),
        "refused",
        f"s3://{BUCKET}/baselines/9/statistics.json does not exist",
    ),
    Case(
        "constraints missing",
        lambda: completion(2),
        "refused",
        f"s3://{BUCKET}/baselines/2/constraints.json does not exist",
        _only_statistics,
    ),
    Case("output without its slash", _output(f"s3://{BUCKET}/baselines/2"), "promoted"),
    Case("no output config in the event", _without_output, "promoted"),
    Case("a marker of garbage", lambda: completion(2), "promoted", "", _marker(b"\x00\xff{")),
    Case(
        "a marker whose version is text",
        lambda: completion(2),
        "promoted",
        "",
        _marker(json.dumps({"modelVersion": "99"}).encode()),
    ),
    Case(
        "a marker whose version is true",
        lambda: completion(2),
        "promoted",
        "",
        _marker(json.dumps({"modelVersion": True}).encode()),
    ),
]


def test_the_corpus_has_at_least_25_cases_each_with_an_outcome():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.outcome for c in CASES} == {"promoted", "ignored", "refused"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_hostile_event_has_its_stated_outcome(promoter, case):
    baseline(2)
    case.setup()
    result = promoter.lambda_handler(case.make(), FakeLambdaContext())
    assert result["outcome"] == case.outcome
    if case.outcome == "promoted":
        assert current() == (2, {2})
    else:
        assert result["reason"].startswith(case.reason)
        # Nothing promoted: no stable copy (a marker planted by the case stays as it was).
        assert current()[1] == set()
