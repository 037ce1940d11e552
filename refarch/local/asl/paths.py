"""Paths, payload templates and ResultPath: how data moves through a state.

The order is AWS's: InputPath, then Parameters, then the task; ResultSelector, then
ResultPath, then OutputPath
(https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html).
Supported: the path forms the stacks use (``$``, ``$.a.b``, ``$.a[0]``, ``$['a']``, and
``$$.`` for the context object) and the intrinsic functions ``States.Format``,
``States.JsonToString``, ``States.StringToJson``, ``States.MathAdd``, ``States.ArrayLength``
and ``States.ArrayGetItem``
(https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html). Anything else
fails loudly as unsupported rather than evaluating differently from AWS.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from refarch.local.asl.errors import INTRINSIC_FAILURE, RUNTIME, StatesError
from refarch.local.errors import LocalRunnerError


class UnsupportedPathError(LocalRunnerError):
    """A path or intrinsic this interpreter does not evaluate (never guessed)."""


_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]")
_MISSING = object()


def _steps(path: str) -> list[str | int]:
    """Split ``$.a[0]['b']`` into ``["a", 0, "b"]``; anything else is unsupported."""
    body = path[1:]
    steps: list[str | int] = []
    position = 0
    while position < len(body):
        match = _STEP.match(body, position)
        if match is None:
            raise UnsupportedPathError(f"path {path!r} is not in the supported subset")
        name, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
        position = match.end()
    return steps


def _walk(value: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return _MISSING
            value = value[step]
    return value


def select(path: str, data: Any, context: Any) -> Any:
    """The value at ``path`` in the state's data (``$``) or the context object (``$$``).

    A path that selects nothing is a ``States.Runtime`` error, as AWS reports it ("The JSONPath
    ... could not be found in the input").
    """
    if path.startswith("$$"):
        root, rest = context, path[1:]
    elif path.startswith("$"):
        root, rest = data, path
    else:
        raise UnsupportedPathError(f"path {path!r} does not start with $")
    value = _walk(root, _steps(rest))
    if value is _MISSING:
        raise StatesError(RUNTIME, f"The JSONPath {path!r} could not be found in the input")
    return value


def is_present(path: str, data: Any, context: Any) -> bool:
    """Whether ``path`` selects something (the Choice rule ``IsPresent``)."""
    try:
        select(path, data, context)
    except StatesError:
        return False
    return True


def apply_input_path(path: str | None, data: Any, context: Any) -> Any:
    """InputPath / OutputPath: ``null`` gives ``{}``, absent keeps everything (``$``)."""
    if path is None:
        return {}
    return select(path, data, context)


def render(template: Any, data: Any, context: Any) -> Any:
    """Render a Parameters / ResultSelector template.

    Keys ending ``.$`` take a path's value or an intrinsic function's result; everything else
    is copied as it is.
    """
    if isinstance(template, Mapping):
        rendered: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    raise UnsupportedPathError(f"{key}: a .$ field takes a string")
                rendered[key[:-2]] = _evaluate(value, data, context)
            else:
                rendered[key] = render(value, data, context)
        return rendered
    if isinstance(template, list):
        return [render(item, data, context) for item in template]
    return copy.deepcopy(template)


def _evaluate(expression: str, data: Any, context: Any) -> Any:
    if expression.startswith("States."):
        return _intrinsic(expression, data, context)
    return copy.deepcopy(select(expression, data, context))


_CALL = re.compile(r"^(States\.\w+)\((.*)\)$", re.DOTALL)


def _arguments(text: str, data: Any, context: Any) -> list[Any]:
    """Split an intrinsic's arguments: quoted strings (backslash escapes), numbers, paths."""
    arguments: list[Any] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in " ,":
            position += 1
        elif char == "'":
            end = position + 1
            chars: list[str] = []
            while end < len(text) and text[end] != "'":
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                chars.append(text[end])
                end += 1
            arguments.append("".join(chars))
            position = end + 1
        else:
            end = text.find(",", position)
            end = len(text) if end < 0 else end
            token = text[position:end].strip()
            if token.startswith("$"):
                arguments.append(select(token, data, context))
            else:
                try:
                    arguments.append(json.loads(token))
                except json.JSONDecodeError as exc:
                    raise UnsupportedPathError(f"intrinsic argument {token!r}") from exc
            position = end
    return arguments


def _intrinsic(expression: str, data: Any, context: Any) -> Any:
    match = _CALL.match(expression)
    if match is None:
        raise UnsupportedPathError(f"intrinsic {expression!r} is not a function call")
    name, raw = match.groups()
    arguments = _arguments(raw, data, context)
    if name == "States.Format":
        template, *values = arguments
        pieces = template.split("{}")
        if len(pieces) - 1 != len(values):
            raise StatesError(INTRINSIC_FAILURE, f"{expression}: wrong number of arguments")
        out = pieces[0]
        for value, piece in zip(values, pieces[1:], strict=True):
            out += (value if isinstance(value, str) else json.dumps(value)) + piece
        return out
    if name == "States.JsonToString":
        return json.dumps(arguments[0], separators=(",", ":"))
    if name == "States.StringToJson":
        try:
            return json.loads(arguments[0])
        except (TypeError, json.JSONDecodeError) as exc:
            raise StatesError(INTRINSIC_FAILURE, f"{expression}: {exc}") from exc
    if name == "States.MathAdd":
        # Integers only (intrinsic-functions.html: "States.MathAdd ... two numbers" whose
        # result is an integer; a non-integer argument is an error).
        if len(arguments) != 2 or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in arguments
        ):
            raise StatesError(INTRINSIC_FAILURE, f"{expression}: takes two integers")
        return arguments[0] + arguments[1]
    if name == "States.ArrayLength":
        if len(arguments) != 1 or not isinstance(arguments[0], list):
            raise StatesError(INTRINSIC_FAILURE, f"{expression}: takes one array")
        return len(arguments[0])
    if name == "States.ArrayGetItem":
        # An index outside the array is an error (intrinsic-functions.html#asl-intrsc-func-arrays).
        array, index = [*arguments, None, None][:2]
        if (
            len(arguments) != 2
            or not isinstance(array, list)
            or not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index < len(array)
        ):
            raise StatesError(INTRINSIC_FAILURE, f"{expression}: takes an array and an index in it")
        return array[index]
    raise UnsupportedPathError(f"intrinsic {name} is not supported by the local interpreter")


def apply_result_path(path: str | None, state_input: Any, result: Any) -> Any:
    """Place a state's result in its input (ResultPath).

    ``null`` discards the result; ``$`` replaces the input; ``$.a.b`` sets that field in a copy
    of the input, creating objects on the way
    (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html).
    """
    if path is None:
        return state_input
    steps = _steps(path)
    if not steps:
        return result
    if not isinstance(state_input, Mapping):
        raise StatesError(RUNTIME, f"ResultPath {path!r} needs an object as the state's input")
    output = copy.deepcopy(dict(state_input))
    node = output
    for step in steps[:-1]:
        if isinstance(step, int):
            raise UnsupportedPathError(f"ResultPath {path!r}: array steps are not supported")
        child = node.setdefault(step, {})
        if not isinstance(child, dict):
            raise StatesError(RUNTIME, f"ResultPath {path!r}: {step!r} is not an object")
        node = child
    last = steps[-1]
    if isinstance(last, int):
        raise UnsupportedPathError(f"ResultPath {path!r}: array steps are not supported")
    node[last] = result
    return output
