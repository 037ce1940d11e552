"""Application Auto Scaling of SageMaker endpoint variants, where moto 5.2.5 differs from AWS.

``moto_patches`` installs these on ``ApplicationAutoScalingResponse`` inside the emulator only.

1. ``RegisterScalableTarget`` of a SageMaker variant (``endpoint/<name>/variant/<variant>``)
   that does not exist: moto registers it; AWS validates the resource and answers
   ``ValidationException``. The endpoint must exist and have that variant.
2. Permissions validation: "Application Auto Scaling validates permissions for requests
   associated with both the target service and CloudWatch before proceeding with the request"
   (Application Auto Scaling user guide, "Permissions validation for API calls on target
   resources"): the caller must itself be allowed to do what scaling will do. For a SageMaker
   variant, ``RegisterScalableTarget`` checks ``sagemaker:DescribeEndpoint`` and
   ``sagemaker:UpdateEndpointWeightsAndCapacities`` on the endpoint; ``PutScalingPolicy`` checks
   ``cloudwatch:DescribeAlarms``, ``cloudwatch:PutMetricAlarm`` and ``cloudwatch:DeleteAlarms``
   (target tracking creates and deletes its alarms), with requests that name no alarm ("We call
   the PutMetricAlarm API without any parameters", https://docs.aws.amazon.com/autoscaling/
   application/userguide/security_iam_permission_validation.html), so on ``*``. A missing
   permission fails the request with ``ValidationException`` naming it (and the denial is
   recorded like any other). moto checks none of it.
3. The service-linked role: the first registration of a SageMaker variant in an account creates
   ``AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`` (trusted by
   ``sagemaker.application-autoscaling.amazonaws.com``), which needs the caller's
   ``iam:CreateServiceLinkedRole`` on it with ``iam:AWSServiceName`` set to that service; the
   target's ``RoleARN`` is that role. moto creates no role (and its own
   ``CreateServiceLinkedRole`` would name this one ``..._Sagemaker``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import AccessDeniedError
from moto.iam.models import iam_backends
from moto.sagemaker.models import sagemaker_backends
from moto.utilities.utils import get_partition

from refarch.local.moto_resources import authorize_caller

SAGEMAKER_NAMESPACE = "sagemaker"
VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
#: The service-linked role of SageMaker endpoint scaling, and the service it is linked to.
LINKED_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
LINKED_ROLE = "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
#: What the caller must be allowed, checked before a SageMaker variant is registered (2).
REGISTER_CHECKS = ("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities")
#: What the caller must be allowed, checked before a scaling policy is put (2).
POLICY_CHECKS = (
    "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
)


def linked_role_arn(account_id: str, partition: str = "aws") -> str:
    """The ARN of the service-linked role Application Auto Scaling uses for SageMaker."""
    return f"arn:{partition}:iam::{account_id}:role/aws-service-role/{LINKED_SERVICE}/{LINKED_ROLE}"


def _variant(response: ApplicationAutoScalingResponse) -> tuple[str, str] | None:
    """``(endpoint, variant)`` of a request about a SageMaker variant, else None."""
    if response._get_param("ServiceNamespace") != SAGEMAKER_NAMESPACE:
        return None
    parts = str(response._get_param("ResourceId") or "").split("/")
    if len(parts) != 4 or parts[0] != "endpoint" or parts[2] != "variant":
        return None
    return parts[1], parts[3]


def _check_caller(
    response: ApplicationAutoScalingResponse,
    actions: tuple[str, ...],
    resource: str,
    context: dict[str, str] | None = None,
) -> None:
    """Fix 2: each action must be allowed to the caller, or the request fails naming it."""
    missing = []
    for action in actions:
        try:
            authorize_caller(response, action, resource, context)
        except AccessDeniedError:
            missing.append(action)
    if missing:
        raise AWSValidationException(
            f"The caller is not authorized to perform {', '.join(missing)} on {resource}: "
            "Application Auto Scaling validates the caller's permissions on the target resource"
        )


def _ensure_linked_role(response: ApplicationAutoScalingResponse) -> str:
    """Fix 3: create the service-linked role as the caller, the first time; return its ARN."""
    partition = get_partition(response.region)
    iam = iam_backends[response.current_account][partition]
    arn = linked_role_arn(response.current_account, partition)
    if any(role.name == LINKED_ROLE for role in iam.get_roles()):
        return arn
    _check_caller(
        response, ("iam:CreateServiceLinkedRole",), arn, {"iam:AWSServiceName": LINKED_SERVICE}
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": LINKED_SERVICE},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        LINKED_ROLE,
        json.dumps(trust),
        f"/aws-service-role/{LINKED_SERVICE}/",
        permissions_boundary=None,
        description="Application Auto Scaling of SageMaker endpoint variants",
        tags=[],
        max_session_duration="3600",
        linked_service=LINKED_SERVICE,
    )
    return arn


def register_scalable_target(original: Callable[..., Any]) -> Callable[..., Any]:
    """Fixes 1 to 3 around ``RegisterScalableTarget``."""

    def register(self: ApplicationAutoScalingResponse) -> Any:
        variant = _variant(self)
        if variant is None:
            return original(self)
        endpoint_name, variant_name = variant
        endpoint = sagemaker_backends[self.current_account][self.region].endpoints.get(
            endpoint_name
        )
        names = [v.get("VariantName") for v in endpoint.production_variants] if endpoint else []
        if variant_name not in names:
            raise AWSValidationException(
                f"The variant {variant_name} of endpoint {endpoint_name} does not exist"
            )
        _check_caller(self, REGISTER_CHECKS, str(endpoint.arn))
        role = _ensure_linked_role(self)
        answer = original(self)
        backend = applicationautoscaling_backends[self.current_account][self.region]
        target = backend.targets[self._get_param("ScalableDimension")][
            self._get_param("ResourceId")
        ]
        if not target.role_arn:
            target.role_arn = role
        return answer

    return register


def put_scaling_policy(original: Callable[..., Any]) -> Callable[..., Any]:
    """Fix 2 around ``PutScalingPolicy`` of a SageMaker variant."""

    def put(self: ApplicationAutoScalingResponse) -> Any:
        if _variant(self) is not None:
            _check_caller(self, POLICY_CHECKS, "*")
        return original(self)

    return put
