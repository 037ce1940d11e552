"""approved-model-endpoint end to end locally: registry approvals → the deployer → the endpoint."""

import base64
import json

import pytest
from assemblies import synthesized
from botocore.exceptions import ClientError
from complete_runs import complete_run, complete_trace

from refarch.local import deploy, emulator
from refarch.local.identities import assume_role_as_service
from refarch.local.sources.sagemaker import event_status
from refarch.scenarios import approved_model_endpoint as scenario
from refarch.scenarios.model_artifacts import MODEL_FILE, tar_gz

PATTERN = "approved-model-endpoint"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo():
    # The pattern's complete run, shared with the IAM tests and the live module (complete_runs).
    return complete_run(PATTERN), complete_trace(PATTERN)


def test_demo_passes_under_the_deployers_role_with_iam_enforced(demo):
    result, trace = demo
    assert result.ok, trace
    assert result.denials == []
    assert result.lost == []
    # 11 checks on what AWS shows, 7 more on what only the emulator records.
    assert len(result.checks) == 18
    assert sum(c.name.startswith("locally") for c in result.checks) == 7
    assert "OK: approved-model-endpoint: 18/18 checks, 11 invocations" in trace


def test_demo_trace_follows_each_version_from_registration_to_what_the_endpoint_serves(demo):
    _, trace = demo
    steps = [
        "→ CreateModelPackage in approved-model-endpoint-models-",
        "no rule matched",
        "to Approved: offline AUC 0.81",
        "← returned created: endpoint created for version 1",
        "green fleet AllTraffic: 2 x ml.m5.xlarge as arn:aws:iam::123456789012:role/"
        "ApprovedModelEndpoint-ExecutionRole",
        "pulled 123456789012.dkr.ecr.us-east-1.amazonaws.com/approvedmodelendpoint-imagerepo",
        "container loaded model churn v1 with inference.py",
        "; autoscaling registered",
        "SageMaker says: approved-model-endpoint is InService, serving version 1",
        "(model v1, AllTraffic), captured to s3://",
        "to version 2 started (canary)",
        "SageMaker says: approved-model-endpoint is Updating, serving version 1",
        "shift canary 10 CAPACITY_PERCENT to the green fleet, bake 300 s watching 2 alarms",
        "blue fleet terminated",
        "serving version 2",
        "to Rejected: complaints from the retention team",
        "to version 1 started (canary)",
        "(the same state change)",
        "← noop: endpoint already serves version 1",
        "→ CreateModelPackage in fraud-models",
        "supports real-time inference on ml.g5.xlarge, not ml.m5.xlarge",
        "→ after 3 attempts Lambda sent the event to the DLQ",
    ]
    position = 0
    for step in steps:
        found = trace.find(step, position)
        assert found >= 0, f"{step!r} missing (or out of order) after position {position}"
        position = found


def _serving(stack):
    """(status, version) the endpoint serves, as the scenario reads it from SageMaker."""
    now = scenario.serving(stack.emulator.client("sagemaker"), stack.output("EndpointName"))
    return now.state if now else None


def _approved_version(aws, stack, number=1, *, model_data_url=None, repository=None):
    """Push, upload, register and approve version ``number``; return it."""
    sm = aws.sagemaker
    image = sm.push_image(repository or stack.physical_id(scenario.REPOSITORY), f"1.{number}.0")
    url = model_data_url or sm.upload_model(
        f"{stack.output('ArtifactsLocation')}churn/v{number}/model.tar.gz",
        scenario.MODELS[number],
    )
    group = stack.output("ModelPackageGroupName")
    version = sm.register(group, image=image, model_data_url=url, description=f"v{number}")
    approval = sm.review(version.arn, "Approved", "looks good")
    return version, approval


@pytest.fixture(scope="module")
def first_version(approved_model_endpoint):
    """Version 1 registered, approved and in service, five requests served."""
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=approved_model_endpoint)
        version, approval = _approved_version(aws, stack)
        (deployment,) = aws.sagemaker.complete_deployments()
        predictions = [
            aws.sagemaker.invoke(stack.output("EndpointName"), scenario.REQUEST) for _ in range(5)
        ]
        (captured,) = [p.captured_key for p in predictions if p.captured_key]
        bucket, key = captured.removeprefix("s3://").split("/", 1)
        s3 = aws.client("s3")
        head = s3.head_object(Bucket=bucket, Key=key)
        record = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return {
            "version": version,
            "approval": approval,
            "deployment": deployment,
            "predictions": predictions,
            "head": head,
            "record": record,
            "key": key,
            "key_arn": stack.resource(scenario.KEY).attributes["Arn"],
            "endpoint": stack.output("EndpointName"),
            "denials": list(aws.denials),
        }


