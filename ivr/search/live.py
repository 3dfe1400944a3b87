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

import yaml

from ivr.lookup.breaker import CircuitBreaker
from ivr.lookup.policy import SourcePolicy
from ivr.lookup.sources import SourceError
from ivr.search import FOUND, NOT_FOUND, SearchResult
from ivr.search.answer import (
    Decision,
    Vocabulary,
    decide,
    ranked_for,
    search_words,
    understand,
    vocabulary,
)
from ivr.search.config import CatalogueConfig
from ivr.search.forms import use_languages
from ivr.search.forms import warm as warm_forms
from ivr.search.match import SPELLED, query_words
from ivr.search.sources import Catalogue, CsvCatalogue, HttpCatalogue
from ivr.search.terms import EMPTY, MAX_FILE_BYTES, Terms, TermsError, parse_terms

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


def read_terms(path: Path) -> Terms:
    """A terms file (``ivr.search.terms``); TermsError when it is unreadable or malformed."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TermsError(f"larger than {MAX_FILE_BYTES} bytes")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TermsError(f"unreadable ({type(exc).__name__})") from None
    return parse_terms(data)


class LiveCatalogues:
    """Search the catalogues that menus declare, sharing the lookups' budget and breaker."""

    def __init__(self, lookups: SharedLookups) -> None:
        self.lookups = lookups
        self._catalogues: dict[tuple[str, str], Catalogue] = {}
        self._lock = threading.Lock()
        self._terms: dict[Path, tuple[tuple[int, int], Terms]] = {}
        self._known: dict[tuple[int, str], tuple[object, Vocabulary]] = {}

    def search(self, menu: Menu, config: CatalogueConfig, query: str, lang: str,
               limit: int) -> SearchResult:
        """The items to read for a spoken query (``ivr.search.answer``): those that match
        what the caller named and every attribute stated, or why there are none."""
        if not query_words(query, lang):
            return SearchResult.found([])
        terms = self.terms(config, lang)

        def task(catalogue: Catalogue) -> Decision:
            asked = understand(query, lang, self._vocabulary(catalogue, config, lang, terms))
            words = search_words(asked, query, lang)
            rows = catalogue.search(words, ranked_for(asked))
            return decide(rows, asked, config.attributes, limit, lang, terms, config.in_stock)

        result = self._run(menu, config, task)
        if not isinstance(result, Decision):
            return result
        return SearchResult(FOUND if result.items else NOT_FOUND, result.items,
                            verdict=result.verdict, named=result.named, missing=result.missing)

    def terms(self, config: CatalogueConfig, lang: str) -> Terms:
        """The catalogue's terms file for ``lang``, read again when it changes; none when
        there is no such file or it is malformed (logged)."""
        if not config.terms:
            return EMPTY
        path = self.lookups.menus_dir / config.terms.replace("{lang}", lang.split("-")[0])
        try:
            stat = path.stat()
        except OSError:
            return EMPTY
        signature = (stat.st_mtime_ns, stat.st_size)
        cached = self._terms.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        try:
            terms = read_terms(path)
        except TermsError as exc:
            log.warning("terms file %s ignored: %s", path.name, exc)
            terms = EMPTY
        self._terms[path] = (signature, terms)
        return terms

    def _vocabulary(self, catalogue: Catalogue, config: CatalogueConfig, lang: str,
                    terms: Terms) -> Vocabulary:
        """The attribute values and names to look for: a CSV catalogue's own values and
        the terms file's (for other catalogues, the terms file's alone)."""
        rows: list[dict[str, Any]] = []
        source: object = terms
        if isinstance(catalogue, CsvCatalogue) and config.attributes:
            index = catalogue.index()
            rows, source = index.rows, (index, terms)
        key = (id(catalogue), lang)
        cached = self._known.get(key)
        if cached is not None and cached[0] is source or (
                cached is not None and cached[0] == source):
            return cached[1]
        known = vocabulary(config.attributes, rows, terms)
        self._known[key] = (source, known)
        return known

    def spell(self, menu: Menu, config: CatalogueConfig, digits: str,
              limit: int) -> SearchResult:
        """Items with a word those keys spell (2-9; at least two, at most 20)."""
        keys = "".join(c for c in digits if c in "23456789")[:20]
        if len(keys) < 2:
            return SearchResult.found([])
        return _listed(self._run(menu, config, lambda c: c.search([SPELLED + keys], limit)))

    def item(self, menu: Menu, config: CatalogueConfig, key: str) -> SearchResult:
        """One item by key, within the budget."""
        def one(catalogue: Catalogue) -> list[dict[str, Any]]:
            found = catalogue.item(key[:64])
            return [found] if found is not None else []

        return _listed(self._run(menu, config, one))

    def _run(self, menu: Menu, config: CatalogueConfig,
             task: Callable[[Catalogue], Any]) -> SearchResult | Decision:
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
        return items if isinstance(items, Decision) else SearchResult.found(list(items))

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
        use_languages({lang for menu in menus.values() for lang in menu.languages})
        warm_forms()
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


def _listed(result: SearchResult | Decision) -> SearchResult:
    """A search's answer where no decision was asked for (spelling, one item by key)."""
    if isinstance(result, Decision):
        return SearchResult.found(list(result.items))
    return result
