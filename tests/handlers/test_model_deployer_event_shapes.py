"""Property-based: an EventBridge event of any shape ends in the deployer's documented outcome.

Events are drawn around the two SageMaker events the deployer handles ("Events that Amazon
SageMaker AI sends to Amazon EventBridge",
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
``SageMaker Model Package State Change`` and ``SageMaker Endpoint State Change``, with every
envelope and detail field valid, absent or an arbitrary JSON value; other detail-types and
sources; details that are not objects; and values that are not events at all.

The outcome is predicted by ``expected_outcome``, written from the documented rules
(``sagemaker_event`` and the guide's "What the handler does with bad input"), not from the code:

- not an object, or ``detail-type``/``source`` not strings: ``MalformedEventError``
  (counted as ``EventsMalformed``; Lambda retries, then the DLQ keeps the event);
- another source or detail-type: ``ignored``, with the reason logged;
- one of the two types with a detail that is not an object, or without a non-empty string
  ``ModelPackageGroupName`` (package) / ``EndpointName`` and ``EndpointStatus`` (endpoint):
  ``MalformedEventError``;
- any other field wrongly typed (version, status, ARN of a package event) is read as absent.

Never a TypeError, KeyError or AttributeError.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from model_deployer_harness import ACCOUNT, ENDPOINT, GROUP, OTHER_GROUP, REGION, ModelDeployer
from sagemaker_event import (
    ENDPOINT_STATE_CHANGE,
    MODEL_PACKAGE_STATE_CHANGE,
    EndpointStateChange,
    MalformedEventError,
    ModelPackageStateChange,
    OtherEvent,
    parse_event,
)

ABSENT = object()
MALFORMED = "malformed"
IGNORED = "ignored"
RECONCILED = "reconciled"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def field_or(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: valid (twice as likely), any JSON value, or absent."""
    return st.one_of(valid, valid, json_values, st.just(ABSENT))


def without_absent(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not ABSENT}


PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1"
package_details = st.fixed_dictionaries(
    {
        "ModelPackageGroupName": field_or(st.sampled_from([GROUP, OTHER_GROUP, ""])),
        "ModelPackageVersion": field_or(st.integers(1, 3)),
        "ModelPackageArn": field_or(st.just(PACKAGE_ARN)),
        "ModelApprovalStatus": field_or(
            st.sampled_from(["Approved", "Rejected", "PendingManualApproval"])
        ),
    }
).map(without_absent)
endpoint_details = st.fixed_dictionaries(
    {
        "EndpointName": field_or(st.sampled_from([ENDPOINT, "another-endpoint", ""])),
        "EndpointStatus": field_or(
            st.sampled_from(["IN_SERVICE", "InService", "UPDATING", "FAILED", "ROLLING_BACK", ""])
        ),
        "EndpointConfigName": field_or(st.just(f"{ENDPOINT}-config")),
    }
).map(without_absent)
detail_types = st.one_of(
    st.sampled_from([MODEL_PACKAGE_STATE_CHANGE, ENDPOINT_STATE_CHANGE]),
    st.just("SageMaker Training Job State Change"),
    json_values,
    st.just(ABSENT),
)


