"""The account a live run works in: the caller's boto3 session, and where its requests go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from refarch.live.serving_image import Download, open_url


@dataclass
class Account:
    """The caller's credentials and region; ``endpoint_url`` for a stand-in (tests only).

    Without ``endpoint_url``, boto3 also honours ``AWS_ENDPOINT_URL`` itself
    (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
    """

    session: boto3.Session
    endpoint_url: str | None = None
    download: Download = open_url
    """How a pre-signed URL (an ECR layer's) is downloaded; a stand-in's fake in tests."""

    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def region(self) -> str:
        """The session's region (a live run refuses to start without one)."""
        return self.session.region_name or ""

    def client(self, service: str) -> Any:
        """Return a client for ``service`` (created once)."""
        if service not in self._clients:
            extra = {"endpoint_url": self.endpoint_url} if self.endpoint_url else {}
            self._clients[service] = self.session.client(service, **extra)
        return self._clients[service]

    def account_id(self) -> str:
        """The caller's account (``sts:GetCallerIdentity``, which needs no permission)."""
        return str(self.client("sts").get_caller_identity()["Account"])
