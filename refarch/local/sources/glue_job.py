"""A run of a deployed Glue job: its own code on local Spark, every AWS call under its role.

What Glue does for one run of the ``raw_to_curated`` job, and how the runner does the same:

====================================================  ==============================================
Glue                                                  here (signed as the job's role, IAM enforced)
====================================================  ==============================================
assumes the job's role (``glue.amazonaws.com``)       ``sts:AssumeRole`` after the trust check
loads ``--scripts`` and ``--extra-py-files`` from S3  downloads both from the bootstrap bucket and
                                                      imports the job's modules from the zip
reads the bookmark, decrypted with the security       the bookmark is kept per job, encrypted with
configuration's key (``CSE-KMS``)                     ``kms:Encrypt`` / ``kms:Decrypt`` on that key
lists and reads the new raw objects                   ``ListObjectsV2`` + ``GetObject`` into a local
                                                      mirror, each file dated with the object's
                                                      ``LastModified`` (what the bookmark compares)
reads the curated days it writes to (dedupe)          the curated prefix is mirrored first
writes Parquet and quarantine files                   ``run_local`` writes them locally; each new
                                                      file is uploaded with ``PutObject``
adds the new partitions to the curated table          ``curated_catalog.register_partitions``: the
                                                      job's own code, with a Glue client of the role
publishes job metrics (``--enable-metrics``)          ``PutMetricData`` in the ``Glue`` namespace,
                                                      per run and ``ALL``, as the alarms read it
prepares each log group it writes when the security  ``CreateLogGroup`` (an existing group is not
configuration encrypts CloudWatch logs                an error) + ``AssociateKmsKey`` with its key
writes the driver's logs: Glue's lines to the         ``CreateLogStream`` + ``PutLogEvents`` in both
``error`` group, the script's stdout to ``output``    groups, stream ``<run id>-driver`` (Glue 5.0)
emits ``Glue Job State Change`` to EventBridge        ``PutEvents`` on the default bus (rules match)
====================================================  ==============================================

Not emulated: the DynamicFrame reader and ``job.commit()`` themselves (``awsglue`` exists only in
Glue; ``run_local`` is the same steps with plain Spark and the file bookmark, see
``glue/raw_to_curated/local_run.py``), workers and DPU billing, timeouts and retries.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import os
import sys
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from refarch.local.identities import assume_role_as_service
from refarch.local.provisioners.glue import glue_version
from refarch.local.s3_url import split_s3_url
from refarch.local.sources.log_groups import (
    glue_log_encryption_key,
    prepare_encrypted_glue_log_group,
)
from refarch.local.trace import size

if TYPE_CHECKING:
    import boto3

    from refarch.local.stack_resources import StackResources

GLUE_PRINCIPAL = "glue.amazonaws.com"
#: Auto scaling "is available for your AWS Glue ETL, interactive sessions, and streaming jobs
#: with AWS Glue version 3.0 or later", on G and R workers (G.025X for streaming jobs only) and
#: not Standard (https://docs.aws.amazon.com/glue/latest/dg/auto-scaling.html). botocore says
#: so in prose only; a run asking for it elsewhere fails here, as it would in Glue.
AUTO_SCALING_MIN_GLUE_VERSION = (3, 0)
AUTO_SCALING_WORKER_TYPES = frozenset(
    {"G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"}
)
#: The job's modules the runner calls: the local twin of ``job.py`` and the catalog update.
JOB_MODULES = ("local_run", "curated_catalog", "local_spark")


@dataclass
class JobRun:
    """What one run read, wrote and registered, or why it failed."""

    run_id: str
    job_name: str
    state: str = "RUNNING"
    """``SUCCEEDED`` or ``FAILED``, as Glue reports it."""

    report: Any = None
    """The job's ``RunReport`` (files and rows read, curated, quarantined, deduplicated)."""

    staged: list[str] = field(default_factory=list)
    """Raw object keys downloaded for this run (new or changed)."""

    uploaded: list[str] = field(default_factory=list)
    """Curated and quarantine object keys the run wrote."""

    registered: list[tuple[str, ...]] = field(default_factory=list)
    """Partitions the run added to the curated table."""

    error: str = ""

    @property
    def ok(self) -> bool:
        """Return True if the run succeeded."""
        return self.state == "SUCCEEDED"


@contextmanager
def job_modules(code_dir: Path) -> Iterator[dict[str, ModuleType]]:
    """Import the job's modules from ``code_dir`` (its ``--extra-py-files``), flat, as Glue does.

    The modules are imported afresh from the deployed code, then the interpreter's module table
    is put back as it was, so a module of the same name imported elsewhere (the Spark tests put
    the job's source directory on the path) is neither replaced nor reused.
    """
    names = {p.stem for p in code_dir.glob("*.py")}
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name in names}
    sys.path.insert(0, str(code_dir))
    try:
        yield {name: importlib.import_module(name) for name in JOB_MODULES}
    finally:
        sys.path.remove(str(code_dir))
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