@st.composite
def eventbridge_events(draw: st.DrawFn) -> Any:
    """An EventBridge event around the two SageMaker types, or something else entirely."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    detail_type = draw(detail_types)
    if detail_type == MODEL_PACKAGE_STATE_CHANGE:
        detail = draw(st.one_of(package_details, package_details, json_values, st.just(ABSENT)))
    elif detail_type == ENDPOINT_STATE_CHANGE:
        detail = draw(st.one_of(endpoint_details, endpoint_details, json_values, st.just(ABSENT)))
    else:
        detail = draw(st.one_of(package_details, endpoint_details, json_values, st.just(ABSENT)))
    envelope = {
        "version": draw(field_or(st.just("0"))),
        "id": draw(field_or(st.just("7bf73129-1428-4cd3-a780-95db273d1602"))),
        "detail-type": detail_type,
        "source": draw(field_or(st.sampled_from(["aws.sagemaker", "aws.sagemaker", "aws.s3"]))),
        "account": draw(field_or(st.just(ACCOUNT))),
        "time": draw(field_or(st.just("2026-05-01T10:00:00Z"))),
        "region": draw(field_or(st.just(REGION))),
        "resources": draw(field_or(st.just([PACKAGE_ARN]))),
        "detail": detail,
    }
    return without_absent(envelope)


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def expected_outcome(event: Any) -> str:
    """The documented outcome of an event on an empty registry with no endpoint yet.

    ``reconciled``: the deployer reads the registry (finding no approved version). ``ignored``:
    nothing to do, reason logged. ``malformed``: ``MalformedEventError``.
    """
    if not isinstance(event, dict):
        return MALFORMED
    detail_type, source = event.get("detail-type"), event.get("source")
    if not isinstance(detail_type, str) or not isinstance(source, str):
        return MALFORMED
    if source != "aws.sagemaker" or detail_type not in (
        MODEL_PACKAGE_STATE_CHANGE,
        ENDPOINT_STATE_CHANGE,
    ):
        return IGNORED
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return MALFORMED
    if detail_type == MODEL_PACKAGE_STATE_CHANGE:
        group = detail.get("ModelPackageGroupName")
        if not _non_empty_string(group):
            return MALFORMED
        if group != GROUP or detail.get("ModelApprovalStatus") == "PendingManualApproval":
            return IGNORED
        return RECONCILED
    name, status = detail.get("EndpointName"), detail.get("EndpointStatus")
    if not _non_empty_string(name) or not _non_empty_string(status):
        return MALFORMED
    if name != ENDPOINT or status.replace("_", "").lower() != "inservice":
        return IGNORED
    return RECONCILED


def _parsed_kind(parsed: Any, event: dict[str, Any]) -> str:
    """Check a parse result's fields against the event; return the expected-outcome family."""
    if isinstance(parsed, OtherEvent):
        assert (parsed.detail_type, parsed.source) == (event["detail-type"], event["source"])
        return IGNORED
    detail = event["detail"]
    if isinstance(parsed, ModelPackageStateChange):
        assert parsed.group_name == detail["ModelPackageGroupName"]
        version = detail.get("ModelPackageVersion")
        assert parsed.version == (version if type(version) is int else None)
        status = detail.get("ModelApprovalStatus")
        assert parsed.approval_status == (status if type(status) is str else None)
        arn = detail.get("ModelPackageArn")
        assert parsed.package_arn == (arn if type(arn) is str else None)
        pending = parsed.approval_status == "PendingManualApproval"
        return IGNORED if parsed.group_name != GROUP or pending else RECONCILED
    assert isinstance(parsed, EndpointStateChange)
    assert parsed.endpoint_name == detail["EndpointName"]
    assert parsed.event_status == detail["EndpointStatus"]
    ours = parsed.endpoint_name == ENDPOINT and parsed.status == "InService"
    return RECONCILED if ours else IGNORED


@given(event=eventbridge_events())
@example(event={"detail-type": ENDPOINT_STATE_CHANGE, "source": "aws.sagemaker", "detail": []})
@example(event={"detail-type": ["x"], "source": "aws.sagemaker"})
@example(
    event={
        "detail-type": MODEL_PACKAGE_STATE_CHANGE,
        "source": "aws.sagemaker",
        "detail": {"ModelPackageGroupName": GROUP, "ModelPackageVersion": True},
    }
)
def test_parse_event_returns_a_documented_result_or_raises_malformed(event: Any):
    expected = expected_outcome(event)
    try:
        parsed = parse_event(event)
    except MalformedEventError as exc:
        assert expected == MALFORMED, (event, exc)
        return
    assert expected != MALFORMED, (event, parsed)
    assert _parsed_kind(parsed, event) == expected


