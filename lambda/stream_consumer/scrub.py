"""The pure part of the scrubber: decode a stream record, validate it, drop its PII fields.

No AWS calls here, so every rule is unit-testable. A record is poison (``PoisonRecordError``,
with the reason) when retrying cannot help: data that is not a UTF-8 JSON object, an
``event_id`` that is missing, not a string, empty or longer than ``MAX_EVENT_ID``, or a scrubbed
item too large for DynamoDB. Decoding is linear in the record's size (base64, then one
``json.loads``), and the nesting depth is bounded by Python's JSON parser.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterable
from typing import Any, NamedTuple

#: Longest event id accepted: DynamoDB allows 2,048 bytes for a partition key
#: (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html); ids
#: are UUIDs or similar, so anything far longer is a producer bug.
MAX_EVENT_ID = 256
#: DynamoDB's item size limit is 400 KB (same page); the body stays well under it with the
#: item's other attributes.
MAX_BODY_BYTES = 350 * 1024


class PoisonRecordError(ValueError):
    """A record that can never be processed; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ScrubbedEvent(NamedTuple):
    """What is written for one event: its id, its type and its body without PII.

    A named tuple: immutable like a frozen dataclass, and built several times faster, which
    counts at thousands of records a batch (``bench/stream_consumer.py``).
    """

    event_id: str
    event_type: str
    body: str
    dropped: tuple[str, ...]


def decode(data_b64: str) -> dict[str, Any]:
    """Decode a Kinesis record's base64 ``data`` into the JSON object it must hold."""
    try:
        # base64.b64decode(data_b64, validate=True) without its wrapper: the same checks
        raw = binascii.a2b_base64(data_b64, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise PoisonRecordError("data is not valid base64") from exc
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PoisonRecordError("data is not UTF-8") from exc
    except RecursionError as exc:
        raise PoisonRecordError("data is nested too deeply") from exc
    except ValueError as exc:
        raise PoisonRecordError("data is not JSON") from exc
    if not isinstance(value, dict):
        raise PoisonRecordError(f"data is a JSON {type(value).__name__}, not an object")
    return value


def scrub(event: dict[str, Any], pii_fields: Iterable[str]) -> ScrubbedEvent:
    """Validate ``event`` and drop its PII fields (top-level keys, compared case-insensitively)."""
    event_id = event.get("event_id")
    if not isinstance(event_id, str):
        raise PoisonRecordError("event_id is missing or not a string")
    if not event_id.strip():
        raise PoisonRecordError("event_id is empty")
    if len(event_id) > MAX_EVENT_ID:
        raise PoisonRecordError(f"event_id is longer than {MAX_EVENT_ID} characters")
    event_type = event.get("event_type", "unknown")
    if not isinstance(event_type, str):
        raise PoisonRecordError("event_type is not a string")
    pii = pii_fields if isinstance(pii_fields, frozenset) else pii_set(pii_fields)
    dropped = _pii_keys(event, pii)
    if dropped:
        kept = dict(event)  # the same order, without the PII fields
        for key in dropped:
            del kept[key]
    else:
        kept = event
    # ASCII escapes keep the body valid UTF-8 whatever the input (lone surrogates included).
    body = json.dumps(kept)
    if len(body) > MAX_BODY_BYTES:
        raise PoisonRecordError(f"the scrubbed event is larger than {MAX_BODY_BYTES} bytes")
    return ScrubbedEvent(event_id=event_id, event_type=event_type[:128], body=body, dropped=dropped)


#: Per set of PII fields, per event shape (its top-level keys, in order): the PII keys, sorted.
#: A producer's events share a few shapes, so each shape's keys are lowercased and looked up
#: once; the shapes are forgotten when their keys pass ``_MAX_KEY_CHARACTERS`` in all, so hostile
#: keys cannot grow the memory held without bound.
_shapes: dict[frozenset[str], dict[tuple[str, ...], tuple[str, ...]]] = {}
_held = 0
_MAX_KEY_CHARACTERS = 64 * 1024


def _pii_keys(event: dict[str, Any], pii: frozenset[str]) -> tuple[str, ...]:
    """The event's PII keys (compared lowercased), sorted."""
    global _held
    shapes = _shapes.get(pii)
    if shapes is None:
        if len(_shapes) >= 8:  # one set per execution environment; more only in tests
            _shapes.clear()
            _held = 0
        shapes = _shapes[pii] = {}
    shape = tuple(event)
    found = shapes.get(shape)
    if found is None:
        found = tuple(sorted(key for key in shape if key.lower() in pii))
        size = sum(map(len, shape))
        if _held + size > _MAX_KEY_CHARACTERS:
            _shapes.clear()
            _held = 0
            shapes = _shapes[pii] = {}
        if size <= _MAX_KEY_CHARACTERS:
            shapes[shape] = found
            _held += size
    return found


def pii_set(pii_fields: Iterable[str]) -> frozenset[str]:
    """The PII field names, lowercased for the comparison ``scrub`` makes."""
    return frozenset(f.lower() for f in pii_fields)
