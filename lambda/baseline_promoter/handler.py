"""Make the newest baselined model version the one the monitoring schedule checks against.

The data-quality job definition reads its baseline from a stable prefix,
``$CURRENT_PREFIX`` (``baselines/current/statistics.json`` and ``constraints.json``). When a
baselining job of this stack completes (``SageMaker Processing Job State Change``, status
``Completed``, a job name the baseline starter gives: ``<prefix>-<group hash>-v<version>``,
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html),
this function copies that version's two files from ``$BASELINES_PREFIX<version>/`` into the
stable prefix, if the version is newer than the current one. The next execution uses it: no
redeploy, no change to the job definition.

Order and repeats. SageMaker "may send multiple events ... for each state change" (page above)
and baselining jobs of two versions can complete in any order. The marker object
``$CURRENT_PREFIX`` ``version.json`` names the current version; it only moves forward, with an
S3 conditional write (``If-None-Match: *`` when absent, ``If-Match: <ETag>`` otherwise: a writer
that lost a race gets 412 and reads again,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). The files are
then synced to whatever the marker names, each copy carrying ``x-amz-meta-model-version``, and
the marker is read again after the copy: if another invocation moved it meanwhile, the sync
runs again. So duplicates, late completions of older versions and concurrent completions all
converge on the latest version, as ``approved-model-endpoint`` follows the latest approval.

Outcomes (returned and logged, with a metric each):
- ``promoted``: the version is now current, its files copied;
- ``already_current`` / ``superseded``: a repeat, or an older version than the current one
  (the current files are re-synced if a previous invocation stopped half-way);
- ``ignored``: not a completed baselining job of this stack (another job, status or shape),
  with the reason; it would be the same on every retry;
- ``refused``: a completion of ours whose files are not in ``$BASELINES_PREFIX<version>/``,
  logged as an error with the reason (nothing to promote; the execution keeps the current
  baseline).
Any S3 error but a missing object or a lost race (throttling, AccessDenied) raises: Lambda's
asynchronous retries and then the on-failure queue keep the event.

Environment: ``BUCKET``, ``BASELINES_PREFIX`` (``baselines/``), ``CURRENT_PREFIX``
(``baselines/current/``), ``JOB_NAME_PREFIX``, ``KMS_KEY_ARN``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

logger = Logger()
metrics = Metrics()

DETAIL_TYPE = "SageMaker Processing Job State Change"
COMPLETED = "Completed"
BASELINE_FILES = ("statistics.json", "constraints.json")
MARKER = "version.json"
VERSION_METADATA = "model-version"
#: Processing job names: ``[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``
#: (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateProcessingJob.html).
MAX_JOB_NAME = 63
#: The baseline starter's suffix: ``-<8 hex digits of the group>-v<version>``.
_SUFFIX = re.compile(r"-[0-9a-f]{8}-v([1-9][0-9]{0,9})$")
#: Conditional-write answers that mean "someone else wrote first": read again and retry.
_LOST_RACE = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
#: Attempts at moving the marker or syncing the files before the invocation fails (and
#: Lambda retries it): each lost attempt means another invocation made progress.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Completion:
    """A completed baselining job of this stack: its name and the version it baselined."""

    job_name: str
    version: int


@dataclass(frozen=True)
class Marker:
    """The current version as ``version.json`` says it, and the ETag to write it back with."""

    version: int
    etag: str | None


def parse_completion(event: Any, job_prefix: str) -> Completion | str:
    """The completed baselining job the event announces, or why it is ignored."""
    if not isinstance(event, Mapping):
        return "not an EventBridge event"
    if event.get("source") != "aws.sagemaker" or event.get("detail-type") != DETAIL_TYPE:
        return "not a processing job state change"
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return "no detail"
    if detail.get("ProcessingJobStatus") != COMPLETED:
        return "the job did not complete"
    name = detail.get("ProcessingJobName")
    if not isinstance(name, str) or len(name) > MAX_JOB_NAME:
        return "no valid ProcessingJobName"
    match = _SUFFIX.search(name)
    # Exactly the name the starter gives this version: its prefix, cut to fit the suffix.
    if match is None or name != (
        job_prefix[: MAX_JOB_NAME - len(match.group(0))].rstrip("-") + match.group(0)
    ):
        return "not a baselining job of this stack"
    return Completion(job_name=name, version=int(match.group(1)))


def output_mismatch(event: Mapping[str, Any], bucket: str, prefix: str, version: int) -> str:
    """Why the event's own output location is not ``baselines/<version>/`` (empty: it is).

    The event's detail carries the job's ``ProcessingOutputConfig`` when SageMaker sends it;
    an event without it is judged by its name alone.
    """
    outputs = (event.get("detail") or {}).get("ProcessingOutputConfig")
    if outputs is None:
        return ""
    expected = f"s3://{bucket}/{prefix}{version}"
    try:
        uris = [o["S3Output"]["S3Uri"] for o in outputs["Outputs"]]
    except (KeyError, TypeError):
        return "ProcessingOutputConfig has no S3 output"
    if not uris or any(not isinstance(u, str) or u.rstrip("/") != expected for u in uris):
        return f"the job's output is not {expected}/"
    return ""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class BaselineStore:
    """The monitoring bucket's baselines: per version, and the current copy with its marker."""

    def __init__(self, s3: Any, env: Mapping[str, str]) -> None:
        self._s3 = s3
        self.bucket = env["BUCKET"]
        self.baselines = env.get("BASELINES_PREFIX", "baselines/")
        self.current = env.get("CURRENT_PREFIX", f"{self.baselines}current/")
        self._key_arn = env["KMS_KEY_ARN"]

    def has_version(self, version: int) -> str:
        """Why the version's files cannot be promoted (empty: both are there)."""
        for name in BASELINE_FILES:
            try:
                self._s3.head_object(Bucket=self.bucket, Key=f"{self.baselines}{version}/{name}")
            except ClientError as exc:
                if _code(exc) not in _MISSING:
                    raise
                return f"s3://{self.bucket}/{self.baselines}{version}/{name} does not exist"
        return ""

    def marker(self) -> Marker | None:
        """The current version, or None before the first promotion."""
        try:
            got = self._s3.get_object(Bucket=self.bucket, Key=f"{self.current}{MARKER}")
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        body = got["Body"].read()
        try:
            version = json.loads(body)["modelVersion"]
            if isinstance(version, bool) or not isinstance(version, int):
                raise TypeError(version)
        except (ValueError, KeyError, TypeError):
            # Edited by hand into something else: any completion replaces it.
            logger.warning("unreadable marker: replaced by the next promotion")
            version = 0
        return Marker(version=version, etag=got.get("ETag"))

    def advance(self, completion: Completion) -> tuple[Marker, bool]:
        """Move the marker to the completion's version if newer: the marker, and if it moved."""
        for _ in range(MAX_ATTEMPTS):
            current = self.marker()
            if current is not None and current.version >= completion.version:
                return current, False
            document = {
                "modelVersion": completion.version,
                "processingJob": completion.job_name,
                "statistics": f"s3://{self.bucket}/{self.baselines}{completion.version}/"
                f"{BASELINE_FILES[0]}",
                "constraints": f"s3://{self.bucket}/{self.baselines}{completion.version}/"
                f"{BASELINE_FILES[1]}",
                "promotedAt": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            condition = {"IfMatch": current.etag} if current else {"IfNoneMatch": "*"}
            try:
                put = self._put(f"{self.current}{MARKER}", json.dumps(document).encode(), None)
                put.update(condition)
                answer = self._s3.put_object(**put)
            except ClientError as exc:
                if _code(exc) in _LOST_RACE:
                    continue  # another invocation wrote first: read it again
                raise
            return Marker(version=completion.version, etag=answer.get("ETag")), True
        raise RuntimeError("the current-version marker kept changing: retry the event")

    def sync(self) -> int:
        """Copy the marker's version into the stable prefix; the version copied (0: none)."""
        for _ in range(MAX_ATTEMPTS):
            before = self.marker()
            if before is None or before.version == 0:
                return 0
            if self._copied(before.version) < len(BASELINE_FILES):
                for name in BASELINE_FILES:
                    source = f"{self.baselines}{before.version}/{name}"
                    body = self._s3.get_object(Bucket=self.bucket, Key=source)["Body"].read()
                    self._s3.put_object(**self._put(f"{self.current}{name}", body, before.version))
            after = self.marker()
            if after is not None and after.version == before.version:
                return before.version
        raise RuntimeError("the current version kept changing while copying: retry the event")

    def _copied(self, version: int) -> int:
        """How many of the stable files already hold ``version``."""
        copied = 0
        for name in BASELINE_FILES:
            try:
                head = self._s3.head_object(Bucket=self.bucket, Key=f"{self.current}{name}")
            except ClientError as exc:
                if _code(exc) not in _MISSING:
                    raise
                continue
            copied += head.get("Metadata", {}).get(VERSION_METADATA) == str(version)
        return copied

    def _put(self, key: str, body: bytes, version: int | None) -> dict[str, Any]:
        # Written SSE-KMS with the monitor key, as the baselining job writes its files.
        put: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": body,
            "ContentType": "application/json",
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self._key_arn,
        }
        if version is not None:
            put["Metadata"] = {VERSION_METADATA: str(version)}
        return put