# Each example invokes the handler on moto (a registry without approved versions, no endpoint):
# fewer examples than the pure property, which covers the shapes in depth.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=eventbridge_events())
def test_the_handler_ends_every_event_in_its_documented_outcome(
    model_deployer: ModelDeployer, event: Any
):
    model_deployer.log_stream.seek(0)
    model_deployer.log_stream.truncate()
    expected = expected_outcome(event)
    if expected == MALFORMED:
        with pytest.raises(MalformedEventError):
            model_deployer.invoke(event)
        (logged,) = [line for line in model_deployer.logs() if line["level"] == "ERROR"]
        assert logged["message"] == "malformed event" and logged["reason"]
        return
    outcome = model_deployer.invoke(event)
    if expected == IGNORED:
        assert outcome["action"] == "ignored", outcome
        (logged,) = [line for line in model_deployer.logs() if line["message"] == "ignored"]
        assert logged["reason"] == outcome["reason"] and outcome["reason"]
    else:
        assert outcome["action"] == "no_approved_version", outcome
    assert model_deployer.endpoint() is None


def _package(**detail: Any) -> dict[str, Any]:
    return {"detail-type": MODEL_PACKAGE_STATE_CHANGE, "source": "aws.sagemaker", "detail": detail}


def _endpoint(**detail: Any) -> dict[str, Any]:
    return {"detail-type": ENDPOINT_STATE_CHANGE, "source": "aws.sagemaker", "detail": detail}


# Named regression cases, one per class of shape; the properties above generate the rest.
@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param("SageMaker Endpoint State Change", MALFORMED, id="event-a-string"),
        pytest.param([_endpoint(EndpointName=ENDPOINT)], MALFORMED, id="event-a-list"),
        pytest.param({**_endpoint(), "detail-type": ["x"]}, MALFORMED, id="detail-type-a-list"),
        pytest.param({**_endpoint(), "source": None}, MALFORMED, id="source-null"),
        pytest.param({**_package(), "detail": [GROUP]}, MALFORMED, id="package-detail-a-list"),
        pytest.param({**_endpoint(), "detail": "IN_SERVICE"}, MALFORMED, id="endpoint-detail-text"),
        pytest.param(_package(ModelPackageGroupName=[GROUP]), MALFORMED, id="group-a-list"),
        pytest.param(_package(ModelPackageGroupName=""), MALFORMED, id="group-empty"),
        pytest.param(
            _endpoint(EndpointName={"n": ENDPOINT}, EndpointStatus="IN_SERVICE"),
            MALFORMED,
            id="endpoint-name-an-object",
        ),
        pytest.param(
            _endpoint(EndpointName=ENDPOINT, EndpointStatus=1),
            MALFORMED,
            id="endpoint-status-a-number",
        ),
        pytest.param(
            _package(
                ModelPackageGroupName=GROUP,
                ModelPackageVersion="1",
                ModelApprovalStatus=["Approved"],
                ModelPackageArn=7,
            ),
            RECONCILED,
            id="package-fields-wrongly-typed-read-as-absent",
        ),
        pytest.param(
            _package(ModelPackageGroupName=GROUP, ModelPackageVersion=True),
            RECONCILED,
            id="package-version-a-boolean",
        ),
        pytest.param(
            _endpoint(EndpointName=ENDPOINT, EndpointStatus="in_service"),
            RECONCILED,
            id="endpoint-status-any-case",
        ),
        pytest.param(
            {"detail-type": "SageMaker Training Job State Change", "source": "aws.sagemaker"},
            IGNORED,
            id="unknown-detail-type-without-detail",
        ),
        pytest.param({**_package(), "source": "aws.s3"}, IGNORED, id="another-source"),
    ],
)
def test_named_event_shapes(event: Any, expected: str):
    assert expected_outcome(event) == expected
    try:
        parsed = parse_event(event)
    except MalformedEventError:
        assert expected == MALFORMED
        return
    assert _parsed_kind(parsed, event) == expected
