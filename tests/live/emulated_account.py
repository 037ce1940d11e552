"""An AWS account stood in for by the local emulator, reached over HTTP like a real endpoint.

``refarch verify --live`` talks to AWS with boto3; here its requests go to a moto server
(``ThreadedMotoServer``) on 127.0.0.1, started inside ``refarch.local.emulator()``. The server
runs in this process and answers from the same moto backends as the emulator, and the runner's
patches act on moto's response and backend classes, so a request arriving over HTTP is
authenticated and authorized under IAM (with the runner's fixes) like an in-process one. The
runner's own emulation (S3 notifications delivered to Lambda, Lambda's retries and DLQ, ``Invoke``)
acts on those requests too: ``Invoke`` is answered by the emulator's Lambda service, objects
written to the deployed stack's buckets are notified by ``notifications_on_write`` and versions
registered or reviewed emit SageMaker's state change (``registry_events_on_write``), which the
stub deployer turns on for the stack it provisions, and when the run sleeps (``pass_time``, the
test's ``sleep``) Lambda's pollers drain their queues and streams, as they poll all along in
AWS. What the stand-in cannot do is CloudFormation: ``cdk deploy`` is replaced by the local
runner's provisioning (``EmulatorDeployer``), so the resources come from the runner, not from
``ListStackResources`` (``test_cdk_deployer`` reads those with botocore's ``Stubber``).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import boto3
from moto.server import ThreadedMotoServer

from refarch.catalog import Pattern
from refarch.live.account import Account
from refarch.live.bootstrap import VERSION_PARAMETER
from refarch.live.cdk import NO_CONTEXT, Context
from refarch.live.verify import LiveResult, verify_live
from refarch.local import CloudAssembly, Emulator, deploy, emulator
from refarch.local.sources.s3_on_write import notifications_on_write
from refarch.local.sources.sagemaker_on_write import registry_events_on_write
from refarch.local.target import let_time_pass
from refarch.scenarios.model_artifacts import (
    CONFIG_MEDIA_TYPE,
    LAYER_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    tar_gz,
    upload_blob,
)
from refarch.scenarios.serving.image import SKLEARN_REPOSITORY, SKLEARN_TAG
from refarch.scenarios.target import Resource


@dataclass
class EmulatorDeployer:
    """A ``StackDeployer`` that provisions through the local runner instead of ``cdk deploy``.

    ``calls`` records ``deploy``/``destroy`` in order; ``fail_destroy`` makes destroy raise.
    It provisions the default synthesis, not ``-c destroy=true``'s: that variant only changes
    what ``cdk destroy`` deletes (removal policies, and CDK's Node.js custom resource that empties
    the buckets, which the local runner does not run), and destroy is what this stub replaces.
    """

    assemblies: Mapping[str, CloudAssembly] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    contexts: list[dict[str, str]] = field(default_factory=list)
    """The variant context each call was given, in order."""

    fail_destroy: bool = False
    _active: ExitStack = field(default_factory=ExitStack)

    def deploy(
        self, pattern: Pattern, run_id: str, account: Account, context: Context = NO_CONTEXT
    ) -> Mapping[str, Resource]:
        self.calls.append("deploy")
        self.contexts.append(dict(context))
        stack = deploy(pattern.id, assembly=self.assemblies.get(pattern.id), context=context)
        self._active.enter_context(notifications_on_write(stack))
        self._active.enter_context(registry_events_on_write(stack.emulator.sagemaker))
        return stack.resources

    def destroy(
        self, pattern: Pattern, run_id: str, account: Account, context: Context = NO_CONTEXT
    ) -> None:
        self.calls.append("destroy")
        self.contexts.append(dict(context))
        self._active.close()
        if self.fail_destroy:
            raise RuntimeError("DELETE_FAILED (injected)")


@dataclass
class EmulatedAccount:
    """The emulator, a moto server in front of it, and the caller's ``Account`` for it."""

    emulator: Emulator
    account: Account
    requests: list[str]
    """The request lines the server answered (``PUT /bucket/key …``): proof they came by HTTP."""

    def bootstrap(self) -> None:
        """What ``cdk bootstrap`` leaves that a live run checks: the version parameter."""
        self.account.client("ssm").put_parameter(
            Name=VERSION_PARAMETER, Value="30", Type="String", Overwrite=True
        )

    def pass_time(self, seconds: float) -> None:
        """Time passing in the stand-in: what AWS does meanwhile (Lambda's pollers poll)."""
        let_time_pass(self.emulator, seconds)

    def client(self, service: str) -> Any:
        """A client over HTTP, as the caller's."""
        return self.account.client(service)


@dataclass
class StockedImage:
    """An image stocked in the stand-in: its manifest, digest and each blob's bytes."""

    manifest: str
    digest: str
    blobs: dict[str, bytes]
    downloads: list[str] = field(default_factory=list)
    """The digests downloaded through ``download``, in order."""

    def download(self, url: str) -> io.BytesIO:
        """The stand-in for downloading a pre-signed layer URL: the stocked blob it names.

        The stand-in's ``GetDownloadUrlForLayer`` answers a URL naming the digest
        (``refarch.local.moto_ecr``), which nothing can fetch offline.
        """
        path = url.split("?", 1)[0]
        digest = "sha256:" + path.rsplit("/", 1)[-1]
        self.downloads.append(digest)
        return io.BytesIO(self.blobs[digest])


