"""The deployer's configuration, read from the environment the stack sets, with clear errors.

Required: ``MODEL_PACKAGE_GROUP_NAME``, ``ENDPOINT_NAME``, ``EXECUTION_ROLE_ARN``, and either
``INSTANCE_TYPE`` or both ``SERVERLESS_MEMORY_MB`` and ``SERVERLESS_MAX_CONCURRENCY`` (which,
when both are set, make the variant serverless). Optional, with defaults: ``VARIANT_NAME``
(``AllTraffic``), ``INITIAL_INSTANCE_COUNT`` (1), ``KMS_KEY_ARN``, ``DATA_CAPTURE_S3_URI`` and
``DATA_CAPTURE_SAMPLING_PERCENT`` (100), ``ROLLOUT`` (``canary``), ``TRAFFIC_STEP_PERCENT`` (10),
``WAIT_INTERVAL_SECONDS`` (600), ``ROLLBACK_ALARM_NAMES`` (comma-separated), the three
``AUTOSCALING_*`` variables (all or none), and ``DEPLOY_TARGET`` (``latest-approved``: follow
the registry; ``requested``: deploy only the versions a promotion state machine requests).

The module is named for the function it configures because every handler's modules share one
import path in the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from endpoint_spec import (
    MAX_ENDPOINT_NAME_LENGTH,
    NAME_PATTERN,
    DataCapture,
    InstanceCompute,
    ServerlessCompute,
)
from rollout import Rollout
from variant_autoscaling import Autoscaling

_T = TypeVar("_T")

_AUTOSCALING_VARIABLES = (
    "AUTOSCALING_MIN_CAPACITY",
    "AUTOSCALING_MAX_CAPACITY",
    "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE",
)
_SERVERLESS_VARIABLES = ("SERVERLESS_MEMORY_MB", "SERVERLESS_MAX_CONCURRENCY")


class SettingsError(ValueError):
    """The environment does not describe a deployable configuration.

    A stack bug, which no retry fixes: the event ends in the DLQ with this message.
    """


@dataclass(frozen=True)
class Settings:
    """Everything the deployer needs to know about its group, endpoint and rollout."""

    group_name: str
    """The only model package group this deployer reconciles."""

    endpoint_name: str
    """The endpoint it owns (created by the deployer, not by CloudFormation)."""

    execution_role_arn: str
    """The SageMaker execution role given to CreateModel: the only role it may pass."""

    compute: InstanceCompute | ServerlessCompute
    """Instances or serverless."""

    variant_name: str = "AllTraffic"
    """The production variant's name, stable across updates."""

    kms_key_arn: str | None = None
    """Key for the hosting volumes and the captured data."""

    data_capture: DataCapture | None = None
    """Request/response capture, or None."""

    rollout: Rollout = field(default_factory=Rollout)
    """How updates shift traffic and which alarms roll them back."""

    autoscaling: Autoscaling | None = None
    """Target tracking bounds, or None (no autoscaling)."""

    deploy_target: str = "latest-approved"
    """``latest-approved`` (follow the registry) or ``requested`` (only what a state machine
    asks for: see ``deploy_request``)."""

    @property
    def serverless(self) -> bool:
        """True when the variant is serverless."""
        return isinstance(self.compute, ServerlessCompute)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read the settings.

        Raises:
            SettingsError: A required variable is missing, or a value is out of range (the
                message names the variable).
        """
        try:
            return cls._read(environ)
        except SettingsError:
            raise
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc

    @classmethod
    def _read(cls, environ: Mapping[str, str]) -> Settings:
        endpoint_name = _required(environ, "ENDPOINT_NAME")
        if len(endpoint_name) > MAX_ENDPOINT_NAME_LENGTH or not NAME_PATTERN.fullmatch(
            endpoint_name
        ):
            raise SettingsError(
                f"ENDPOINT_NAME must match {NAME_PATTERN.pattern} and be at most "
                f"{MAX_ENDPOINT_NAME_LENGTH} characters (models and configurations append "
                f"-v<version>-<suffix>): {endpoint_name!r}"
            )
        return cls(
            group_name=_required(environ, "MODEL_PACKAGE_GROUP_NAME"),
            endpoint_name=endpoint_name,
            execution_role_arn=_required(environ, "EXECUTION_ROLE_ARN"),
            compute=_compute(environ),
            variant_name=_optional(environ, "VARIANT_NAME") or "AllTraffic",
            kms_key_arn=_optional(environ, "KMS_KEY_ARN"),
            data_capture=_data_capture(environ),
            rollout=Rollout(
                mode=_optional(environ, "ROLLOUT") or Rollout.mode,
                step_percent=_number(environ, "TRAFFIC_STEP_PERCENT", int, Rollout.step_percent),
                wait_seconds=_number(environ, "WAIT_INTERVAL_SECONDS", int, Rollout.wait_seconds),
                alarm_names=tuple(
                    name.strip()
                    for name in (_optional(environ, "ROLLBACK_ALARM_NAMES") or "").split(",")
                    if name.strip()
                ),
            ),
            autoscaling=_autoscaling(environ),
            deploy_target=_deploy_target(environ),
        )


DEPLOY_TARGETS = ("latest-approved", "requested")


def _deploy_target(environ: Mapping[str, str]) -> str:
    value = _optional(environ, "DEPLOY_TARGET") or DEPLOY_TARGETS[0]
    if value not in DEPLOY_TARGETS:
        raise SettingsError(f"DEPLOY_TARGET must be one of {', '.join(DEPLOY_TARGETS)}: {value!r}")
    return value


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _required(environ: Mapping[str, str], name: str) -> str:
    value = _optional(environ, name)
    if value is None:
        raise SettingsError(f"{name} is not set")
    return value


def _number(
    environ: Mapping[str, str], name: str, kind: Callable[[str], _T], default: _T | None = None
) -> _T:
    value = _optional(environ, name)
    if value is None:
        if default is None:
            raise SettingsError(f"{name} is not set")
        return default
    try:
        return kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number: {value!r}") from None


def _compute(environ: Mapping[str, str]) -> InstanceCompute | ServerlessCompute:
    given = [name for name in _SERVERLESS_VARIABLES if _optional(environ, name)]
    if len(given) == len(_SERVERLESS_VARIABLES):
        return ServerlessCompute(
            memory_size_mb=_number(environ, "SERVERLESS_MEMORY_MB", int),
            max_concurrency=_number(environ, "SERVERLESS_MAX_CONCURRENCY", int),
        )
    if given:
        raise SettingsError(
            f"a serverless variant needs both {' and '.join(_SERVERLESS_VARIABLES)}; only "
            f"{given[0]} is set"
        )
    instance_type = _optional(environ, "INSTANCE_TYPE")
    if instance_type is None:
        raise SettingsError(
            "INSTANCE_TYPE is not set (or set SERVERLESS_MEMORY_MB and "
            "SERVERLESS_MAX_CONCURRENCY for a serverless variant)"
        )
    return InstanceCompute(
        instance_type=instance_type,
        initial_instance_count=_number(environ, "INITIAL_INSTANCE_COUNT", int, 1),
    )


def _data_capture(environ: Mapping[str, str]) -> DataCapture | None:
    uri = _optional(environ, "DATA_CAPTURE_S3_URI")
    if uri is None:
        return None
    return DataCapture(
        destination_s3_uri=uri,
        sampling_percent=_number(environ, "DATA_CAPTURE_SAMPLING_PERCENT", int, 100),
    )


def _autoscaling(environ: Mapping[str, str]) -> Autoscaling | None:
    given = [name for name in _AUTOSCALING_VARIABLES if _optional(environ, name)]
    if not given:
        return None
    if len(given) != len(_AUTOSCALING_VARIABLES):
        missing = [name for name in _AUTOSCALING_VARIABLES if name not in given]
        raise SettingsError(f"autoscaling needs all of its variables; missing {', '.join(missing)}")
    return Autoscaling(
        min_capacity=_number(environ, "AUTOSCALING_MIN_CAPACITY", int),
        max_capacity=_number(environ, "AUTOSCALING_MAX_CAPACITY", int),
        target_invocations_per_instance=_number(
            environ, "AUTOSCALING_TARGET_INVOCATIONS_PER_INSTANCE", float
        ),
    )
