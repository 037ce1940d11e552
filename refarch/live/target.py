"""The live target of a scenario: the stack ``cdk deploy`` created, with the caller's credentials.

Waits poll at the scenario's interval with the injected ``sleep`` (a test passes one that only
records).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from refarch.live.account import Account
from refarch.live.serving_image import copy_image
from refarch.scenarios.model_artifacts import PushedImage
from refarch.scenarios.serving.image import sklearn_image
from refarch.scenarios.target import Resource, Target
from refarch.trace import Trace


class LiveTarget(Target):
    """A deployed stack in an account (or an endpoint standing in for one)."""

    def __init__(
        self,
        *,
        pattern_id: str,
        stack_name: str,
        trace: Trace,
        run_id: str,
        resources: Mapping[str, Resource],
        account: Account,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            pattern_id=pattern_id,
            stack_name=stack_name,
            trace=trace,
            run_id=run_id,
            resources=resources,
            live=True,
        )
        self.account = account
        self._sleep = sleep
        self._clock = clock

    def client(self, service: str, *, config: Any = None) -> Any:
        """Return the caller's client for ``service`` in the run's region."""
        if config is not None:
            extra = {"endpoint_url": self.account.endpoint_url} if self.account.endpoint_url else {}
            return self.account.session.client(service, config=config, **extra)
        return self.account.client(service)

    def serving_image(self, repository: str, tag: str) -> PushedImage:
        """Copy SageMaker's scikit-learn inference image into ``repository`` as ``tag``.

        SageMaker must run the image (the artifact's ``code/inference.py`` in it); the stack's
        execution role pulls only from its own repository, hence the copy
        (``refarch.live.serving_image``). Blobs already there are not copied again.
        """
        source = sklearn_image(self.account.region)
        self.trace.line(
            f"copying SageMaker's scikit-learn image {source.name} to {repository}:{tag} "
            "(live only: SageMaker runs it; locally a stand-in is pushed)"
        )
        ecr = self.client("ecr")
        copied = copy_image(ecr, source, repository, tag, download=self.account.download)
        uri = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0][
            "repositoryUri"
        ]
        self.trace.line(
            f"… {len(copied.copied)} blobs copied ({copied.bytes_copied / 1e6:.1f} MB), "
            f"{len(copied.skipped)} already there: {uri}:{tag} ({copied.digest[:19]}…)",
            2,
        )
        return PushedImage(
            uri=f"{uri}:{tag}", digest=copied.digest, blobs=(*copied.copied, *copied.skipped)
        )

    def _client_with(self, credentials: Mapping[str, Any], service: str) -> Any:
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.account.region,
        )
        extra = {"endpoint_url": self.account.endpoint_url} if self.account.endpoint_url else {}
        return session.client(service, **extra)

    def _now(self) -> float:
        return self._clock()

    def _pass_time(self, seconds: float) -> None:
        self._sleep(seconds)