def _ignored(reason: str, outcome: str = "ignored") -> dict[str, Any]:
    log = logger.error if outcome == "refused" else logger.warning
    log("event not promoted", extra={"reason": reason, "outcome": outcome})
    name = "BaselinesRefused" if outcome == "refused" else "EventsIgnored"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return {"outcome": outcome, "reason": reason}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Promote the completed baselining job's version if it is the newest."""
    env = os.environ
    completion = parse_completion(event, env["JOB_NAME_PREFIX"])
    if isinstance(completion, str):
        return _ignored(completion)
    store = BaselineStore(boto3.client("s3"), env)
    mismatch = output_mismatch(event, store.bucket, store.baselines, completion.version)
    if mismatch:
        return _ignored(mismatch, "refused")
    missing = store.has_version(completion.version)
    if missing:
        return _ignored(missing, "refused")
    marker, moved = store.advance(completion)
    current = store.sync()
    if marker.version > completion.version:
        outcome = "superseded"
    else:
        outcome = "promoted" if moved else "already_current"
    name = "BaselinesPromoted" if outcome == "promoted" else "OlderOrRepeatedCompletions"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    logger.info(
        "baseline version",
        extra={"job": completion.job_name, "outcome": outcome, "current": current},
    )
    return {"outcome": outcome, "version": completion.version, "current": current}
