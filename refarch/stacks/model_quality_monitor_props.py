"""What a deployer of the model-quality monitor may change; production-sane defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Duration
from constructs import Construct

from refarch.constructs.model_monitoring import HOURLY, MonitoringJobResources
from refarch.constructs.model_package_group import check_sagemaker_name

#: Context switches: ``cdk deploy -c endpoint_name=churn -c capture_bucket_name=...``.
CONTEXT_ENDPOINT_NAME = "endpoint_name"
CONTEXT_CAPTURE_BUCKET = "capture_bucket_name"
CONTEXT_CAPTURE_KEY = "capture_key_arn"
CONTEXT_MODEL_PACKAGE_GROUP = "model_package_group_name"
#: ``-c baseline_on_approval=false``: no approval rule, baselines on demand only.
CONTEXT_BASELINE_ON_APPROVAL = "baseline_on_approval"

#: The name ``approved-model-endpoint`` gives its endpoint by default, so the two stacks
#: deployed side by side need no switch.
DEFAULT_ENDPOINT_NAME = "approved-model-endpoint"
#: The start of the model package group name ``approved-model-endpoint`` gives its registry by
#: default (``<stack-in-kebab-case>-models-<8 hex digits>``): matched by prefix when no group
#: name is given.
DEFAULT_MODEL_PACKAGE_GROUP_PREFIX = "approved-model-endpoint-models-"
#: The features of the demo model (``refarch demo model-quality-monitor``).
DEMO_FEATURES = ("tenure_months", "monthly_charges", "support_calls", "plan", "discount")


@dataclass(frozen=True)
class ModelQualityMonitorProps:
    """The monitored endpoint, where its capture is, and when to alarm."""

    endpoint_name: str = DEFAULT_ENDPOINT_NAME
    """The endpoint whose captured requests are analysed (it must have data capture on)."""

    capture_bucket_name: str | None = None
    """The bucket the endpoint captures to (``approved-model-endpoint``'s
    ``DataCaptureLocation`` output). None: this stack creates one for the endpoint to use."""

    capture_prefix: str = "datacapture"
    """The capture ``DestinationS3Uri``'s key prefix, without slashes; SageMaker writes under
    ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/`` (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html)."""

    capture_key_arn: str | None = None
    """The KMS key the endpoint encrypts captured data with (its ``KmsKeyId``). None with
    ``capture_bucket_name`` None: this stack's key."""

    model_package_group_name: str | None = None
    """The Model Registry group whose approved versions are baselined (a baselining job
    starts on each approval). None: any group named like ``approved-model-endpoint``'s default
    (``approved-model-endpoint-models-*``)."""

    baseline_on_approval: bool = True
    """Start a baselining job when a version of the group is approved (False: on demand only)."""

    features: tuple[str, ...] = DEMO_FEATURES
    """The features alarmed on (one drift and one completeness alarm each)."""

    drift_threshold: float = 0.1
    """Alarm when a feature's drift distance is above this (the default
    ``comparison_threshold`` of the suggested constraints)."""

    min_completeness: float = 0.9
    """Alarm when fewer than this share of the captured requests carry a feature."""

    schedule_expression: str = HOURLY
    resources: MonitoringJobResources = field(default_factory=MonitoringJobResources)

    consecutive_runs_for_retraining: int = 3
    """Put the retraining event when this many executions in a row found violations
    (0: no retraining hook)."""

    report_expiration: Duration = Duration.days(400)
    """Reports and statistics are deleted this long after they are written (a year of hourly
    history, and the month after it to compare with)."""

    alarm_email: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.drift_threshold <= 1 or not 0 < self.min_completeness <= 1:
            raise ValueError("drift_threshold and min_completeness are shares in (0, 1]")
        if self.consecutive_runs_for_retraining < 0:
            raise ValueError("consecutive_runs_for_retraining must be 0 (off) or more")
        if self.model_package_group_name is not None:
            check_sagemaker_name(self.model_package_group_name, "model_package_group_name")
        if self.capture_key_arn and not self.capture_bucket_name:
            raise ValueError("capture_key_arn goes with capture_bucket_name")

    @classmethod
    def from_context(cls, scope: Construct) -> ModelQualityMonitorProps:
        """The props given as ``-c`` switches; defaults for the others."""
        node = scope.node

        def get(key: str) -> str | None:
            value = node.try_get_context(key)
            return None if value in (None, "") else str(value)

        return cls(
            endpoint_name=get(CONTEXT_ENDPOINT_NAME) or DEFAULT_ENDPOINT_NAME,
            capture_bucket_name=get(CONTEXT_CAPTURE_BUCKET),
            capture_key_arn=get(CONTEXT_CAPTURE_KEY),
            model_package_group_name=get(CONTEXT_MODEL_PACKAGE_GROUP),
            baseline_on_approval=(get(CONTEXT_BASELINE_ON_APPROVAL) or "true").lower() != "false",
        )
