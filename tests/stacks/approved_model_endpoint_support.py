"""The approved-model endpoint's synthesized variants and the helpers their assertions share.

Fixtures are session-scoped so the test modules that import them share one synthesis of each
variant per test process.
"""

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from cdk_nag import AwsSolutionsChecks
from template_queries import (
    Synthesized,
    as_list,
    ref,
)

from refarch.cdk_app import repo_context
from refarch.stacks.approved_model_endpoint import (
    ApprovedModelEndpointProps,
    ApprovedModelEndpointStack,
)

STACK_NAME = "ApprovedModelEndpoint"
ENDPOINT = "approved-model-endpoint"
VARIANT = "AllTraffic"
ALARM = "AWS::CloudWatch::Alarm"
LOG_GROUP = f"log-group:/aws/sagemaker/Endpoints/{ENDPOINT}"
ROLLBACK_ALARMS = (
    f"{ENDPOINT}-invocation-5xx-errors",
    f"{ENDPOINT}-model-latency-p99",
)

#: The customised variant: given names, an existing repository, serverless, linear rollout.
CUSTOM = ApprovedModelEndpointProps(
    endpoint_name="churn",
    model_package_group_name="churn-models",
    image_repository_name="churn-images",
    serverless_memory_mb=2048,
    serverless_max_concurrency=10,
    rollout="linear",
    traffic_step_percent=20,
    wait_interval=Duration.minutes(10),
    capture_sampling_percent=100,
)


PATTERN_ID = "approved-model-endpoint"


def synthesize(outdir: Path, props: ApprovedModelEndpointProps) -> Synthesized:
    """Synthesize the stack with props, as `build_app` would (cdk-nag attached: a finding raises).

    Context-only variants come from the session's `synth` cache instead.
    """
    app = cdk.App(context=repo_context(), outdir=str(outdir))
    ApprovedModelEndpointStack(app, STACK_NAME, props=props)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    path = outdir / f"{STACK_NAME}.template.json"
    return Synthesized(path=path, json=json.loads(path.read_text()))


@pytest.fixture(scope="session")
def stack(synth):
    return synth(PATTERN_ID)


@pytest.fixture(scope="session")
def custom(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("endpoint-custom"), CUSTOM)


@pytest.fixture(scope="session")
def destroyable(synth):
    return synth(PATTERN_ID, destroy="true")


def resource_ids(synthesized: Synthesized) -> dict[str, str]:
    """Logical ids of the resources the assertions talk about."""
    return {
        "artifacts": synthesized.id_of("AWS::S3::Bucket", "ArtifactsBucket"),
        "capture": synthesized.id_of("AWS::S3::Bucket", "CaptureBucket"),
        "access_logs": synthesized.id_of("AWS::S3::Bucket", "AccessLogsBucket"),
        "key": synthesized.id_of("AWS::KMS::Key", "EndpointKey"),
        "group": synthesized.id_of("AWS::SageMaker::ModelPackageGroup"),
        "endpoint_logs": synthesized.id_of("AWS::Logs::LogGroup", "EndpointLogs"),
        "execution_role": synthesized.id_of("AWS::IAM::Role", "ExecutionRole"),
        "deployer_role": synthesized.id_of("AWS::IAM::Role", "DeployerRole"),
        "function": synthesized.id_of("AWS::Lambda::Function", "DeployerFunction"),
        "undelivered": synthesized.id_of("AWS::SQS::Queue", "UndeliveredEvents"),
        "deployer_dlq": synthesized.id_of("AWS::SQS::Queue", "DeployerDeadLetterQueue"),
        "topic": synthesized.id_of("AWS::SNS::Topic"),
        "errors_alarm": synthesized.id_of(ALARM, "RollbackAlarmsInvocation5XXErrors"),
        "latency_alarm": synthesized.id_of(ALARM, "RollbackAlarmsModelLatencyP99"),
        "approval_rule": synthesized.id_of("AWS::Events::Rule", "ApprovalChanged"),
        "in_service_rule": synthesized.id_of("AWS::Events::Rule", "EndpointInService"),
        "failed_rule": synthesized.id_of("AWS::Events::Rule", "EndpointFailed"),
    }


@pytest.fixture(scope="session")
def ids(stack):
    return {
        **resource_ids(stack),
        "repository": stack.id_of("AWS::ECR::Repository"),
    }


@pytest.fixture(scope="session")
def custom_ids(custom):
    return resource_ids(custom)


def group_name(synthesized: Synthesized) -> Any:
    """The group's name as the template spells it (a literal, or the join that builds it)."""
    return synthesized.props("AWS::SageMaker::ModelPackageGroup")["ModelPackageGroupName"]


def arn(service: str, resource: Any, *, region: bool = True) -> dict[str, Any]:
    """The ARN `Stack.format_arn` renders: ``arn:<partition>:<service>:<region>:<account>:...``."""
    if region:
        parts = ["arn:", ref("AWS::Partition"), f":{service}:", ref("AWS::Region"), ":"]
    else:
        parts = ["arn:", ref("AWS::Partition"), f":{service}::"]
    parts.append(ref("AWS::AccountId"))
    if isinstance(resource, str):
        return {"Fn::Join": ["", [*parts, f":{resource}"]]}
    return {"Fn::Join": ["", [*parts, *resource]]}


def versions_arn(synthesized: Synthesized) -> dict[str, Any]:
    return arn("sagemaker", [":model-package/", group_name(synthesized), "/*"])


def environment(synthesized: Synthesized, ids: dict[str, str]) -> dict[str, Any]:
    function = synthesized.resources("AWS::Lambda::Function")[ids["function"]]
    return function["Properties"]["Environment"]["Variables"]


def normalized(statements: list[dict[str, Any]]) -> list[str]:
    """Statements as sorted JSON with sorted actions and resources, to compare as sets."""
    return sorted(
        json.dumps(
            {
                **statement,
                "Action": sorted(as_list(statement["Action"])),
                "Resource": sorted(json.dumps(r) for r in as_list(statement["Resource"])),
            },
            sort_keys=True,
        )
        for statement in statements
    )


def allow(actions: list[str], resources: list[Any], condition: dict | None = None) -> dict:
    statement: dict[str, Any] = {"Action": actions, "Effect": "Allow", "Resource": resources}
    if condition is not None:
        statement["Condition"] = condition
    return statement
