"""What the engine asks of live data for `type: lookup` nodes, and what it gets back.

The engine declares this port; the webhooks pass in ``ivr.lookup.live.LiveLookups``, the
engine's tests a fake. Neither the engine nor this module imports any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ivr.menu.model import Menu

FOUND, NOT_FOUND, FAILED = "found", "not_found", "failed"


@dataclass(frozen=True)
class LookupResult:
    """A record, no record, or a source that failed (``reason``: timeout, error, ...)."""

    status: str
    record: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def found(cls, record: Mapping[str, Any]) -> LookupResult:
        """A record was found."""
        return cls(FOUND, dict(record))

    @classmethod
    def not_found(cls) -> LookupResult:
        """The source answered: there is no such record."""
        return cls(NOT_FOUND)

    @classmethod
    def failed(cls, reason: str) -> LookupResult:
        """The source did not answer usefully in time."""
        return cls(FAILED, reason=reason)


class Lookups(Protocol):
    """What the engine needs from the outside world to look records up."""

    def find(self, menu: Menu, source: str, params: Mapping[str, str]) -> LookupResult:
        """Look a record up in ``menu``'s source ``source`` (params: id, caller)."""
        ...

    def seal(self, text: str, context: str) -> str:
        """``text`` made unreadable for the callback URL (same text, same token)."""
        ...

    def unseal(self, token: str, context: str) -> str | None:
        """The text of a sealed token, or None when it was forged or is for another call."""
        ...
