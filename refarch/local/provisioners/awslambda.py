"""Lambda functions, their resource policies (permissions) and event invoke configs.

The function is created in moto with everything moto stores (handler, role, runtime, memory,
timeout, environment, layers, tracing, architecture); the code is the package ``cdk deploy``
published to the bootstrap bucket, read back from there. ``LoggingConfig`` and
``DeadLetterConfig``, which moto drops, are kept in the emulator's Lambda service, which reads
them when it invokes the function; ``AWS::Lambda::EventInvokeConfig`` is stored in moto
(``PutFunctionEventInvokeConfig``) and read back by the service before every asynchronous event.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from refarch.local.errors import DeployError, UnsupportedPropertyError
from refarch.local.identities import trusts_service
from refarch.local.lambda_runtime.layers import compatibility_warnings, resolve_layers
from refarch.local.lambda_runtime.service import LAMBDA_PRINCIPAL, FunctionRecord
from refarch.local.provisioners.registry import Provisioned, ProvisionRequest, provisioner

#: Where CloudFormation puts inline (``ZipFile``) code, per runtime family.
_INLINE_FILE = {"python": "index.py", "nodejs": "index.js"}
#: Function properties moto stores, passed through as they are.
_PASSTHROUGH = (
    "Description",
    "Environment",
    "Handler",
    "KmsKeyArn",
    "Role",
    "Runtime",
    "TracingConfig",
    "Architectures",
    "EphemeralStorage",
)


def _inline_package(request: ProvisionRequest, source: str, runtime: str) -> bytes:
    family = next((f for f in _INLINE_FILE if runtime.startswith(f)), None)
    if family is None:
        raise UnsupportedPropertyError(request.resource_type, request.logical_id, ["Code.ZipFile"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(_INLINE_FILE[family], source)
    return buffer.getvalue()


def _package(request: ProvisionRequest) -> tuple[bytes, dict[str, Any]]:
    """Return the deployment package and the ``Code`` argument for CreateFunction."""
    code = request.properties["Code"]
    runtime = request.properties.get("Runtime", "")
    if "ZipFile" in code:
        package = _inline_package(request, code["ZipFile"], runtime)
        return package, {"ZipFile": package}
    if "S3Bucket" in code:
        get: dict[str, Any] = {"Bucket": code["S3Bucket"], "Key": code["S3Key"]}
        if "S3ObjectVersion" in code:
            get["VersionId"] = code["S3ObjectVersion"]
        package = request.client("s3").get_object(**get)["Body"].read()
        return package, {"S3Bucket": code["S3Bucket"], "S3Key": code["S3Key"]}
    raise UnsupportedPropertyError(
        request.resource_type, request.logical_id, [f"Code.{key}" for key in code]
    )


@provisioner("AWS::Lambda::Function")
def function(request: ProvisionRequest) -> Provisioned:
    """Create the function and register it with the emulator's Lambda service."""
    request.only(
        [
            "FunctionName",
            "Code",
            "Layers",
            "MemorySize",
            "Timeout",
            "LoggingConfig",
            "DeadLetterConfig",
            "ReservedConcurrentExecutions",
            "PackageType",
            "Tags",
            *_PASSTHROUGH,
        ]
    )
    props = request.properties
    if props.get("PackageType", "Zip") != "Zip":
        raise UnsupportedPropertyError(request.resource_type, request.logical_id, ["PackageType"])
    name = request.name("FunctionName", max_length=64)
    package, code = _package(request)
    runtime = props.get("Runtime", "")
    architecture = (props.get("Architectures") or ["x86_64"])[0]
    layers = resolve_layers(props.get("Layers", []))
    # Lambda refuses a role it cannot assume when the function is created, not when invoked.
    trust = request.client("iam").get_role(RoleName=props["Role"].rsplit("/", 1)[-1])["Role"]
    if not trusts_service(
        trust["AssumeRolePolicyDocument"],
        LAMBDA_PRINCIPAL,
        {"aws:SourceAccount": request.emulator.account_id},
    ):
        raise DeployError(
            f"{request.logical_id}: The role defined for the function cannot be assumed by Lambda."
        )
    create: dict[str, Any] = {
        "FunctionName": name,
        "Code": code,
        "Layers": props.get("Layers", []),
        **{key: props[key] for key in _PASSTHROUGH if key in props},
    }
    for key in ("MemorySize", "Timeout"):
        if key in props:
            create[key] = int(props[key])
    if request.tags():
        create["Tags"] = {t["Key"]: t["Value"] for t in request.tags()}
    lam = request.client("lambda")
    arn = lam.create_function(**create)["FunctionArn"]
    if "ReservedConcurrentExecutions" in props:
        lam.put_function_concurrency(
            FunctionName=name,
            ReservedConcurrentExecutions=int(props["ReservedConcurrentExecutions"]),
        )
    logging_config = props.get("LoggingConfig", {})
    request.emulator.lambda_service.register(
        FunctionRecord(
            function_name=name,
            function_arn=arn,
            logical_id=request.logical_id,
            code=package,
            log_group=logging_config.get("LogGroup", f"/aws/lambda/{name}"),
            log_format=logging_config.get("LogFormat", "Text"),
            dead_letter_target=props.get("DeadLetterConfig", {}).get("TargetArn"),
            layers=layers,
        )
    )
    warnings = compatibility_warnings(layers, runtime=runtime, architecture=architecture)
    return Provisioned(
        physical_id=name,
        attributes={"Arn": arn},
        note="; ".join(f"WARNING: {w}" for w in warnings),
    )


@provisioner("AWS::Lambda::Permission")
def permission(request: ProvisionRequest) -> Provisioned:
    """Add the statement to the function's resource policy (checked when a service invokes it)."""
    request.only(
        [
            "Action",
            "FunctionName",
            "Principal",
            "SourceArn",
            "SourceAccount",
            "EventSourceToken",
            "PrincipalOrgID",
            "FunctionUrlAuthType",
        ]
    )
    props = request.properties
    statement_id = request.name(None, max_length=100)
    add = {"StatementId": statement_id, **props}
    request.client("lambda").add_permission(**add)
    return Provisioned(physical_id=statement_id)


@provisioner("AWS::Lambda::EventInvokeConfig")
def event_invoke_config(request: ProvisionRequest) -> Provisioned:
    """Store retries, maximum event age and destinations for asynchronous invocations."""
    request.only(
        [
            "FunctionName",
            "Qualifier",
            "MaximumRetryAttempts",
            "MaximumEventAgeInSeconds",
            "DestinationConfig",
        ]
    )
    props = request.properties
    put: dict[str, Any] = {"FunctionName": props["FunctionName"], "Qualifier": props["Qualifier"]}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in props:
            put[key] = int(props[key])
    if "DestinationConfig" in props:
        put["DestinationConfig"] = props["DestinationConfig"]
    request.client("lambda").put_function_event_invoke_config(**put)
    return Provisioned(physical_id=f"{props['FunctionName']}:{props['Qualifier']}")