class GlueJobRunner:
    """Runs a deployed Glue job's code locally, as its role; keeps the job's bookmark between runs.

    Example:
        ``runner = stack.glue_job("Job")``; ``runner.run()`` after files land under the raw
        prefix; a second ``run()`` reads only the files added in between.
    """

    def __init__(self, stack: StackResources, job: str) -> None:
        self._stack = stack
        self._emulator = stack.emulator
        self.job_name = stack.physical_id(job)
        definition = self._emulator.client("glue").get_job(JobName=self.job_name)["Job"]
        self.role_arn: str = definition["Role"]
        self.arguments: dict[str, str] = definition.get("DefaultArguments", {})
        self.script_location: str = definition["Command"]["ScriptLocation"]
        self.security_configuration: str | None = definition.get("SecurityConfiguration")
        self.glue_version: str = definition.get("GlueVersion", "0.9")
        self.worker_type: str | None = definition.get("WorkerType")
        self._home = self._emulator.workdir / "glue-jobs" / self.job_name
        self._raw_etags: dict[str, str] = {}
        self._curated_keys: set[str] = set()
        self._bookmark_blob: bytes | None = None
        self.runs: list[JobRun] = []

    @property
    def trace(self) -> Any:
        """The emulator's trace."""
        return self._emulator.trace

    def argument(self, name: str) -> str:
        """A job argument (``raw_path`` for ``--raw_path``)."""
        return self.arguments[f"--{name}"]

    def role_session(self, run_id: str) -> boto3.Session:
        """A session of the job's role, as Glue assumes it for a run."""
        return assume_role_as_service(
            self._emulator.deployer,
            self.role_arn,
            service=GLUE_PRINCIPAL,
            session_name=f"{self.job_name}-{run_id}"[:64],
            account_id=self._emulator.account_id,
        )

    def run(self) -> JobRun:
        """Start a run and wait for it: stage, transform, upload, register, log, emit its event."""
        run = JobRun(run_id=f"jr_{uuid.uuid4().hex}", job_name=self.job_name)
        self.trace.line(f"Glue starts {self.job_name} ({run.run_id}) as {self.role_arn}")
        session = self.role_session(run.run_id)
        try:
            self._check_auto_scaling()
            self._run(session, run)
            run.state = "SUCCEEDED"
        except Exception as exc:  # a failed run is an outcome: logged, evented, alarmed
            run.state = "FAILED"
            run.error = f"{type(exc).__name__}: {exc}"
            self.trace.line(f"✗ run failed: {run.error}", 2)
        self._publish_metrics(session, run)
        self._log(session, run)
        self._emit_state_change(run)
        self.runs.append(run)
        return run

    def _check_auto_scaling(self) -> None:
        """Refuse ``--enable-auto-scaling`` where Glue does not scale (Glue < 3.0, Standard)."""
        if self.arguments.get("--enable-auto-scaling") != "true":
            return
        version = glue_version(self.glue_version)
        if version < AUTO_SCALING_MIN_GLUE_VERSION or (
            self.worker_type not in AUTO_SCALING_WORKER_TYPES
        ):
            raise ValueError(
                "InvalidInputException: auto scaling needs Glue 3.0 or later and a G or R "
                f"worker type; the job has Glue {self.glue_version} and {self.worker_type} "
                "(https://docs.aws.amazon.com/glue/latest/dg/auto-scaling.html)"
            )

    def _run(self, session: boto3.Session, run: JobRun) -> None:
        s3 = session.client("s3")
        code_dir = self._fetch_code(s3)
        bookmark_file = self._home / "bookmark.json"
        self._restore_bookmark(session, bookmark_file)
        raw_dir = self._home / "raw"
        run.staged = self._stage(s3, "raw_path", raw_dir)
        curated_dir = self._home / "curated"
        self._mirror_curated(s3, curated_dir)
        quarantine_dir = self._home / "runs" / run.run_id / "quarantine"
        with job_modules(code_dir) as modules:
            spark = modules["local_spark"].local_session()
            run.report = modules["local_run"].run_local(
                raw_dir,
                curated_dir,
                quarantine_dir,
                bookmark_file,
                spark,
                exclusions=json.loads(self.arguments.get("--exclusions", "[]")),
            )
            self.trace.line(f"the job's code: {run.report.summary()}", 2)
            run.uploaded = self._upload(s3, curated_dir, "curated_path", only_new=True)
            run.uploaded += self._upload(s3, quarantine_dir, "quarantine_path", only_new=False)
            catalog = modules["curated_catalog"]
            written = [catalog.partition_from_path(p) for p in run.report.partitions_written]
            run.registered = catalog.register_partitions(
                session.client("glue"), self.argument("database"), self.argument("table"), written
            )
        self.trace.line(
            f"registered {len(run.registered)} new partitions in "
            f"{self.argument('database')}.{self.argument('table')}: "
            + (", ".join("/".join(p) for p in run.registered) or "none"),
            2,
        )
        # Glue's job.commit(): the bookmark is saved (encrypted) only once everything succeeded.
        self._save_bookmark(session, bookmark_file)

    def _fetch_code(self, s3: Any) -> Path:
        """Download the script and the ``--extra-py-files`` zip, as the job's role."""
        code_dir = self._home / "code"
        code_dir.mkdir(parents=True, exist_ok=True)
        for url in [self.script_location, *self.argument("extra-py-files").split(",")]:
            bucket, key = split_s3_url(url)
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            if key.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(body)) as package:
                    package.extractall(code_dir)
            else:
                (code_dir / "job.py").write_bytes(body)
        return code_dir

    @property
    def sealed_bookmark(self) -> bytes | None:
        """The bookmark as the job last committed it (encrypted), or None before any commit."""
        return self._bookmark_blob

    def bookmark_key(self) -> str | None:
        """The key the security configuration encrypts bookmarks with (``CSE-KMS``), if any."""
        if not self.security_configuration:
            return None
        configuration = self._emulator.client("glue").get_security_configuration(
            Name=self.security_configuration
        )["SecurityConfiguration"]["EncryptionConfiguration"]
        bookmarks = configuration.get("JobBookmarksEncryption", {})
        if bookmarks.get("JobBookmarksEncryptionMode") == "CSE-KMS":
            return bookmarks["KmsKeyArn"]
        return None

    def _restore_bookmark(self, session: boto3.Session, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if self._bookmark_blob is None:
            path.unlink(missing_ok=True)
            return
        key = self.bookmark_key()
        blob = self._bookmark_blob
        if key:
            # Client-side encryption: the job decrypts its own bookmark with its role.
            blob = session.client("kms").decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"]
        path.write_bytes(blob)

    def _save_bookmark(self, session: boto3.Session, path: Path) -> None:
        if not path.exists():
            return
        document = path.read_bytes()
        key = self.bookmark_key()
        if key:
            # A bookmark is small (KMS Encrypt takes up to 4 KB); larger ones are enveloped.
            if len(document) <= 4096:
                document = session.client("kms").encrypt(KeyId=key, Plaintext=document)[
                    "CiphertextBlob"
                ]
            else:
                data_key = session.client("kms").generate_data_key(KeyId=key, KeySpec="AES_256")
                document = data_key["CiphertextBlob"] + base64.b64encode(document)
        self._bookmark_blob = document

    def _stage(self, s3: Any, argument: str, local_dir: Path) -> list[str]:
        """Mirror the objects under an ``s3://`` argument; return the keys downloaded now."""
        bucket, prefix = split_s3_url(self.argument(argument))
        downloaded = []
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in (obj for page in pages for obj in page.get("Contents", [])):
            key = item["Key"]
            if key.endswith("/") or self._raw_etags.get(key) == item["ETag"]:
                continue
            target = local_dir / key[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            # What the bookmark compares: the object's last-modified time, not the download's.
            modified = item["LastModified"].timestamp()
            os.utime(target, (modified, modified))
            self._raw_etags[key] = item["ETag"]
            downloaded.append(key)
        self.trace.line(
            f"read {len(downloaded)} new or changed objects under s3://{bucket}/{prefix}", 2
        )
        return downloaded

    def _mirror_curated(self, s3: Any, local_dir: Path) -> None:
        """Bring the curated files written by earlier runs (the dedupe reads their days)."""
        bucket, prefix = split_s3_url(self.argument("curated_path"))
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in (obj for page in pages for obj in page.get("Contents", [])):
            key = item["Key"]
            if key in self._curated_keys:
                continue
            target = local_dir / key[len(prefix) :]
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            self._curated_keys.add(key)

    def _upload(self, s3: Any, local_dir: Path, argument: str, *, only_new: bool) -> list[str]:
        """Upload the files a run wrote under ``local_dir`` to the argument's ``s3://`` prefix.

        Names starting with ``.`` or ``_`` are the local file system's checksums and Spark's
        markers, which the S3 committer does not leave as data files; they are not uploaded.
        """
        bucket, prefix = split_s3_url(self.argument(argument))
        uploaded = []
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            relative = path.relative_to(local_dir).as_posix()
            if any(part.startswith((".", "_")) for part in relative.split("/")):
                continue
            key = prefix + relative
            if only_new and key in self._curated_keys:
                continue
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            if only_new:
                self._curated_keys.add(key)
            uploaded.append(key)
        total = sum((local_dir / k[len(prefix) :]).stat().st_size for k in uploaded)
        self.trace.line(
            f"wrote {len(uploaded)} objects ({size(total)}) under s3://{bucket}/{prefix}", 2
        )
        return uploaded

    def _publish_metrics(self, session: boto3.Session, run: JobRun) -> None:
        """Publish the run's job metrics, as the job's role, when ``--enable-metrics`` is set.

        Glue reports each metric per run and aggregated over runs (``JobRunId=ALL``), with
        ``Type=count`` for counters (AWS docs: job metrics); the failed-task alarm reads the
        ``ALL`` series. A local run has no failed Spark tasks to count.
        """
        if "--enable-metrics" not in self.arguments:
            return
        rows_read = run.report.rows_read if run.report is not None else 0
        values = {
            "glue.driver.aggregate.numFailedTasks": 0,
            "glue.driver.aggregate.recordsRead": rows_read,
        }
        data = [
            {
                "MetricName": name,
                "Dimensions": [
                    {"Name": "JobName", "Value": self.job_name},
                    {"Name": "JobRunId", "Value": run_id},
                    {"Name": "Type", "Value": "count"},
                ],
                "Value": value,
                "Unit": "Count",
            }
            for name, value in values.items()
            for run_id in (run.run_id, "ALL")
        ]
        try:
            session.client("cloudwatch").put_metric_data(Namespace="Glue", MetricData=data)
        except ClientError as exc:
            run.state, run.error = "FAILED", f"job metrics not published: {exc}"
            self.trace.line(f"✗ {run.error}", 2)

    def log_group(self, kind: str) -> str:
        """The group Glue 5.0 writes a run's ``error`` or ``output`` log to.

        System, Spark and GlueLogger lines go to ``error``, the script's stdout and stderr to
        ``output`` (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html);
        ``--custom-logGroup-prefix`` replaces ``/aws-glue/jobs``. With a security configuration
        that encrypts CloudWatch logs, the group is named after it and the role:
        ``/aws-glue/jobs/<config>-role/<role>/<kind>`` (``JobRun.LogGroupName``,
        https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html).
        """
        prefix = self.arguments.get("--custom-logGroup-prefix", "/aws-glue/jobs")
        if self.log_encryption_key():
            role_name = self.role_arn.rsplit("/", 1)[-1]
            prefix = f"/aws-glue/jobs/{self.security_configuration}-role/{role_name}"
        return f"{prefix}/{kind}"

    def output_log_group(self) -> str:
        """The job's output log group (the script's stdout: the run report)."""
        return self.log_group("output")

    def log_encryption_key(self) -> str | None:
        """The key the security configuration encrypts CloudWatch logs with, if any."""
        return glue_log_encryption_key(self._emulator.client("glue"), self.security_configuration)

    @staticmethod
    def log_stream(run_id: str) -> str:
        """The driver's stream in both groups: ``<run id>-driver`` (Glue 5.0, AWS docs above)."""
        return f"{run_id}-driver"

    def _log(self, session: boto3.Session, run: JobRun) -> None:
        """Write the run's driver logs, as the job's role: Glue's line, then the script's.

        With CloudWatch encryption, each group is first prepared as Glue does, as the role:
        created if missing and associated with the configuration's key
        (``log_groups.prepare_encrypted_glue_log_group`` says which part is documented).
        """
        logs = session.client("logs")
        stdout = (
            json.dumps({"run_report": run.report.as_dict()})
            if run.report is not None
            else json.dumps({"error": run.error})
        )
        system = f"Glue job run {run.run_id} of {self.job_name}: {run.state}"
        now = int(datetime.now(UTC).timestamp() * 1000)
        stream = self.log_stream(run.run_id)
        key = self.log_encryption_key()
        try:
            for kind, message in (("error", system), ("output", stdout)):
                group = self.log_group(kind)
                if key:
                    prepare_encrypted_glue_log_group(logs, group, key)
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
                logs.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": now, "message": message}],
                )
        except ClientError as exc:
            run.state, run.error = "FAILED", f"driver log not written: {exc}"
            self.trace.line(f"✗ {run.error}", 2)

    def _emit_state_change(self, run: JobRun) -> None:
        """Put Glue's ``Glue Job State Change`` event on the default bus (AWS-documented shape)."""
        detail = {
            "jobName": run.job_name,
            "severity": "INFO" if run.ok else "ERROR",
            "state": run.state,
            "jobRunId": run.run_id,
            "message": "Job run succeeded" if run.ok else run.error,
        }
        self._emulator.events.put(
            source="aws.glue", detail_type="Glue Job State Change", detail=detail
        )