def test_registration_and_approval_events_have_the_documented_shape(first_version):
    registered = first_version["version"].event.event
    approved = first_version["approval"].event
    arn = first_version["version"].arn
    for event in (registered, approved):
        assert event["source"] == "aws.sagemaker"
        assert event["detail-type"] == "SageMaker Model Package State Change"
        assert event["resources"] == [arn]
        detail = event["detail"]
        assert detail["ModelPackageArn"] == arn
        assert detail["ModelPackageVersion"] == 1
        assert detail["ModelPackageStatus"] == "Completed"
        assert detail["CreationTime"].endswith("Z")
        (container,) = detail["InferenceSpecification"]["Containers"]
        assert container["ImageDigest"].startswith("sha256:")
        assert "/models/churn/v1/model.tar.gz" in container["ModelDataUrl"]
    assert registered["detail"]["ModelApprovalStatus"] == "PendingManualApproval"
    assert "UpdatedModelPackageFields" not in registered["detail"]
    assert approved["detail"]["ModelApprovalStatus"] == "Approved"
    assert approved["detail"]["UpdatedModelPackageFields"] == [
        "ModelApprovalStatus",
        "ApprovalDescription",
    ]
    # Only the approval matches the rule (Approved or Rejected, this group).
    assert not first_version["version"].event.deliveries
    assert [d.delivered for d in first_version["approval"].deliveries] == [True]


def test_the_endpoint_state_changes_are_documented_events_and_only_in_service_reaches_the_deployer(
    first_version,
):
    creating, in_service = first_version["deployment"].events
    assert [e.event["detail"]["EndpointStatus"] for e in (creating, in_service)] == [
        "CREATING",
        "IN_SERVICE",
    ]
    detail = in_service.event["detail"]
    assert detail["EndpointName"] == first_version["endpoint"]
    assert detail["EndpointArn"].endswith(f":endpoint/{first_version['endpoint']}")
    assert detail["EndpointConfigName"].startswith(f"{first_version['endpoint']}-v1-")
    assert detail["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    assert isinstance(detail["CreationTime"], float)
    assert not creating.deliveries
    assert [d.delivered for d in in_service.deliveries] == [True]


@pytest.mark.parametrize(
    ("status", "spelled"),
    [("InService", "IN_SERVICE"), ("UpdateRollbackFailed", "UPDATE_ROLLBACK_FAILED")],
)
def test_endpoint_statuses_are_spelled_as_events_spell_them(status, spelled):
    assert event_status(status) == spelled


def test_captured_data_is_the_request_and_response_encrypted_with_the_endpoint_key(first_version):
    record = first_version["record"]
    captured = record["captureData"]
    assert base64.b64decode(captured["endpointInput"]["data"]).decode() == scenario.REQUEST
    assert captured["endpointInput"]["mode"] == "INPUT"
    assert captured["endpointInput"]["encoding"] == "BASE64"
    answer = first_version["predictions"][-1].body
    assert base64.b64decode(captured["endpointOutput"]["data"]).decode() == answer
    assert record["eventVersion"] == "0"
    assert record["eventMetadata"]["eventId"]
    assert first_version["head"]["ServerSideEncryption"] == "aws:kms"
    assert first_version["head"]["SSEKMSKeyId"] == first_version["key_arn"]
    assert first_version["key"].startswith(f"datacapture/{first_version['endpoint']}/AllTraffic/")
    assert first_version["denials"] == []


def test_a_model_outside_the_artifacts_prefix_fails_the_endpoint_and_alarms(
    approved_model_endpoint,
):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=approved_model_endpoint)
        bucket = stack.output("ArtifactsBucketName")
        url = aws.sagemaker.upload_model(
            f"s3://{bucket}/elsewhere/model.tar.gz", scenario.MODELS[1]
        )
        _approved_version(aws, stack, model_data_url=url)
        invocations = len(aws.lambda_service.invocations)
        (deployment,) = aws.sagemaker.complete_deployments()
        served = _serving(stack)
        topic = stack.output("AlarmTopicArn")
        denials = list(aws.denials)
        after = len(aws.lambda_service.invocations)
    assert deployment.status == "Failed"
    assert "AccessDenied" in deployment.reason
    assert served == ("Failed", 1)
    failed = deployment.events[-1]
    assert failed.event["detail"]["EndpointStatus"] == "FAILED"
    assert failed.event["detail"]["FailureReason"] == deployment.reason
    # The failure rule publishes it to the alarm topic; the deployer is not woken for it.
    assert [(d.target, d.delivered) for d in failed.deliveries] == [(topic, True)]
    assert after == invocations
    # The execution role reads models/ only (what the stack's grant says).
    ((action, resource),) = {(d.action, d.resource) for d in denials}
    assert action == "s3:GetObject"
    assert resource.endswith("/elsewhere/model.tar.gz")
    assert all("ExecutionRole" in d.principal for d in denials)