def stock_image(
    ecr: Any,
    repository: str = SKLEARN_REPOSITORY,
    tag: str = SKLEARN_TAG,
    *,
    layers: tuple[bytes, ...] = (),
) -> StockedImage:
    """Create ``repository`` and push a small multi-layer image to it as ``tag``.

    In the stand-in it plays SageMaker's scikit-learn image (moto answers the source registry's
    calls from the caller's own account whatever ``registryId`` they name).
    """
    ecr.create_repository(repositoryName=repository)
    config = json.dumps({"architecture": "amd64", "os": "linux", "label": tag}).encode()
    bodies = layers or (
        tar_gz({"opt/program/serve": b"#!/bin/sh\n" * 300}),
        tar_gz({"opt/ml/code/README": b"scikit-learn container stand-in\n" * 50}),
        tar_gz({"etc/os-release": b"ID=stand-in\n"}),
    )
    blobs: dict[str, bytes] = {}
    descriptors = []
    for body, media_type in [(config, CONFIG_MEDIA_TYPE)] + [(b, LAYER_MEDIA_TYPE) for b in bodies]:
        digest = upload_blob(ecr, repository, body)
        blobs[digest] = body
        descriptors.append({"mediaType": media_type, "size": len(body), "digest": digest})
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": descriptors[0],
            "layers": descriptors[1:],
        }
    )
    image = ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
    return StockedImage(manifest, image["image"]["imageId"]["imageDigest"], blobs)


class FakeClock:
    """A clock that moves only when the run sleeps; records every sleep.

    With ``account``, a sleep is time passing in the stand-in (``EmulatedAccount.pass_time``).
    """

    def __init__(self, account: EmulatedAccount | None = None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.account = account

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.account is not None:
            self.account.pass_time(seconds)

    def __call__(self) -> float:
        return self.now


class _RequestLog(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def emulated_account() -> Iterator[EmulatedAccount]:
    """Start the emulator and a moto server on 127.0.0.1 (a free port); stop both on exit."""
    requests: list[str] = []
    werkzeug = logging.getLogger("werkzeug")
    handler = _RequestLog(requests)
    level, propagate = werkzeug.level, werkzeug.propagate
    werkzeug.addHandler(handler)
    werkzeug.setLevel(logging.INFO)
    werkzeug.propagate = False
    try:
        with emulator() as aws:
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            try:
                host, port = server.get_host_and_port()
                credentials = aws.deployer.get_credentials()
                session = boto3.Session(
                    aws_access_key_id=credentials.access_key,
                    aws_secret_access_key=credentials.secret_key,
                    region_name=aws.region,
                )
                yield EmulatedAccount(
                    emulator=aws,
                    account=Account(session, endpoint_url=f"http://{host}:{port}"),
                    requests=requests,
                )
            finally:
                server.stop()
    finally:
        werkzeug.removeHandler(handler)
        werkzeug.setLevel(level)
        werkzeug.propagate = propagate


class StandInRun(NamedTuple):
    """What ``verify_on_stand_in`` saw: the result, its trace, the HTTP requests, the deployer's
    calls and the clock (its sleeps)."""

    result: LiveResult
    trace: str
    requests: list[str]
    calls: list[str]
    clock: FakeClock


def verify_on_stand_in(
    pattern_id: str,
    assembly: CloudAssembly,
    *,
    context: Context = NO_CONTEXT,
    time_passes: bool = True,
    after: Callable[[EmulatedAccount], None] | None = None,
    serving_image: bool = False,
) -> StandInRun:
    """``refarch verify <id> --live --yes`` against a bootstrapped stand-in, with ``assembly``
    provisioned in place of ``cdk deploy``; a sleep lets time pass there unless ``time_passes``
    is False. ``after`` looks at the stand-in once the run (teardown included) is over.
    ``serving_image`` stocks the stand-in's SageMaker scikit-learn image (``stock_image``), which
    the run copies, downloading its layers with the stocked image's fake."""
    out = io.StringIO()
    with emulated_account() as stand_in:
        stand_in.bootstrap()
        if serving_image:
            stand_in.account.download = stock_image(stand_in.client("ecr")).download
        clock = FakeClock(stand_in if time_passes else None)
        deployer = EmulatorDeployer(assemblies={pattern_id: assembly})
        result = verify_live(
            pattern_id,
            account=stand_in.account,
            deployer=deployer,
            yes=True,
            out=out,
            sleep=clock.sleep,
            clock=clock,
            context=context,
        )
        requests = list(stand_in.requests)
        if after is not None:
            after(stand_in)
    return StandInRun(result, out.getvalue(), requests, deployer.calls, clock)
