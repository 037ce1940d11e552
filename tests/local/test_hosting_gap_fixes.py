"""moto's ECR, Application Auto Scaling, SageMaker and S3 gaps, fixed inside the emulator.

Each test signs as a role with exactly the statements it needs (IAM enforced), to show that a
scoped grant is matched against the real resource, and that what a service checks with its
caller's permissions is checked.
"""

import json

import pytest
from botocore.exceptions import ClientError
from scoped_roles import role_session

from refarch.local import emulator
from refarch.local.moto_autoscaling import LINKED_ROLE, linked_role_arn
from refarch.model_artifacts import upload_blob

ACCOUNT = "123456789012"
REGION = "us-east-1"
ENDPOINT = "churn"
VARIANT = "AllTraffic"
RESOURCE_ID = f"endpoint/{ENDPOINT}/variant/{VARIANT}"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
ENDPOINT_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"


TARGETS = f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/*"
LINKED_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"


def _session(aws, name, statements):
    """A session of a new role with exactly ``statements``."""
    return role_session(aws, name, statements)[0]


def _allow(actions, resources, condition=None):
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _code(raised):
    return raised.value.response["Error"]["Code"]


# ---------------------------------------------------------------------------------------------
# ECR


def _push(aws, repository):
    """Upload one layer and an image naming it; return the layer digest."""
    ecr = aws.client("ecr")
    body = b"layer bytes"
    digest = upload_blob(ecr, repository, body)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/octet-stream", "size": len(body), "digest": digest},
        "layers": [],
    }
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="1")
    return digest


def test_ecr_pulls_are_authorized_on_the_repository():
    with emulator() as aws:
        ecr = aws.client("ecr")
        mine = ecr.create_repository(repositoryName="mine")["repository"]["repositoryArn"]
        ecr.create_repository(repositoryName="theirs")
        for repository in ("mine", "theirs"):
            _push(aws, repository)
        puller = _session(
            aws,
            "puller",
            [
                _allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [mine]),
                _allow(["ecr:GetAuthorizationToken"], ["*"]),
            ],
        ).client("ecr")
        puller.get_authorization_token()
        images = puller.batch_get_image(repositoryName="mine", imageIds=[{"imageTag": "1"}])
        assert len(images["images"]) == 1
        with pytest.raises(ClientError) as raised:
            puller.batch_get_image(repositoryName="theirs", imageIds=[{"imageTag": "1"}])
        denials = list(aws.denials)
    # A JSON API's denial, as AWS answers it (moto's XML would read as error code 403).
    assert _code(raised) == "AccessDeniedException"
    assert [(d.action, d.resource) for d in denials] == [
        ("ecr:BatchGetImage", mine.replace("/mine", "/theirs"))
    ]


def test_ecr_hands_out_the_layers_a_repository_holds_only():
    with emulator() as aws:
        ecr = aws.client("ecr")
        ecr.create_repository(repositoryName="mine")
        digest = _push(aws, "mine")
        answer = ecr.get_download_url_for_layer(repositoryName="mine", layerDigest=digest)
        missing = "sha256:" + "0" * 64
        with pytest.raises(ClientError) as raised:
            ecr.get_download_url_for_layer(repositoryName="mine", layerDigest=missing)
    assert answer["layerDigest"] == digest
    assert answer["downloadUrl"].startswith("https://")
    assert _code(raised) == "LayersNotFoundException"


# ---------------------------------------------------------------------------------------------
# SageMaker: every resource of an action, and what SageMaker checks as its caller


@pytest.fixture
def sagemaker_account():
    """An execution role, a KMS key, a model and a configuration using the key."""
    with emulator() as aws:
        iam = aws.client("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName="execution", AssumeRolePolicyDocument=json.dumps(trust))
        key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
        sagemaker = aws.client("sagemaker")
        image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mine:1"
        sagemaker.create_model(
            ModelName="m",
            ExecutionRoleArn=role["Role"]["Arn"],
            PrimaryContainer={"Image": image},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{ENDPOINT}-v1",
            KmsKeyId=key,
            ProductionVariants=[
                {
                    "VariantName": VARIANT,
                    "ModelName": "m",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        yield aws, role["Role"]["Arn"], key, image


def _sagemaker_arn(kind, name):
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


def test_create_model_needs_pass_role_to_sagemaker(sagemaker_account):
    aws, role, _, image = sagemaker_account
    models = _allow(["sagemaker:CreateModel"], [_sagemaker_arn("model", "*")])
    to_glue = _allow(
        ["iam:PassRole"], [role], {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}
    )
    to_sagemaker = _allow(
        ["iam:PassRole"],
        [role],
        {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    )
    wrong = _session(aws, "wrong", [models, to_glue]).client("sagemaker")
    with pytest.raises(ClientError, match="iam:PassRole") as raised:
        wrong.create_model(ModelName="a", ExecutionRoleArn=role, PrimaryContainer={"Image": image})
    assert _code(raised) == "AccessDeniedException"
    right = _session(aws, "right", [models, to_sagemaker]).client("sagemaker")
    right.create_model(ModelName="b", ExecutionRoleArn=role, PrimaryContainer={"Image": image})
    assert [(d.action, d.resource) for d in aws.denials] == [("iam:PassRole", role)]


def test_create_endpoint_is_authorized_on_its_configuration_and_grants_on_its_key(
    sagemaker_account,
):
    aws, _, key, _ = sagemaker_account
    endpoint_only = _allow(["sagemaker:CreateEndpoint"], [_sagemaker_arn("endpoint", ENDPOINT)])
    with_config = _allow(
        ["sagemaker:CreateEndpoint"],
        [_sagemaker_arn("endpoint", ENDPOINT), _sagemaker_arn("endpoint-config", "*")],
    )
    grant = _allow(["kms:CreateGrant"], [key], {"Bool": {"kms:GrantIsForAWSResource": "true"}})
    describe = _allow(["kms:DescribeKey"], [key])
    attempts = [
        ("endpoint-only", [endpoint_only, grant, describe]),
        ("no-grant", [with_config, describe]),
        ("everything", [with_config, grant, describe]),
    ]
    outcomes = {}
    for name, statements in attempts:
        client = _session(aws, name, statements).client("sagemaker")
        try:
            client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-v1")
            outcomes[name] = "created"
        except ClientError:
            outcomes[name] = "denied"
    assert outcomes == {"endpoint-only": "denied", "no-grant": "denied", "everything": "created"}
    assert [(d.action, d.resource) for d in aws.denials] == [
        ("sagemaker:CreateEndpoint", _sagemaker_arn("endpoint-config", f"{ENDPOINT}-v1")),
        ("kms:CreateGrant", key),
    ]


# ---------------------------------------------------------------------------------------------
# Application Auto Scaling of a SageMaker variant


@pytest.fixture
def endpoint_in_service(sagemaker_account):
    aws = sagemaker_account[0]
    aws.client("sagemaker").create_endpoint(
        EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-v1"
    )
    from refarch.local.moto_sagemaker import set_endpoint_status

    set_endpoint_status(ENDPOINT, "InService", account_id=ACCOUNT, region_name=REGION)
    return aws


def _register(client, resource_id=RESOURCE_ID):
    client.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=2,
    )


SCALING = _allow(["application-autoscaling:RegisterScalableTarget"], [TARGETS])
ENDPOINT_CHECKS = _allow(
    ["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"], [ENDPOINT_ARN]
)
LINKED = _allow(
    ["iam:CreateServiceLinkedRole"],
    [linked_role_arn(ACCOUNT)],
    {"StringLike": {"iam:AWSServiceName": LINKED_SERVICE}},
)


def test_registering_a_variant_that_does_not_exist_fails(endpoint_in_service):
    client = endpoint_in_service.client("application-autoscaling")
    with pytest.raises(ClientError, match="does not exist") as raised:
        _register(client, f"endpoint/{ENDPOINT}/variant/Shadow")
    assert _code(raised) == "ValidationException"


def test_registration_validates_the_callers_permissions_on_the_endpoint(endpoint_in_service):
    aws = endpoint_in_service
    without = _session(aws, "without", [SCALING, LINKED]).client("application-autoscaling")
    with pytest.raises(ClientError, match="UpdateEndpointWeightsAndCapacities") as raised:
        _register(without)
    assert _code(raised) == "ValidationException"
    assert {d.action for d in aws.denials} == {
        "sagemaker:DescribeEndpoint",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
    }


def test_the_first_registration_creates_the_service_linked_role_as_the_caller(
    endpoint_in_service,
):
    aws = endpoint_in_service
    unlinked = _session(aws, "unlinked", [SCALING, ENDPOINT_CHECKS])
    with pytest.raises(ClientError, match="iam:CreateServiceLinkedRole"):
        _register(unlinked.client("application-autoscaling"))
    linked = _session(aws, "linked", [SCALING, ENDPOINT_CHECKS, LINKED])
    _register(linked.client("application-autoscaling"))
    # Created once: a second registration needs no iam:CreateServiceLinkedRole.
    _register(unlinked.client("application-autoscaling"))
    (target,) = aws.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    role = aws.client("iam").get_role(RoleName=LINKED_ROLE)["Role"]
    assert target["RoleARN"] == role["Arn"] == linked_role_arn(ACCOUNT)
    assert [d.action for d in aws.denials] == ["iam:CreateServiceLinkedRole"]


def test_scaling_policies_are_authorized_on_the_target_and_validate_alarm_permissions(
    endpoint_in_service,
):
    aws = endpoint_in_service
    _register(aws.client("application-autoscaling"))
    (target,) = aws.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    policy = {
        "PolicyName": "p",
        "ServiceNamespace": "sagemaker",
        "ResourceId": RESOURCE_ID,
        "ScalableDimension": DIMENSION,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    }
    put = _allow(["application-autoscaling:PutScalingPolicy"], [target["ScalableTargetARN"]])
    alarms = _allow(
        ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"],
        ["*"],
    )
    no_alarms = _session(aws, "no-alarms", [put]).client("application-autoscaling")
    with pytest.raises(ClientError, match="cloudwatch:PutMetricAlarm"):
        no_alarms.put_scaling_policy(**policy)
    allowed = _session(aws, "allowed", [put, alarms]).client("application-autoscaling")
    allowed.put_scaling_policy(**policy)
    assert {d.resource for d in aws.denials} == {"*"}


# ---------------------------------------------------------------------------------------------
# S3 objects encrypted with a customer managed key


def test_writing_an_sse_kms_object_needs_generate_data_key_on_the_key():
    with emulator() as aws:
        key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="capture-bucket")
        objects = "arn:aws:s3:::capture-bucket/*"
        without = _session(aws, "without", [_allow(["s3:PutObject"], [objects])])
        with_key = _session(
            aws,
            "with-key",
            [_allow(["s3:PutObject"], [objects]), _allow(["kms:GenerateDataKey"], [key])],
        )
        sse = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key}
        with pytest.raises(ClientError):
            without.client("s3").put_object(Bucket="capture-bucket", Key="a", Body=b"x", **sse)
        with_key.client("s3").put_object(Bucket="capture-bucket", Key="b", Body=b"x", **sse)
        # S3-managed encryption asks nothing of KMS.
        without.client("s3").put_object(Bucket="capture-bucket", Key="c", Body=b"x")
        denials = [(d.action, d.resource) for d in aws.denials]
    assert denials == [("kms:GenerateDataKey", key)]


def test_a_bucket_default_kms_key_is_checked_like_an_explicit_one():
    with emulator() as aws:
        key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="kms-default")
        s3.put_bucket_encryption(
            Bucket="kms-default",
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key,
                        }
                    }
                ]
            },
        )
        writer = _session(aws, "writer", [_allow(["s3:PutObject"], ["arn:aws:s3:::kms-default/*"])])
        with pytest.raises(ClientError):
            writer.client("s3").put_object(Bucket="kms-default", Key="a", Body=b"x")
        denials = [(d.action, d.resource) for d in aws.denials]
    assert denials == [("kms:GenerateDataKey", key)]


# ---------------------------------------------------------------------------------------------
# CloudWatch alarms


def _alarm_arn(name):
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def test_alarm_actions_are_authorized_on_each_alarm_they_name():
    # Service Authorization Reference: DescribeAlarms, DeleteAlarms and PutMetricAlarm take the
    # alarm resource type, arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:${AlarmName}.
    with emulator() as aws:
        cloudwatch = aws.client("cloudwatch")
        for name in ("mine", "theirs"):
            cloudwatch.put_metric_alarm(
                AlarmName=name,
                MetricName="Invocation5XXErrors",
                Namespace="AWS/SageMaker",
                Statistic="Sum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
        scoped = _session(
            aws,
            "alarms",
            [
                _allow(
                    ["cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"], [_alarm_arn("mine")]
                )
            ],
        ).client("cloudwatch")
        (found,) = scoped.describe_alarms(AlarmNames=["mine"])["MetricAlarms"]
        assert found["AlarmName"] == "mine"
        with pytest.raises(ClientError):
            scoped.describe_alarms(AlarmNames=["mine", "theirs"])
        with pytest.raises(ClientError):
            scoped.delete_alarms(AlarmNames=["theirs"])
        # A request naming no alarm matches no alarm ARN.
        with pytest.raises(ClientError):
            scoped.describe_alarms(MaxRecords=1)
        assert [(d.action, d.resource) for d in aws.denials] == [
            ("cloudwatch:DescribeAlarms", _alarm_arn("theirs")),
            ("cloudwatch:DeleteAlarms", _alarm_arn("theirs")),
            ("cloudwatch:DescribeAlarms", "*"),
        ]
        names = [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]]
        assert names == ["mine", "theirs"]
