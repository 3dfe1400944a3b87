"""How long callers' words are kept: an admin's setting, and the worker job that enforces it.

Spoken inputs on journey lines (what a caller said) are replaced by ``[removed]`` once
older than the retention period; keys pressed, nodes, outcomes and the rollups stay,
so the figures do not change when the words go.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from ivr.data.facts import KEY_CHARS
from ivr.data.rollup import analytics_settings
from ivr.data.tables import journey_steps, upsert_insert

log = logging.getLogger(__name__)
SETTING = "utterance_days"
DEFAULT_DAYS = 90
MIN_DAYS, MAX_DAYS = 1, 3650
REMOVED = "[removed]"
# Events whose input may be a caller's words (keys are kept: they are not personal).
WORDS_EVENTS = ("speech", "no_match", "nothing_found", "not_confirmed", "confirm", "choice",
                "language", "refine", "search", "search_again")
EVERY_SECONDS = 3600.0  # the worker purges at most this often
CHUNK = 1_000


def utterance_days(engine: sa.Engine) -> int:
    """Days callers' words are kept (the admin's setting, else the default)."""
    with engine.connect() as conn:
        value = conn.execute(sa.select(analytics_settings.c.value).where(
            analytics_settings.c.name == SETTING)).scalar()
    try:
        return min(MAX_DAYS, max(MIN_DAYS, int(value))) if value is not None else DEFAULT_DAYS
    except ValueError:
        return DEFAULT_DAYS


def set_utterance_days(engine: sa.Engine, days: int) -> None:
    """Keep callers' words ``days`` days (1 to 3650)."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"keep words {MIN_DAYS} to {MAX_DAYS} days")
    stmt = upsert_insert(engine, analytics_settings).values(name=SETTING, value=str(days))
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={"value": str(days)})
    with engine.begin() as conn:
        conn.execute(stmt)


def purge_utterances(engine: sa.Engine, now: datetime) -> int:
    """Remove callers' words older than the retention period; returns lines changed."""
    cutoff = now - timedelta(days=utterance_days(engine))
    s = journey_steps.c
    query = (sa.select(s.id, s.input).where(s.at < cutoff, s.event.in_(WORDS_EVENTS),
                                            s.input != "", s.input != REMOVED))
    with engine.connect() as conn:
        ids = [row.id for row in conn.execute(query)
               if not all(c in KEY_CHARS for c in row.input)]
    for start in range(0, len(ids), CHUNK):
        with engine.begin() as conn:
            conn.execute(journey_steps.update().where(s.id.in_(ids[start:start + CHUNK]))
                         .values(input=REMOVED))
    if ids:
        log.info("callers' words removed from %d journey line(s) older than %s", len(ids),
                 cutoff.date().isoformat())
    return len(ids)


def purge_job(engine: sa.Engine, clock: Callable[[], datetime],
              every: float = EVERY_SECONDS) -> Callable[[], int]:
    """A worker job that purges at most once per ``every`` seconds."""
    last = [-every]

    def purge_old_utterances() -> int:
        if time.monotonic() - last[0] < every:
            return 0
        last[0] = time.monotonic()
        return purge_utterances(engine, clock())

    return purge_old_utterances
