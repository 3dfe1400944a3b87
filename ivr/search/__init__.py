"""Search a catalogue by what the caller says: what the engine asks for and gets back.

A `type: search` node asks an injected ``Catalogues`` (the webhooks' ``LiveLookups``)
for the best few items matching a spoken query, and later for one item by its key.
This module imports nothing that does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ivr.lookup import FAILED, FOUND, NOT_FOUND

if TYPE_CHECKING:
    from ivr.menu.model import Menu
    from ivr.search.config import CatalogueConfig

MAX_RESULTS = 3


@dataclass(frozen=True)
class SearchResult:
    """Items found (best first), none, or a source that failed (``reason``: timeout, ...)."""

    status: str
    items: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    reason: str = ""
    # How sure: "" or "found" (the items match what was named), "not_found" (they do not:
    # ``items`` holds at most the closest, to offer as one alternative) or "missing" (items
    # match but none has every attribute stated: ``missing``, none read) or "out_of_stock"
    # (the items match, and none is in stock: said before they are read).
    verdict: str = ""
    named: str = ""  # what the caller named, as said
    missing: tuple[str, str, tuple[str, ...]] | tuple[()] = ()  # attribute, value wanted, values there

    @classmethod
    def found(cls, items: Sequence[Mapping[str, Any]]) -> SearchResult:
        """Some items matched (or, for a key, the one item)."""
        if not items:
            return cls(NOT_FOUND)
        return cls(FOUND, tuple(dict(i) for i in items))

    @classmethod
    def failed(cls, reason: str) -> SearchResult:
        """The source did not answer usefully in time."""
        return cls(FAILED, reason=reason)


@runtime_checkable
class Catalogues(Protocol):
    """What a search node needs from the outside world."""

    def search(self, menu: Menu, config: CatalogueConfig, query: str, lang: str,
               limit: int) -> SearchResult:
        """The best ``limit`` items of the catalogue for a spoken ``query`` in ``lang``."""
        ...

    def item(self, menu: Menu, config: CatalogueConfig, key: str) -> SearchResult:
        """One item by its key (the catalogue's ``id`` field)."""
        ...


@runtime_checkable
class Spelling(Protocol):
    """Search by the keys a caller pressed to spell a word (2 = A B C, ...)."""

    def spell(self, menu: Menu, config: CatalogueConfig, digits: str,
              limit: int) -> SearchResult:
        """The best ``limit`` items holding a word that those keys spell, or start to."""
        ...


__all__ = ["FAILED", "FOUND", "MAX_RESULTS", "NOT_FOUND", "Catalogues", "SearchResult",
           "Spelling"]
