"""Filter criteria of an event source mapping, evaluated as Lambda evaluates them.

Lambda's filter patterns use EventBridge's pattern syntax
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html), so they are
matched with the same matcher as the runner's EventBridge rules (``sources.events``: moto's
``EventPattern``). A record is kept when it matches any of the mapping's filters (at most 5).
What a pattern sees is the record's metadata plus its data under the source's data key
(``body`` for SQS): a JSON body is matched as the object it decodes to, any other body as a
plain string, as the page above describes for each source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventPattern

#: Lambda accepts at most this many filters per mapping.
MAX_FILTERS = 5


@dataclass(frozen=True)
class FilterCriteria:
    """The mapping's ``FilterCriteria.Filters`` patterns (none: every record passes)."""

    patterns: tuple[str, ...] = ()

    @classmethod
    def from_property(cls, value: dict[str, Any] | None) -> FilterCriteria:
        """Read ``{"Filters": [{"Pattern": "<json>"}, …]}`` from the template."""
        filters = (value or {}).get("Filters", [])
        if len(filters) > MAX_FILTERS:
            raise ValueError(f"at most {MAX_FILTERS} filters per event source mapping")
        patterns = tuple(
            f["Pattern"] if isinstance(f["Pattern"], str) else json.dumps(f["Pattern"])
            for f in filters
        )
        for pattern in patterns:
            EventPattern.load(pattern)  # an invalid pattern fails at deploy, as in AWS
        return cls(patterns)

    def matches(self, record: dict[str, Any], data_key: str) -> bool:
        """Return True if ``record`` passes (any filter matches, or there are none)."""
        if not self.patterns:
            return True
        seen = dict(record)
        raw = record.get(data_key)
        if isinstance(raw, str):
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = raw
            seen[data_key] = decoded if isinstance(decoded, dict) else raw
        return self.matches_view(seen)

    def matches_view(self, view: dict[str, Any]) -> bool:
        """Return True if a record's filter view (data already decoded) passes."""
        if not self.patterns:
            return True
        return any(EventPattern.load(p).matches_event(view) for p in self.patterns)
