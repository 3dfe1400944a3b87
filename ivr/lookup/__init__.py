"""Live data for `type: lookup` nodes: what a lookup node asks for and what it gets back.

The engine stays pure: a lookup node asks an injected ``Lookups`` object (the port the
engine declares, ``ivr.engine.lookups``) for a record and gets a ``LookupResult``, and
an ``Actions`` object (here) for a write. The webhooks inject ``LiveLookups``
(``ivr.lookup.live``: SQL, HTTP and CSV sources with a time budget and a circuit
breaker); engine tests inject a fake. This module imports nothing that does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ivr.engine.lookups import FAILED, FOUND, NOT_FOUND, LookupResult, Lookups

if TYPE_CHECKING:
    from ivr.menu.model import Menu

# What an action (a write: ``ivr.lookup.actions``) did: done now, done before (a unique
# constraint, HTTP 409), refused by the data (no row written, HTTP 422), or FAILED.
DONE, ALREADY, REFUSED = "done", "already", "refused"


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
           "Actions", "LookupResult", "Lookups"]  # the engine's port (ivr.engine.lookups) too
