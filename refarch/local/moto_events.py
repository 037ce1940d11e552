"""EventBridge's ``TestEventPattern``, which moto 5.2.5 leaves unimplemented (an empty answer).

``TestEventPattern`` "tests whether the specified event pattern matches the provided event"
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html): it
answers ``{"Result": true|false}``, matched with the same pattern matcher moto's rules (and the
runner's event bus, ``sources.events``) use. ``moto_patches`` installs it inside the emulator.
"""

from __future__ import annotations

import json

from moto.events.models import EventPattern
from moto.events.responses import EventsHandler


def test_event_pattern(self: EventsHandler) -> str:
    """``TestEventPattern``: whether the event matches the pattern."""
    pattern = EventPattern.load(self._get_param("EventPattern"))
    return json.dumps({"Result": pattern.matches_event(json.loads(self._get_param("Event")))})


test_event_pattern.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
