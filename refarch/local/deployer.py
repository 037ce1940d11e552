"""``deploy()``: the synthesized stack, created in the emulator the way CloudFormation would.

Order of work, as in ``cdk deploy``: bootstrap check, asset publishing, parameters (SSM-typed
ones read from SSM), rules, then every resource in dependency order through its provisioner,
then the outputs. Every resource type is checked for a provisioner before anything is created:
a type nothing covers stops the deploy with its name.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from refarch.local import provisioners
from refarch.local.assembly import CloudAssembly, synthesize
from refarch.local.bootstrap import bootstrap, publish_assets
from refarch.local.emulator import Emulator, current_emulator
from refarch.local.errors import DeployError, LocalRunnerError, TemplateError
from refarch.local.intrinsics import Resolver
from refarch.local.stack import LocalStack
from refarch.local.stack_resources import LocalResource
from refarch.local.template import creation_order

#: A function that may change the synthesized template before deploy (in place, or by
#: returning a new one), e.g. to remove a statement from a role's policy in a test.
TemplateHook = Callable[[dict[str, Any]], dict[str, Any] | None]

_SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"


def _parameters(template: Mapping[str, Any], emulator: Emulator) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        if "Default" not in spec:
            raise TemplateError(f"parameter {name} has no default and none was given")
        value = spec["Default"]
        if spec.get("Type", "").startswith(_SSM_PARAMETER_TYPE):
            value = emulator.client("ssm").get_parameter(Name=value)["Parameter"]["Value"]
        elif spec.get("Type") == "CommaDelimitedList":
            value = [item.strip() for item in str(value).split(",")]
        values[name] = value
    return values


def _check_rules(template: Mapping[str, Any], resolver: Resolver) -> None:
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not resolver.assertion(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not resolver.assertion(assertion["Assert"]):
                raise DeployError(f"rule {name}: {assertion.get('AssertDescription', 'failed')}")


def deploy(
    pattern_id: str,
    *,
    context: Mapping[str, Any] | None = None,
    template_hook: TemplateHook | None = None,
    assembly: CloudAssembly | None = None,
) -> LocalStack:
    """Synthesize a pattern and create its stack in the current emulator.

    Parameters
    ----------
    pattern_id:
        A catalog id, e.g. ``s3-event-processing``.
    context:
        Extra CDK context for synthesis (ignored when ``assembly`` is given).
    template_hook:
        Called with a copy of the template before anything is created.
    assembly:
        A cloud assembly synthesized earlier (tests synthesize once per module).

    Raises
    ------
    UnsupportedResourceTypeError
        A resource type has no provisioner.
    DeployError
        A resource could not be created (the AWS error is chained).

    Example
    -------
    >>> with emulator():  # doctest: +SKIP
    ...     stack = deploy("s3-event-processing")
    ...     stack.output("InputBucketName")
    """
    emulator = current_emulator()
    trace = emulator.trace
    assembly = assembly or synthesize(pattern_id, context=context)
    if assembly.stack_name in emulator.stacks:
        raise DeployError(f"{assembly.stack_name} is already deployed in this emulator")
    template = copy.deepcopy(assembly.template)
    if template_hook is not None:
        template = template_hook(template) or template
    resources = template.get("Resources", {})
    order = creation_order(template)
    for logical_id in order:
        provisioners.provisioner_for(resources[logical_id]["Type"], logical_id)

    stack_name = assembly.stack_name
    stack_id = (
        f"arn:{emulator.partition}:cloudformation:{emulator.region}:{emulator.account_id}:"
        f"stack/{stack_name}/{uuid.uuid4()}"
    )
    stack = LocalStack(
        pattern_id=pattern_id,
        stack_name=stack_name,
        stack_id=stack_id,
        template=template,
        emulator=emulator,
    )
    trace.section(
        f"Deploy {stack_name} ({pattern_id}) to the local emulator "
        f"(account {emulator.account_id}, {emulator.region}, IAM enforced)"
    )
    bootstrap(emulator, assembly)
    publish_assets(emulator, assembly)

    def attribute(logical_id: str, name: str) -> Any:
        resource = stack.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{name}: {logical_id} is not created yet")
        if name not in resource.attributes:
            known = ", ".join(sorted(resource.attributes)) or "none"
            raise TemplateError(
                f"Fn::GetAtt {logical_id}.{name}: the local runner knows only {known}"
            )
        return resource.attributes[name]

    def physical_id(logical_id: str) -> Any:
        if logical_id not in stack.resources:
            raise TemplateError(f"Ref {logical_id}: not created (skipped or later in order)")
        return stack.resources[logical_id].physical_id

    resolver = Resolver(
        template=template,
        pseudo={
            "AWS::AccountId": emulator.account_id,
            "AWS::Region": emulator.region,
            "AWS::Partition": emulator.partition,
            "AWS::StackName": stack_name,
            "AWS::StackId": stack_id,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        },
        parameters=_parameters(template, emulator),
        physical_id=physical_id,
        attribute=attribute,
        exports=emulator.exports,
    )
    _check_rules(template, resolver)

    deferred: list[tuple[str, str, Callable[[], None]]] = []
    for logical_id in order:
        resource = resources[logical_id]
        resource_type = resource["Type"]
        condition = resource.get("Condition")
        if condition and not resolver.condition(condition):
            stack.skipped[logical_id] = condition
            trace.line(f"skipped {resource_type} {logical_id}: condition {condition} is false")
            continue
        properties = resolver.resolve(resource.get("Properties", {}))
        request = provisioners.ProvisionRequest(logical_id, resource_type, properties, stack)
        try:
            created = provisioners.provisioner_for(resource_type, logical_id)(request)
        except ClientError as exc:
            raise DeployError(f"{logical_id} ({resource_type}): {exc}") from exc
        except LocalRunnerError:
            raise
        stack.resources[logical_id] = LocalResource(
            logical_id=logical_id,
            resource_type=resource_type,
            physical_id=created.physical_id,
            attributes=created.attributes,
            properties=properties,
        )
        trace.line(f"created {resource_type:<32} {logical_id}")
        if created.note:
            trace.line(created.note, 2)
        if created.deferred is not None:
            deferred.append((logical_id, resource_type, created.deferred))
    for logical_id, resource_type, step in deferred:
        try:
            step()
        except ClientError as exc:
            raise DeployError(f"{logical_id} ({resource_type}): {exc}") from exc

    for name, output in template.get("Outputs", {}).items():
        if "Condition" in output and not resolver.condition(output["Condition"]):
            continue
        value = resolver.resolve(output["Value"])
        stack.outputs[name] = value
        if "Export" in output:
            emulator.exports[resolver.resolve(output["Export"]["Name"])] = value
    for name, value in stack.outputs.items():
        trace.line(f"output {name} = {value}")
    emulator.stacks[stack_name] = stack
    return stack
