"""The real ``Lookups``: sources from the menus, run under a time budget behind a breaker."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ivr.engine.lookups import FAILED, LookupResult
from ivr.lookup import ActionResult
from ivr.lookup.actions import ActionConfig
from ivr.lookup.breaker import CircuitBreaker
from ivr.lookup.config import SourceConfig
from ivr.lookup.policy import NotAllowed, SourcePolicy
from ivr.lookup.readonly import lookup_engine
from ivr.lookup.seal import Sealer
from ivr.lookup.sources import CsvSource, HttpSource, SourceError, SqlSource

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ivr.menu.model import Menu
    from ivr.search import SearchResult
    from ivr.search.config import CatalogueConfig
    from ivr.search.live import LiveCatalogues

log = logging.getLogger(__name__)
WORKERS_PER_SOURCE = 4  # a hung source ties up at most these threads, never the others'


class Source(Protocol):
    """Anything that fetches one record."""

    def fetch(self, params: Mapping[str, str], timeout: float) -> dict[str, Any] | None:
        """The record for ``params``, None when there is none; SourceError on failure."""
        ...


class Action(Protocol):
    """Anything that writes once."""

    def run(self, params: Mapping[str, Any], timeout: float) -> str:
        """DONE, ALREADY or REFUSED; SourceError (or NotAllowed) on failure."""
        ...


class LiveLookups:
    """Look records up in a menu's sources, within ``timeout`` seconds per lookup.

    Every source, of a published menu or a draft, gets only what ``policy`` (the
    operator's settings) allows: the menu's text cannot widen it.
    """

    def __init__(
        self,
        *,
        menus_dir: Path,
        policy: SourcePolicy,
        secret: str,
        database_url: str = "",
        timeout: float = 2.5,
        breaker_failures: int = 3,
        breaker_seconds: float = 30.0,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.menus_dir = menus_dir
        self.policy = policy
        self.database_url = database_url  # the app's own: only search's fixed catalogue queries
        self.timeout = timeout
        self.environ = os.environ if environ is None else environ
        self.breaker = CircuitBreaker(breaker_failures, breaker_seconds, clock)
        self._sealer = Sealer(secret)
        self._sources: dict[tuple[str, str, str], Source] = {}
        self._actions: dict[tuple[str, str, str], Action] = {}
        self._engines: dict[str, Engine] = {}
        self._pools: dict[tuple[str, str], ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    # ---- Lookups protocol ---------------------------------------------------

    def find(self, menu: Menu, source: str, params: Mapping[str, str]) -> LookupResult:
        """One record from ``menu``'s source, or why not; never slower than the budget."""
        config = menu.sources.get(source)
        if config is None:
            return LookupResult.failed("no_source")
        key = (menu.id, source)
        if not self.breaker.allow(key):
            log.warning("lookup source %s/%s skipped: circuit open after repeated failures",
                        menu.id, source)
            return LookupResult.failed("circuit_open")
        budget = config.timeout or self.timeout
        started = time.monotonic()
        try:
            src = self._source(menu, config)
            future: Future[dict[str, Any] | None] = self._pool(key).submit(src.fetch, params,
                                                                           budget)
            record = future.result(timeout=budget)
        except FutureTimeout:
            future.cancel()
            return self._failed(key, "timeout", started)
        except (SourceError, NotAllowed) as exc:
            return self._failed(key, exc.reason, started)
        except Exception:  # noqa: BLE001 - a broken source must not break the call
            log.exception("lookup source %s/%s raised", menu.id, source)
            return self._failed(key, "error", started)
        self.breaker.record(key, True)
        return LookupResult.found(record) if record is not None else LookupResult.not_found()

    def act(self, menu: Menu, action: str, params: Mapping[str, Any]) -> ActionResult:
        """Run one of ``menu``'s actions, within the budget and behind the breaker.

        A write that takes longer than the budget is reported as failed, though it may
        still land: the unique constraint (or the endpoint's 409) makes a second try say
        it was already done.
        """
        config = menu.actions.get(action)
        if config is None:
            return ActionResult(FAILED, "no_action")
        key = (menu.id, "action:" + action)
        if not self.breaker.allow(key):
            log.warning("action %s/%s skipped: circuit open after repeated failures",
                        menu.id, action)
            return ActionResult(FAILED, "circuit_open")
        budget = config.timeout or self.timeout
        started = time.monotonic()
        try:
            runner = self._action(menu, config)
            future: Future[str] = self._pool(key).submit(runner.run, params, budget)
            status = future.result(timeout=budget)
        except FutureTimeout:
            future.cancel()
            return ActionResult(FAILED, self._failed(key, "timeout", started).reason)
        except (SourceError, NotAllowed) as exc:
            return ActionResult(FAILED, self._failed(key, exc.reason, started).reason)
        except Exception:  # noqa: BLE001 - a broken action must not break the call
            log.exception("action %s/%s raised", menu.id, action)
            return ActionResult(FAILED, self._failed(key, "error", started).reason)
        self.breaker.record(key, True)
        return ActionResult(status)

    def seal(self, text: str, context: str) -> str:
        """Seal with the app's secret (see ``ivr.lookup.seal``)."""
        return self._sealer.seal(text, context)

    def unseal(self, token: str, context: str) -> str | None:
        """Open a token sealed by any worker with the same secret."""
        return self._sealer.unseal(token, context)

    # ---- plumbing -----------------------------------------------------------

    def _failed(self, key: tuple[str, str], reason: str, started: float) -> LookupResult:
        self.breaker.record(key, False)
        log.warning("lookup source %s/%s failed after %.0f ms: %s", key[0], key[1],
                    (time.monotonic() - started) * 1000, reason)
        return LookupResult.failed(reason.split(":", 1)[0])

    def _pool(self, key: tuple[str, str]) -> ThreadPoolExecutor:
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = ThreadPoolExecutor(WORKERS_PER_SOURCE, thread_name_prefix=f"lookup-{key[1]}")
                self._pools[key] = pool
            return pool

    def _source(self, menu: Menu, config: SourceConfig) -> Source:
        cache_key = (menu.id, menu.version, config.name)
        with self._lock:
            source = self._sources.get(cache_key)
            if source is None:
                source = self._make(config)
                self._sources[cache_key] = source
            return source

    def _make(self, config: SourceConfig) -> Source:
        if config.kind == "http":
            return HttpSource(config, self.policy, self.environ)
        if config.kind == "csv":
            return CsvSource(config, self.menus_dir / config.file)
        # Only a connection the operator declared; never the app's own database.
        connection = self.policy.connection(config.database)
        engine = self._engines.get(connection.name)
        if engine is None:
            engine = lookup_engine(connection, config.timeout or self.timeout)
            self._engines[connection.name] = engine
        return SqlSource(config, engine)

    def _action(self, menu: Menu, config: ActionConfig) -> Action:
        cache_key = (menu.id, menu.version, config.name)
        with self._lock:
            action = self._actions.get(cache_key)
            if action is None:
                action = self._make_action(config)
                self._actions[cache_key] = action
            return action

    def _make_action(self, config: ActionConfig) -> Action:
        from ivr.lookup.act import HttpAction, SqlAction

        if config.kind == "http":
            return HttpAction(config, self.policy, self.environ)
        # Only a writable connection the operator declared; never the app's own database
        # (the built-in demo one writes library_holds alone).
        connection = self.policy.action_connection(config.database)
        engine_key = "action:" + connection.name
        engine = self._engines.get(engine_key)
        if engine is None:
            from ivr.lookup.writable import action_engine

            engine = action_engine(connection, config.timeout or self.timeout)
            self._engines[engine_key] = engine
        return SqlAction(config, engine, connection)

    def close(self) -> None:
        """Stop the worker threads and close database connections."""
        with self._lock:
            for pool in self._pools.values():
                pool.shutdown(wait=False, cancel_futures=True)
            for engine in self._engines.values():
                engine.dispose()
            self._pools.clear()
            self._engines.clear()
            self._sources.clear()
            self._actions.clear()

    # ---- catalogue search (`type: search` nodes, ivr.search) ----------------

    @cached_property
    def catalogues(self) -> LiveCatalogues:
        """Searches in menus' catalogues, under this object's budget and breaker."""
        from ivr.search.live import LiveCatalogues

        return LiveCatalogues(self)

    def search(self, menu: Menu, config: CatalogueConfig, query: str, lang: str,
               limit: int) -> SearchResult:
        """The best items of a catalogue for a spoken query (see ``ivr.search``)."""
        return self.catalogues.search(menu, config, query, lang, limit)

    def item(self, menu: Menu, config: CatalogueConfig, key: str) -> SearchResult:
        """One catalogue item by its key."""
        return self.catalogues.item(menu, config, key)

    def spell(self, menu: Menu, config: CatalogueConfig, digits: str,
              limit: int) -> SearchResult:
        """The best items with a word the caller's keys spell (see ``ivr.search``)."""
        return self.catalogues.spell(menu, config, digits, limit)


def lookups_from_settings(settings: Mapping[str, Any], menus_dir: Path,
                          policy: SourcePolicy | None = None) -> LiveLookups:
    """The app's LiveLookups from its settings; ConfigError names a bad value."""
    from ivr.config import ConfigError

    def number(name: str, kind: type[float] | type[int]) -> float:
        try:
            return kind(settings[name])
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {settings[name]!r}") from None

    timeout = number("IVR_LOOKUP_TIMEOUT", float)
    failures = int(number("IVR_LOOKUP_BREAKER_FAILURES", int))
    cooldown = number("IVR_LOOKUP_BREAKER_SECONDS", float)
    if not 0.1 <= timeout <= 10:
        raise ConfigError(f"IVR_LOOKUP_TIMEOUT must be between 0.1 and 10 seconds (Twilio "
                          f"waits 15 s for the whole answer), not {timeout:g}")
    if failures < 1:
        raise ConfigError(f"IVR_LOOKUP_BREAKER_FAILURES must be at least 1, not {failures}")
    if cooldown < 0:
        raise ConfigError(f"IVR_LOOKUP_BREAKER_SECONDS must not be negative, not {cooldown:g}")
    if policy is None:
        policy = SourcePolicy.from_settings(settings)
    return LiveLookups(menus_dir=menus_dir, policy=policy,
                       secret=str(settings["SECRET_KEY"]),
                       database_url=str(settings["DATABASE_URL"]), timeout=timeout,
                       breaker_failures=failures, breaker_seconds=cooldown)