def test_a_version_whose_artifact_has_no_handlers_fails_the_endpoint(approved_model_endpoint):
    # The scikit-learn container has no model_fn to load model.json with: it never starts.
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=approved_model_endpoint)
        url = f"{stack.output('ArtifactsLocation')}churn/v1/model.tar.gz"
        bucket, key = url.removeprefix("s3://").split("/", 1)
        body = tar_gz({MODEL_FILE: json.dumps(scenario.MODELS[1]).encode()})
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        _approved_version(aws, stack, model_data_url=url)
        (deployment,) = aws.sagemaker.complete_deployments()
        served = _serving(stack)
    assert deployment.status == "Failed"
    assert "model.tar.gz has no code/inference.py" in deployment.reason
    assert served == ("Failed", 1)


@pytest.fixture
def v1_in_service(approved_model_endpoint):
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=approved_model_endpoint)
        _approved_version(aws, stack)
        aws.sagemaker.complete_deployments()
        yield aws, stack


def test_an_update_that_trips_a_rollback_alarm_is_rolled_back_and_the_deployer_holds(
    v1_in_service,
):
    aws, stack = v1_in_service
    _approved_version(aws, stack, 2)
    assert _serving(stack) == ("Updating", 1)
    alarm = "approved-model-endpoint-invocation-5xx-errors"
    aws.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="5xx from the canary"
    )
    (deployment,) = aws.sagemaker.complete_deployments()
    assert deployment.rolled_back
    assert deployment.reason == f"alarm {alarm} in ALARM during canary 10 CAPACITY_PERCENT"
    assert deployment.traffic_steps == ["canary 10 CAPACITY_PERCENT"]
    assert _serving(stack) == ("InService", 1)
    # Back in service on version 1: the deployer does not retry version 2 (it would trip the
    # same alarm again), it holds and says so.
    in_service = deployment.events[-1]
    (outcome,) = [o for o in aws.lambda_service.outcomes if o.event["id"] == in_service.event["id"]]
    assert outcome.attempts[-1].result["action"] == "held"
    assert aws.denials == []


def test_an_image_outside_the_stacks_repository_cannot_be_pulled_and_the_update_rolls_back(
    v1_in_service,
):
    aws, stack = v1_in_service
    other = aws.client("ecr").create_repository(repositoryName="someone-elses-images")
    _approved_version(aws, stack, 2, repository=other["repository"]["repositoryName"])
    (deployment,) = aws.sagemaker.complete_deployments()
    assert deployment.rolled_back
    assert "AccessDenied" in deployment.reason
    assert _serving(stack) == ("InService", 1)
    assert {(d.action, d.resource) for d in aws.denials} == {
        ("ecr:BatchGetImage", other["repository"]["repositoryArn"])
    }


def test_the_deployer_can_neither_delete_nor_rewrite_its_rollback_alarms(v1_in_service):
    # Its CloudWatch alarm permissions are on "*" only for Application Auto Scaling's probes
    # (which name no alarm); the stack's explicit deny wins on its own alarms (IAM evaluation).
    aws, stack = v1_in_service
    function = stack.output("DeployerFunctionName")
    role = aws.client("lambda").get_function_configuration(FunctionName=function)["Role"]
    session = assume_role_as_service(
        aws.deployer,
        role,
        service="lambda.amazonaws.com",
        session_name="deployer",
        account_id=aws.account_id,
    )
    cloudwatch = session.client("cloudwatch")
    alarm = "approved-model-endpoint-invocation-5xx-errors"
    with pytest.raises(ClientError):
        cloudwatch.delete_alarms(AlarmNames=[alarm])
    arn = f"arn:aws:cloudwatch:{aws.region}:{aws.account_id}:alarm:{alarm}"
    assert [(d.action, d.resource) for d in aws.denials] == [("cloudwatch:DeleteAlarms", arn)]
    assert aws.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]


def test_a_one_instance_endpoint_is_updated_all_at_once_as_sagemaker_requires():
    # `-c instance_count=1` (the README's cheaper demo) with the default canary: SageMaker refuses
    # a canary over 50% of the variant's instances (TrafficRoutingConfig), and one instance is
    # all of them, so the deployer shifts it all at once and says why; the local SageMaker
    # refuses the canary, as AWS does (test_model_deployer_moto_gaps).
    assembly = synthesized(PATTERN, instance_count="1")
    with emulator() as aws:
        stack = deploy(PATTERN, assembly=assembly)
        _approved_version(aws, stack)
        aws.sagemaker.complete_deployments()
        _approved_version(aws, stack, 2)
        (deployment,) = aws.sagemaker.complete_deployments()
        assert deployment.ok, deployment.reason
        assert deployment.traffic_steps == ["all traffic at once"]
        assert _serving(stack) == ("InService", 2)
        reasons = [
            attempt.result.get("reason", "")
            for outcome in aws.lambda_service.outcomes
            for attempt in outcome.attempts
            if isinstance(attempt.result, dict)
        ]
        assert any("(all-at-once: a canary of 10% turns on 1 of 1 instances" in r for r in reasons)
        assert aws.denials == []
