"""Live data for `type: lookup` nodes: what the engine asks for and what it gets back.

The engine stays pure: a lookup node asks an injected ``Lookups`` object for a
record and gets a ``LookupResult``. The webhooks inject ``LiveLookups``
(``ivr.lookup.live``: SQL, HTTP and CSV sources with a time budget and a circuit
breaker); engine tests inject a fake. This module imports nothing that does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ivr.menu.model import Menu

FOUND, NOT_FOUND, FAILED = "found", "not_found", "failed"
# What an action (a write: ``ivr.lookup.actions``) did: done now, done before (a unique
# constraint, HTTP 409), refused by the data (no row written, HTTP 422), or FAILED.
DONE, ALREADY, REFUSED = "done", "already", "refused"


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


@dataclass(frozen=True)
class ActionResult:
    """What an action did: DONE, ALREADY, REFUSED or FAILED (``reason``: timeout, ...)."""

    status: str
    reason: str = ""


@runtime_checkable
class Actions(Protocol):
    """Writes a lookup node's ``action`` asks for, once the caller is identified."""

    def act(self, menu: Menu, action: str, params: Mapping[str, str]) -> ActionResult:
        """Run ``menu``'s action ``action`` (params: id, item, caller, record fields)."""
        ...


__all__ = ["ALREADY", "DONE", "FAILED", "FOUND", "NOT_FOUND", "REFUSED", "ActionResult",
           "Actions", "LookupResult", "Lookups"]
