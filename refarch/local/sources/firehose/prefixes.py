"""S3 prefixes with Firehose's ``!{namespace:value}`` expressions, and the object names under them.

As the Firehose developer guide describes them ("Custom prefixes for Amazon S3 objects",
"Configure Amazon S3 object name format"):

- ``!{timestamp:FORMAT}``: a Java ``DateTimeFormatter`` pattern applied to the approximate
  arrival time of the oldest record in the object, in UTC unless ``CustomTimeZone`` says
  otherwise; every timestamp expression of one prefix sees the same instant.
- ``!{firehose:random-string}``: 11 random alphanumeric characters;
  ``!{firehose:error-output-type}`` (error prefix only): ``processing-failed``,
  ``format-conversion-failed``…
- ``!{partitionKeyFromLambda:KEY}`` / ``!{partitionKeyFromQuery:KEY}`` (dynamic partitioning
  only): the record's key from the transform's ``metadata.partitionKeys`` or the JQ query.
- A prefix without expressions gets the default time prefix ``yyyy/MM/dd/HH/`` appended.
- Object names are ``<evaluated prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>``.

The runner supports the numeric pattern letters of ``DateTimeFormatter`` (``y M d H m s S``) and
quoted literals; anything else is refused when the delivery stream is deployed, not at delivery.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from refarch.local.errors import LocalRunnerError
from refarch.local.sources.firehose.date_patterns import pattern_parts

#: The default time prefix Firehose appends to a prefix without expressions.
DEFAULT_TIME_FORMAT = "yyyy/MM/dd/HH/"
#: ``!{firehose:random-string}`` is 11 alphanumeric characters (e.g. ``ztWxkdg3Thg``).
RANDOM_STRING_LENGTH = 11
#: The error-output-type values this runner produces.
PROCESSING_FAILED = "processing-failed"
FORMAT_CONVERSION_FAILED = "format-conversion-failed"

_EXPRESSION = re.compile(r"!\{([^:{}]+):([^{}]*)\}")
_NAMESPACES = ("timestamp", "firehose", "partitionKeyFromLambda", "partitionKeyFromQuery")
_FIREHOSE_VALUES = ("random-string", "error-output-type")
#: DateTimeFormatter letters the runner renders, with their datetime field.
_FIELDS = {"y": "year", "M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second"}
_ALPHANUMERIC = string.ascii_letters + string.digits


class PrefixError(LocalRunnerError):
    """A prefix the runner cannot evaluate (or AWS would refuse), named with the reason."""


@dataclass(frozen=True)
class Expression:
    """One ``!{namespace:value}`` of a prefix."""

    namespace: str
    value: str


def expressions(prefix: str) -> list[Expression]:
    """Return the expressions of a prefix, in order."""
    return [Expression(m.group(1), m.group(2)) for m in _EXPRESSION.finditer(prefix)]


def format_timestamp(pattern: str, moment: datetime) -> str:
    """Render ``moment`` with a Java ``DateTimeFormatter`` pattern (numeric fields).

    Example:
        >>> from datetime import datetime
        >>> format_timestamp("yyyy/MM/dd/HH/", datetime(2024, 6, 1, 9, 5))
        '2024/06/01/09/'
        >>> format_timestamp("yyyy-MM-dd'T'HH", datetime(2024, 6, 1, 9, 5))
        '2024-06-01T09'
    """
    out: list[str] = []
    try:
        parts = list(pattern_parts(pattern))
    except ValueError as exc:
        raise PrefixError(f"unterminated quote in timestamp pattern {pattern!r}") from exc
    for part in parts:
        char, run = part.letter, part.width
        if char is None:
            out.append(part.text)
        elif char in _FIELDS:
            value = getattr(moment, _FIELDS[char])
            if char == "y" and run == 2:
                value %= 100
            out.append(f"{value:0{run}d}")
        elif char == "S":
            out.append(f"{moment.microsecond:06d}"[:run].ljust(run, "0"))
        else:
            raise PrefixError(
                f"timestamp pattern letter {char!r} in {pattern!r} is not supported by the local "
                "runner (it renders y, M, d, H, m, s and S)"
            )
    return "".join(out)


def validate(
    prefix: str, *, error_prefix: bool, dynamic_partitioning: bool, what: str = "Prefix"
) -> None:
    """Refuse a prefix AWS would refuse, or the runner could not evaluate.

    Raises:
        PrefixError: An unknown namespace or value, ``error-output-type`` outside the error
            prefix, a partition key without dynamic partitioning (or in the error prefix), or a
            timestamp pattern the runner cannot render.
    """
    found = expressions(prefix)
    if "!{" in _EXPRESSION.sub("", prefix):
        raise PrefixError(
            f"{what} {prefix!r}: an expression is not of the form !{{namespace:value}}"
        )
    for expression in found:
        namespace, value = expression.namespace, expression.value
        if namespace not in _NAMESPACES:
            raise PrefixError(f"{what} {prefix!r}: unknown namespace {namespace!r}")
        if namespace == "firehose":
            if value not in _FIREHOSE_VALUES:
                raise PrefixError(f"{what} {prefix!r}: unknown firehose value {value!r}")
            if value == "error-output-type" and not error_prefix:
                raise PrefixError(
                    f"{what}: !{{firehose:error-output-type}} is for the error prefix"
                )
        elif namespace == "timestamp":
            format_timestamp(value, datetime(2000, 1, 1))
        elif error_prefix:
            raise PrefixError(
                f"{what} {prefix!r}: partition keys are not allowed in the error prefix"
            )
        elif not dynamic_partitioning:
            raise PrefixError(f"{what} {prefix!r}: {namespace} needs dynamic partitioning enabled")
        elif not value:
            raise PrefixError(f"{what} {prefix!r}: {namespace} names no key")


def random_string() -> str:
    """Return what ``!{firehose:random-string}`` evaluates to."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(RANDOM_STRING_LENGTH))


