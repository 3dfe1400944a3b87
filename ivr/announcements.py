"""Announcements: a message an admin puts before the menu on every new call, per language.

Kept apart from menu versions (setting one never makes a new version, nor needs a
publish): a row per menu and language, with who set it, until when, and who cleared
it. A new call hears every active announcement of its line, in each language given,
before the menu's start node; one past its ``until`` is no longer heard.

New calls read the announcements on the air from memory: each process reads them all
(a few rows: at most one per line and language) at most every ``FRESH_FOR`` seconds, and
at once after any change made in the process (``changed``). So a change made elsewhere
(another worker, the command line) is heard on that process's new calls within
``FRESH_FOR`` seconds; ``until`` is checked on every call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata
from ivr.engine.types import Play, Speak
from ivr.menu.model import Menu

MAX_TEXT = 600  # characters: about forty seconds of speech
FRESH_FOR = 2.0  # seconds a process keeps the announcements on the air without reading them
_changes = [0]  # bumped by every change made in this process: caches read again at once


def changed() -> None:
    """Announcements were changed by this process: every cache reads them again."""
    _changes[0] += 1

announcements = sa.Table(
    "announcements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("menu", sa.String(64), nullable=False),
    sa.Column("lang", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("until", sa.DateTime(timezone=True)),
    sa.Column("set_by", sa.String(64), nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cleared_by", sa.String(64)),
    sa.Column("cleared_at", sa.DateTime(timezone=True)),
    # Recorded by phone (ivr.recorded_announcements): a draft until an admin approves it.
    sa.Column("status", sa.String(10), nullable=False, server_default="live"),
    sa.Column("audio", sa.String(300)),  # under the prompts folder, once fetched
    sa.Column("recording_sid", sa.String(64)),
    sa.Column("recording_url", sa.String(500)),
    sa.Column("approved_by", sa.String(64)),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Index("ix_announcements_menu", "menu", "cleared_at"),
    sa.UniqueConstraint("recording_sid", name="uq_announcements_recording_sid"),
)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# Replaced ones are cleared, so this is at most a row per line and language.
_ON_AIR = (sa.select(announcements).where(announcements.c.cleared_at.is_(None),
                                          announcements.c.status == "live")
           .order_by(announcements.c.id))


class Announcements:
    """Announcements in the database."""

    def __init__(self, engine: Engine, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # (read at, changes seen, rows on the air by menu)
        self._on_air: tuple[float, int, dict[str, list[dict[str, Any]]]] | None = None

    def set(self, menu: str, lang: str, text: str, by: str, now: datetime,
            until: datetime | None = None) -> int:
        """Announce ``text`` on ``menu`` in ``lang`` (replacing that language's current one)."""
        try:
            with self.engine.begin() as conn:
                self._clear(conn, menu, lang, by, now)
                return int(conn.execute(sa.insert(announcements).values(
                    menu=menu[:64], lang=lang[:16], text=text[:MAX_TEXT], set_by=by[:64],
                    set_at=_utc(now), until=_utc(until) if until else None,
                ).returning(announcements.c.id)).scalar_one())
        finally:
            changed()

    def clear(self, menu: str, by: str, now: datetime, lang: str | None = None) -> int:
        """End ``menu``'s announcements (in one language, or all); how many were on."""
        try:
            with self.engine.begin() as conn:
                return self._clear(conn, menu, lang, by, now)
        finally:
            changed()

    @staticmethod
    def _clear(conn: sa.Connection, menu: str, lang: str | None, by: str, now: datetime) -> int:
        c = announcements.c
        query = announcements.update().where(c.menu == menu, c.cleared_at.is_(None),
                                             c.status == "live")
        if lang is not None:
            query = query.where(c.lang == lang)
        return int(conn.execute(query.values(cleared_by=by[:64], cleared_at=_utc(now))).rowcount)

    def active(self, menu: str, now: datetime) -> list[dict[str, Any]]:
        """``menu``'s announcements heard now (read at most every FRESH_FOR seconds)."""
        moment = _utc(now)
        return [row for row in self._on_the_air().get(menu, ())
                if row["until"] is None or _utc(row["until"]) > moment]

    def _on_the_air(self) -> dict[str, list[dict[str, Any]]]:
        """Every line's live, uncleared announcements, oldest first (a few rows)."""
        cached = self._on_air
        if cached is not None and self._fresh(cached):
            return cached[2]
        with self._lock:  # one thread reads; the others wait for its rows
            cached = self._on_air
            if cached is not None and self._fresh(cached):
                return cached[2]
            seen, read_at = _changes[0], self._monotonic()
            by_menu: dict[str, list[dict[str, Any]]] = {}
            with self.engine.connect() as conn:
                for row in conn.execute(_ON_AIR):
                    by_menu.setdefault(row.menu, []).append(dict(row._mapping))
            self._on_air = (read_at, seen, by_menu)
            return by_menu

    def _fresh(self, cached: tuple[float, int, Any]) -> bool:
        """Read since the last change in this process, and not long ago."""
        return cached[1] == _changes[0] and self._monotonic() - cached[0] < FRESH_FOR

    def history(self, menu: str, limit: int = 50) -> list[dict[str, Any]]:
        """``menu``'s announcements, newest first, with who set and cleared them."""
        query = (sa.select(announcements).where(announcements.c.menu == menu)
                 .order_by(announcements.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def spoken(menu: Menu, rows: list[dict[str, Any]]) -> list[Speak | Play]:
    """The active announcements as the caller hears them, in the menu's language order: a
    recording (approved, see ivr.recorded_announcements) plays, a text is said."""
    by_lang = {row["lang"]: row for row in rows}
    heard: list[Speak | Play] = []
    for code, language in menu.languages.items():
        row = by_lang.get(code)
        if row is None:
            continue
        if row.get("audio"):
            heard.append(Play(str(row["audio"]), str(row.get("text") or "")))
        elif row.get("text"):
            heard.append(Speak(row["text"], language.locale, language.voice))
    return heard

