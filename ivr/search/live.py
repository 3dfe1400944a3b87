"""Catalogue searches for the webhooks: the lookup time budget, pools and circuit breaker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ivr.lookup.breaker import CircuitBreaker
from ivr.lookup.policy import SourcePolicy
from ivr.lookup.sources import SourceError
from ivr.search import SearchResult
from ivr.search.config import CatalogueConfig
from ivr.search.match import SPELLED, query_words
from ivr.search.sources import Catalogue, CsvCatalogue, HttpCatalogue

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ivr.menu.model import Menu

log = logging.getLogger(__name__)


class SharedLookups(Protocol):
    """What the catalogues share of the live lookups (``ivr.lookup.live.LiveLookups``,
    which makes this object): the budget, the breaker, the pools and the engines."""

    menus_dir: Path
    policy: SourcePolicy
    database_url: str
    timeout: float
    environ: Mapping[str, str]
    breaker: CircuitBreaker
    _engines: dict[str, Engine]

    def _pool(self, key: tuple[str, str]) -> ThreadPoolExecutor:
        ...


class LiveCatalogues:
    """Search the catalogues that menus declare, sharing the lookups' budget and breaker."""

    def __init__(self, lookups: SharedLookups) -> None:
        self.lookups = lookups
        self._catalogues: dict[tuple[str, str], Catalogue] = {}
        self._lock = threading.Lock()

    def search(self, menu: Menu, config: CatalogueConfig, query: str, lang: str,
               limit: int) -> SearchResult:
        """The best items for a spoken query; nothing for a query of noise words."""
        words = query_words(query, lang)
        if not words:
            return SearchResult.found([])
        return self._run(menu, config, lambda c: c.search(words, limit))

    def spell(self, menu: Menu, config: CatalogueConfig, digits: str,
              limit: int) -> SearchResult:
        """Items with a word those keys spell (2-9; at least two, at most 20)."""
        keys = "".join(c for c in digits if c in "23456789")[:20]
        if len(keys) < 2:
            return SearchResult.found([])
        return self._run(menu, config, lambda c: c.search([SPELLED + keys], limit))

    def item(self, menu: Menu, config: CatalogueConfig, key: str) -> SearchResult:
        """One item by key, within the budget."""
        def one(catalogue: Catalogue) -> list[dict[str, Any]]:
            found = catalogue.item(key[:64])
            return [found] if found is not None else []

        return self._run(menu, config, one)

    def _run(self, menu: Menu, config: CatalogueConfig,
             task: Callable[[Catalogue], list[dict[str, Any]]]) -> SearchResult:
        key = (menu.id, "search:" + config.cache_key)
        breaker = self.lookups.breaker
        if not breaker.allow(key):
            log.warning("catalogue %s/%s skipped: circuit open after repeated failures",
                        menu.id, config.cache_key)
            return SearchResult.failed("circuit_open")
        budget = config.timeout or self.lookups.timeout
        started = time.monotonic()
        try:
            catalogue = self._catalogue(menu, config)
            future = self.lookups._pool(key).submit(task, catalogue)
            items = future.result(timeout=budget)
        except FutureTimeout:
            future.cancel()
            return self._failed(key, "timeout", started)
        except SourceError as exc:
            return self._failed(key, exc.reason, started)
        except Exception:  # noqa: BLE001 - a broken catalogue must not break the call
            log.exception("catalogue %s/%s raised", *key)
            return self._failed(key, "error", started)
        breaker.record(key, True)
        return SearchResult.found(list(items))

    def _failed(self, key: tuple[str, str], reason: str, started: float) -> SearchResult:
        self.lookups.breaker.record(key, False)
        log.warning("catalogue %s/%s failed after %.0f ms: %s", key[0], key[1],
                    (time.monotonic() - started) * 1000, reason)
        return SearchResult.failed(reason.split(":", 1)[0])

    def warm(self, menus: Mapping[str, Menu]) -> int:
        """Index every CSV catalogue of ``menus`` now (a file that changed is read again),
        and read every imported SQL catalogue's vocabulary."""
        from ivr.nodes.search import SearchNode
        from ivr.search.sql import SqlCatalogue

        ready = 0
        for menu in list(menus.values()):
            for node in list(menu.nodes.values()):
                config = node.catalogue if isinstance(node, SearchNode) else None
                if config is None or config.kind not in ("csv", "sql"):
                    continue
                catalogue = self._catalogue(menu, config)
                try:
                    if isinstance(catalogue, CsvCatalogue):
                        catalogue.index()
                        ready += 1
                    elif isinstance(catalogue, SqlCatalogue) and catalogue.warm():
                        ready += 1
                except SourceError as exc:
                    log.warning("catalogue %s/%s not indexed: %s", menu.id, config.cache_key,
                                exc.reason)
        return ready

    def _catalogue(self, menu: Menu, config: CatalogueConfig) -> Catalogue:
        # One index per menu and file, kept across menu versions while its fields stay the same.
        cache_key = (menu.id, config.cache_key)
        with self._lock:
            catalogue = self._catalogues.get(cache_key)
            if catalogue is None or catalogue.config != config:
                catalogue = self._make(config)
                self._catalogues[cache_key] = catalogue
            return catalogue

    def _make(self, config: CatalogueConfig) -> Catalogue:
        if config.kind == "csv":
            return CsvCatalogue(config, self.lookups.menus_dir / config.file)
        if config.kind == "http":
            return HttpCatalogue(config, self.lookups.policy, self.lookups.environ,
                                 config.timeout or self.lookups.timeout)
        from ivr.lookup.readonly import catalogue_engine
        from ivr.search.sql import SqlCatalogue

        url = self.lookups.database_url
        key = f"catalogue:{url}"
        engines = self.lookups._engines  # shared, so that LiveLookups.close() disposes it
        if key not in engines:
            engines[key] = catalogue_engine(url, config.timeout or self.lookups.timeout)
        return SqlCatalogue(config, engines[key])
