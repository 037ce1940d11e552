"""CloudFormation property values turned into the request shapes of the service's API.

Where a resource's properties mirror an API structure member for member (a delivery stream's
``ExtendedS3DestinationConfiguration``, a Glue ``TableInput``), the provisioner passes them on
through ``to_api``: it walks the botocore shape, turns CloudFormation's strings into the API's
integers and booleans (``"60"`` -> 60, ``"true"`` -> True), and refuses a member the API does not
have by its full path, so a property is applied or named, never dropped.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, Shape, StructureShape

from refarch.local.errors import UnsupportedPropertyError
from refarch.local.provisioners.registry import ProvisionRequest

_SESSION = botocore.session.get_session()


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def _convert(value: Any, shape: Shape, path: str, unknown: list[str]) -> Any:
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            unknown.append(path)
            return value
        converted = {}
        for name, item in value.items():
            if name not in shape.members:
                unknown.append(f"{path}.{name}")
                continue
            converted[name] = _convert(item, shape.members[name], f"{path}.{name}", unknown)
        return converted
    if isinstance(shape, ListShape):
        items = value if isinstance(value, list) else [value]
        return [
            _convert(item, shape.member, f"{path}[{i}]", unknown) for i, item in enumerate(items)
        ]
    if isinstance(shape, MapShape):
        if isinstance(value, str):  # CloudFormation lets a Json-typed map be a JSON string
            value = json.loads(value)
        return {str(key): _convert(item, shape.value, path, unknown) for key, item in value.items()}
    if shape.type_name in ("integer", "long"):
        return int(value)
    if shape.type_name in ("double", "float"):
        return float(value)
    if shape.type_name == "boolean":
        return _boolean(value)
    if shape.type_name == "string" and not isinstance(value, str):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def to_api(request: ProvisionRequest, prop: str, service: str, shape_name: str) -> Any:
    """Return the property ``prop`` converted to the API shape ``shape_name`` of ``service``.

    Example: ``to_api(request, "ExtendedS3DestinationConfiguration", "firehose",
    "ExtendedS3DestinationConfiguration")`` gives ``BufferingHints.SizeInMBs`` as ``64`` where
    the template says ``"64"``.

    Raises:
        UnsupportedPropertyError: The property holds a member the API shape does not have.
    """
    shape = _SESSION.get_service_model(service).shape_for(shape_name)
    unknown: list[str] = []
    converted = _convert(request.properties[prop], shape, prop, unknown)
    if unknown:
        raise UnsupportedPropertyError(request.resource_type, request.logical_id, unknown)
    return converted


def request_to_api(
    request: ProvisionRequest,
    service: str,
    shape_name: str,
    *,
    exclude: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return every property but ``exclude`` converted to the request shape ``shape_name``.

    For resources whose properties are the create call's parameters, member for member
    (``AWS::Glue::Job`` and ``CreateJob``): each is converted as ``to_api`` converts one.

    Raises:
        UnsupportedPropertyError: A property (or a member of one) the request does not have.
    """
    shape = _SESSION.get_service_model(service).shape_for(shape_name)
    properties = {k: v for k, v in request.properties.items() if k not in exclude}
    unknown: list[str] = []
    converted = _convert(properties, shape, "", unknown)
    if unknown:
        names = [name.lstrip(".") for name in unknown]
        raise UnsupportedPropertyError(request.resource_type, request.logical_id, names)
    return converted
