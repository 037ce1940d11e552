"""What a deployer may change in the staged-promotion pattern, checked at synthesis.

The production endpoint's settings are ``approved-model-endpoint``'s
(``ApprovedModelEndpointProps``: instance type and count, rollout, rollback alarms,
autoscaling); the rest says how the version is tested on staging and how long a promotion may
wait for a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Duration
from constructs import Construct

from refarch.stacks.approved_model_endpoint_props import (
    MAX_ENDPOINT_NAME_LENGTH,
    ApprovedModelEndpointProps,
)

CONTEXT_MAX_ERROR_RATE = "max_error_rate"
CONTEXT_MAX_P99_LATENCY_MS = "max_p99_latency_ms"
CONTEXT_MIN_ACCURACY = "min_accuracy"
CONTEXT_APPROVAL_TIMEOUT_HOURS = "approval_timeout_hours"
CONTEXT_APPROVER_EMAIL = "approver_email"

#: A Task state's TimeoutSeconds is at most 99999999 s; a Standard workflow's execution lasts at
#: most one year (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
#: An approval left that long is no approval: a week is the longest offered.
MAX_APPROVAL_TIMEOUT = Duration.days(7)


class StagedModelPromotionPropsError(ValueError):
    """A prop out of range, named with the reason."""


@dataclass(frozen=True)
class StagedModelPromotionProps:
    """Staging, the test gate, the approval, and production (``production``)."""

    production: ApprovedModelEndpointProps = field(default_factory=ApprovedModelEndpointProps)
    """The production endpoint: ``approved-model-endpoint``'s props (blue/green canary with
    auto-rollback by default)."""

    staging_endpoint_name: str | None = None
    """@default - the production endpoint's name with ``-staging``."""

    staging_instance_type: str = "ml.m5.large"
    """One instance of this type serves the staging endpoint (all-at-once updates: no traffic
    is at stake there)."""

    test_set_key: str = "test-sets/test.csv"
    """The labelled test set in the test bucket: ``label,features...`` rows (see the guide)."""

    max_error_rate: float = 0.01
    """Share of test requests that may fail (a model error, an unusable answer)."""

    max_p99_latency_ms: float = 200.0
    """p99 of the gate's request latency, in ms, as a client sees it."""

    min_accuracy: float = 0.9
    """Share of answered test examples the model must classify right."""

    min_examples: int = 20
    """Fewer usable rows than this and the test set cannot judge: the gate fails."""

    max_examples: int = 1000
    """At most this many rows are sent (the gate's run time is bounded by its timeout)."""

    approval_timeout: Duration = Duration.days(2)
    """How long a promotion waits for a person before it expires."""

    approver_email: str | None = None
    """Subscribed to the approval topic (must confirm the subscription e-mail)."""

    endpoint_poll_interval: Duration = Duration.minutes(1)
    """How often the state machine asks whether an endpoint is in service."""

    max_endpoint_polls: int = 60
    """Polls before an endpoint that is not in service fails the promotion (bounded waiting)."""

    def __post_init__(self) -> None:
        checks = [
            (0 <= self.max_error_rate <= 1, "max_error_rate must be in [0, 1]"),
            (0 <= self.min_accuracy <= 1, "min_accuracy must be in [0, 1]"),
            (1 <= self.max_p99_latency_ms <= 60_000, "max_p99_latency_ms must be 1..60000"),
            (1 <= self.min_examples <= self.max_examples, "min_examples must be 1..max_examples"),
            (self.max_examples <= 100_000, "max_examples must be at most 100000"),
            (1 <= self.max_endpoint_polls <= 1000, "max_endpoint_polls must be 1..1000"),
            (
                Duration.minutes(1).to_seconds()
                <= self.approval_timeout.to_seconds()
                <= MAX_APPROVAL_TIMEOUT.to_seconds(),
                "approval_timeout must be between a minute and 7 days",
            ),
            (
                self.staging_endpoint_name is None
                or len(self.staging_endpoint_name) <= MAX_ENDPOINT_NAME_LENGTH,
                f"staging_endpoint_name must be at most {MAX_ENDPOINT_NAME_LENGTH} characters",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise StagedModelPromotionPropsError(message)

    @classmethod
    def from_context(cls, scope: Construct) -> StagedModelPromotionProps:
        """Read ``-c max_error_rate=0.02 -c approval_timeout_hours=24 ...`` over the defaults."""
        node = scope.node
        values: dict[str, object] = {}
        for key in (CONTEXT_MAX_ERROR_RATE, CONTEXT_MAX_P99_LATENCY_MS, CONTEXT_MIN_ACCURACY):
            raw = node.try_get_context(key)
            if raw is not None:
                values[key] = float(raw)
        hours = node.try_get_context(CONTEXT_APPROVAL_TIMEOUT_HOURS)
        if hours is not None:
            values["approval_timeout"] = Duration.hours(int(hours))
        email = node.try_get_context(CONTEXT_APPROVER_EMAIL)
        if email:
            values["approver_email"] = str(email)
        return cls(production=ApprovedModelEndpointProps.from_context(scope), **values)