class MissingPartitionKeyError(LocalRunnerError):
    """A record lacks a key its prefix names: Firehose sends it to the error prefix."""


def evaluate(
    prefix: str,
    *,
    arrival: datetime,
    partition_keys: Mapping[str, str] | None = None,
    query_keys: Mapping[str, str] | None = None,
    error_output_type: str | None = None,
) -> str:
    """Return the prefix with its expressions evaluated for one object.

    Parameters
    ----------
    prefix:
        ``Prefix`` or ``ErrorOutputPrefix`` as configured (after the default time prefix rule,
        see ``effective_prefix``).
    arrival:
        Approximate arrival time of the oldest record of the object, in the stream's time zone.
    partition_keys, query_keys:
        The record's keys from the transform (``metadata.partitionKeys``) and from the JQ query.
    error_output_type:
        What ``!{firehose:error-output-type}`` stands for (error prefix only).

    Raises
    ------
    MissingPartitionKeyError
        A partition key the prefix names is not among the record's keys.

    Example
    -------
    >>> from datetime import datetime
    >>> evaluate("events/year=!{partitionKeyFromLambda:year}/", arrival=datetime(2024, 6, 1),
    ...          partition_keys={"year": "2024"})
    'events/year=2024/'
    """

    def replace(match: re.Match[str]) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            return format_timestamp(value, arrival)
        if namespace == "firehose":
            if value == "random-string":
                return random_string()
            if error_output_type is None:
                raise PrefixError("!{firehose:error-output-type} outside the error prefix")
            return error_output_type
        keys = partition_keys if namespace == "partitionKeyFromLambda" else query_keys
        if not keys or value not in keys or keys[value] in (None, ""):
            raise MissingPartitionKeyError(f"the record has no {namespace} key {value!r}")
        return str(keys[value])

    return _EXPRESSION.sub(replace, prefix)


def effective_prefix(prefix: str | None) -> str:
    """Return the prefix Firehose evaluates: a plain prefix gets the default time prefix."""
    prefix = prefix or ""
    if expressions(prefix):
        return prefix
    return f"{prefix}!{{timestamp:{DEFAULT_TIME_FORMAT}}}"


def effective_error_prefix(error_prefix: str | None, prefix: str | None) -> str:
    """Return the error prefix: without one, failures go under ``<Prefix><error type>/`` by hour.

    Raises:
        PrefixError: ``Prefix`` has expressions but no ``ErrorOutputPrefix`` is set (AWS refuses
            such a delivery stream).
    """
    if error_prefix:
        return error_prefix
    if prefix and expressions(prefix):
        raise PrefixError("a Prefix with expressions needs an ErrorOutputPrefix")
    return f"{prefix or ''}!{{firehose:error-output-type}}/!{{timestamp:{DEFAULT_TIME_FORMAT}}}"


def object_name(
    stream_name: str, version: int, moment: datetime, extension: str, *, object_id: str = ""
) -> str:
    """Return the suffix Firehose gives an object: ``<stream>-<version>-<time>-<uuid><ext>``.

    Example:
        >>> from datetime import datetime
        >>> object_name("clicks", 1, datetime(2024, 6, 1, 9, 5, 7), ".gz", object_id="0-1")
        'clicks-1-2024-06-01-09-05-07-0-1.gz'
    """
    stamp = format_timestamp("yyyy-MM-dd-HH-mm-ss", moment)
    return f"{stream_name}-{version}-{stamp}-{object_id or uuid.uuid4()}{extension}"
