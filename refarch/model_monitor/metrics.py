"""The CloudWatch metrics the data-quality container publishes for a real-time endpoint.

With ``emit_metrics`` enabled in the constraints, per feature: ``feature_data_<name>`` (numeric
features: SampleCount, Sum, Minimum, Maximum), ``feature_non_null_<name>`` (completeness) and
``feature_baseline_drift_<name>`` (the drift distance), in the ``/aws/sagemaker/Endpoints/
data-metric`` namespace with ``EndpointName`` and ``ScheduleName`` dimensions
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html).
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "/aws/sagemaker/Endpoints/data-metric"


def drift_metric(feature: str) -> str:
    """The drift metric's name of a feature."""
    return f"feature_baseline_drift_{feature}"


def completeness_metric(feature: str) -> str:
    """The completeness metric's name of a feature."""
    return f"feature_non_null_{feature}"


def dimensions(endpoint: str, schedule: str) -> list[dict[str, str]]:
    """The dimensions of every metric of a schedule."""
    return [
        {"Name": "EndpointName", "Value": endpoint},
        {"Name": "ScheduleName", "Value": schedule},
    ]


def metric_data(
    analysis: Any, constraints: dict[str, Any], endpoint: str, schedule: str
) -> list[dict[str, Any]]:
    """The ``PutMetricData`` entries of one execution (none if metrics are disabled)."""
    if constraints.get("monitoring_config", {}).get("emit_metrics", "Enabled") != "Enabled":
        return []
    dims = dimensions(endpoint, schedule)
    data: list[dict[str, Any]] = []
    for name, share in sorted(analysis.completeness.items()):
        data.append({"MetricName": completeness_metric(name), "Dimensions": dims, "Value": share})
        feature = analysis.window.features.get(name)
        if feature is not None and feature.n:
            data.append(
                {
                    "MetricName": f"feature_data_{name}",
                    "Dimensions": dims,
                    "StatisticValues": {
                        "SampleCount": feature.n,
                        "Sum": feature.total,
                        "Minimum": feature.low,
                        "Maximum": feature.high,
                    },
                }
            )
    for name, distance in sorted(analysis.distances.items()):
        data.append({"MetricName": drift_metric(name), "Dimensions": dims, "Value": distance})
    return data
