"""Callers in queues and agents' states, in the database (shared by every worker).

A caller's row is written when the call joins a queue (<Enqueue>), marked with why
they left (the wait URL's <Leave>), and closed with Twilio's QueueResult. Agents are
the numbers of queue nodes; they are available unless they said otherwise (a row
with ``available`` false), and ``ringing_sid`` is the call ringing them for a caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata, upsert_insert

STALE = timedelta(hours=4)  # a caller still "waiting" after this was lost (never reported)
AWAY_CACHE_SECONDS = 1.0  # agents' states are read at most once a second per worker
REASONS = ("key", "max_wait", "full", "no_agent", "gone")

queue_calls = sa.Table(
    "queue_calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
    sa.Column("menu", sa.String(64), nullable=False),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("queue", sa.String(64), nullable=False),
    sa.Column("lang", sa.String(16)),
    sa.Column("from_number", sa.String(64)),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("left_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(24), nullable=False, server_default="waiting"),
    sa.Column("reason", sa.String(16)),  # why a caller left: key, max_wait, full, no_agent
    sa.Column("waited", sa.Integer),  # Twilio's QueueTime at the end, in seconds
    sa.Column("agent", sa.String(64)),  # the agent who took the call
    sa.Index("ix_queue_calls_waiting", "status", "queue"),
)

queue_agents = sa.Table(
    "queue_agents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("available", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64)),
    sa.Column("ringing_sid", sa.String(64)),  # the call ringing this agent for a caller
    sa.Column("ringing_since", sa.DateTime(timezone=True)),
    sa.Column("ringing_queue", sa.String(64)),
    sa.Column("state", sa.String(16), nullable=False, server_default=""),  # "", ringing, talking
)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


class QueueStore:
    """Callers in queues and agents' availability; also the engine's ``Queues`` port."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock
        self._away: tuple[float, frozenset[str]] | None = None

    # ---- callers ------------------------------------------------------------------------

    def joined(self, call_sid: str, now: datetime, **fields: Any) -> None:
        """The call joined a queue (again, if it had left one before)."""
        values = {k: str(fields.get(k) or "")[:64] for k in ("menu", "node", "queue", "from_number")}
        values["lang"] = str(fields.get("lang") or "")[:16]
        fresh = {"joined_at": _utc(now), "left_at": None, "status": "waiting", "reason": None,
                 "waited": None, "agent": None, **values}
        stmt = upsert_insert(self.engine, queue_calls).values(call_sid=call_sid, **fresh)
        stmt = stmt.on_conflict_do_update(index_elements=["call_sid"], set_=fresh)
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def left(self, call_sid: str, reason: str) -> None:
        """Why a waiting caller is leaving (kept for the <Enqueue> action)."""
        reason = reason if reason in REASONS else "gone"
        with self.engine.begin() as conn:
            conn.execute(queue_calls.update().where(
                queue_calls.c.call_sid == call_sid, queue_calls.c.status == "waiting",
            ).values(reason=reason))

    def reason_of(self, call_sid: str) -> str:
        """Why the caller left their queue ("" when unknown)."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(queue_calls.c.reason).where(
                queue_calls.c.call_sid == call_sid)).scalar()
        return str(found or "")

    def lang_of(self, call_sid: str) -> str:
        """The language of a caller in a queue ("" when unknown)."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(queue_calls.c.lang).where(
                queue_calls.c.call_sid == call_sid)).scalar()
        return str(found or "")

    def ended(self, call_sid: str, result: str, waited: int, now: datetime) -> None:
        """The wait ended with Twilio's QueueResult."""
        with self.engine.begin() as conn:
            conn.execute(queue_calls.update().where(
                queue_calls.c.call_sid == call_sid, queue_calls.c.status == "waiting",
            ).values(status=result[:24], waited=waited, left_at=_utc(now)))

    def waiting(self, queue: str) -> int:
        """How many callers wait in ``queue`` now (the engine's port)."""
        since = _utc(self.clock()) - STALE
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.count()).select_from(queue_calls).where(
                queue_calls.c.status == "waiting", queue_calls.c.queue == queue,
                queue_calls.c.joined_at > since)).scalar()
        return int(found or 0)

    def waiting_callers(self, limit: int = 200) -> list[dict[str, Any]]:
        """Every caller waiting now, longest wait first."""
        since = _utc(self.clock()) - STALE
        query = (sa.select(queue_calls).where(queue_calls.c.status == "waiting",
                                              queue_calls.c.joined_at > since)
                 .order_by(queue_calls.c.joined_at, queue_calls.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # ---- agents -------------------------------------------------------------------------

    def agents_available(self, menu: str, node: str, agents: tuple[str, ...]) -> int:
        """How many of ``agents`` have not said they are away (the engine's port)."""
        away = self._away_numbers()
        return sum(1 for number in agents if number not in away)

    def _away_numbers(self) -> frozenset[str]:
        cached = self._away
        if cached is not None and time.monotonic() - cached[0] < AWAY_CACHE_SECONDS:
            return cached[1]
        with self.engine.connect() as conn:
            numbers = frozenset(str(n) for n in conn.execute(sa.select(queue_agents.c.number).where(
                queue_agents.c.available.is_(False))).scalars())
        self._away = (time.monotonic(), numbers)
        return numbers

    def set_available(self, number: str, available: bool, by: str, now: datetime) -> None:
        """An agent says they are available (or away)."""
        values = {"available": available, "updated_at": _utc(now), "updated_by": by[:64]}
        stmt = upsert_insert(self.engine, queue_agents).values(number=number[:64], **values)
        stmt = stmt.on_conflict_do_update(index_elements=["number"], set_=values)
        with self.engine.begin() as conn:
            conn.execute(stmt)
        self._away = None

    def agent_states(self, numbers: list[str]) -> dict[str, dict[str, Any]]:
        """The stored state of each of ``numbers`` (absent: available, never changed)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(queue_agents).where(queue_agents.c.number.in_(numbers)))
            return {str(row.number): dict(row._mapping) for row in rows}

    # ---- ringing agents -----------------------------------------------------------------

    def claim_agent(self, number: str, queue: str, now: datetime, stale: timedelta) -> bool:
        """Mark an available, free agent as being rung for ``queue``; False if they are not."""
        now = _utc(now)
        insert = upsert_insert(self.engine, queue_agents).values(
            number=number[:64], available=True, updated_at=now, state="")
        with self.engine.begin() as conn:
            conn.execute(insert.on_conflict_do_nothing(index_elements=["number"]))
            c = queue_agents.c
            claimed = conn.execute(queue_agents.update().where(
                c.number == number, c.available.is_(True),
                sa.or_(c.state == "", c.ringing_since < now - stale),
            ).values(state="ringing", ringing_sid="", ringing_queue=queue[:64],
                     ringing_since=now)).rowcount
        return bool(claimed)

    def rung(self, number: str, call_sid: str) -> None:
        """The REST call ringing the agent was placed."""
        with self.engine.begin() as conn:
            conn.execute(queue_agents.update().where(queue_agents.c.number == number)
                         .values(ringing_sid=call_sid[:64]))

    def release(self, number: str) -> None:
        """The agent is free again (the ring could not be placed)."""
        with self.engine.begin() as conn:
            conn.execute(queue_agents.update().where(queue_agents.c.number == number)
                         .values(state="", ringing_sid=None, ringing_queue=None))

    def agent_call(self, call_sid: str, status: str) -> dict[str, Any] | None:
        """Twilio's status for the call ringing an agent: talking, or free again."""
        c = queue_agents.c
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(queue_agents).where(c.ringing_sid == call_sid)).first()
            if row is None:
                return None
            if status in ("in-progress", "answered"):
                conn.execute(queue_agents.update().where(c.id == row.id).values(state="talking"))
            else:
                conn.execute(queue_agents.update().where(c.id == row.id).values(
                    state="", ringing_sid=None, ringing_queue=None))
        return dict(row._mapping)

    def ringing_count(self, queue: str) -> int:
        """Agents being rung for ``queue`` now."""
        c = queue_agents.c
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.count()).select_from(queue_agents).where(
                c.state == "ringing", c.ringing_queue == queue)).scalar()
        return int(found or 0)

    def head(self, queue: str) -> dict[str, Any] | None:
        """The caller who has waited longest in ``queue`` (the one an agent takes next)."""
        since = _utc(self.clock()) - STALE
        c = queue_calls.c
        query = (sa.select(queue_calls).where(c.status == "waiting", c.queue == queue,
                                              c.joined_at > since, c.agent.is_(None))
                 .order_by(c.joined_at, c.id).limit(1))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return dict(row._mapping) if row else None

    def taken_by(self, call_sid: str, agent: str) -> None:
        """An agent answered for this caller."""
        with self.engine.begin() as conn:
            conn.execute(queue_calls.update().where(queue_calls.c.call_sid == call_sid)
                         .values(agent=agent[:64]))

    # ---- analytics ----------------------------------------------------------------------

    def figures(self, start: datetime, end: datetime, menu: str | None,
                within: int) -> dict[str, Any]:
        """Queue figures for callers who joined in [start, end): answered, abandoned, time in
        queue, the share answered within ``within`` seconds (of those whose wait ended), and
        callbacks or messages chosen by leaving with the key."""
        c = queue_calls.c
        answered = c.status.in_(("bridged", "bridging-in-process"))
        query = sa.select(
            sa.func.count().label("queued"),
            sa.func.count().filter(c.status != "waiting").label("ended"),
            sa.func.count().filter(answered).label("answered"),
            sa.func.count().filter(answered, c.waited <= within).label("answered_within"),
            sa.func.count().filter(c.status == "hangup").label("abandoned"),
            sa.func.count().filter(c.status == "leave", c.reason == "key").label("left_by_key"),
            sa.func.count().filter(c.status == "leave", c.reason != "key").label("sent_on"),
            sa.func.avg(c.waited).filter(c.status != "waiting").label("average_wait"),
            sa.func.max(c.waited).label("longest_wait"),
        ).where(c.joined_at >= _utc(start), c.joined_at < _utc(end))
        if menu:
            query = query.where(c.menu == menu)
        with self.engine.connect() as conn:
            row = conn.execute(query).one()
        out: dict[str, Any] = {k: int(v or 0) for k, v in row._mapping.items()
                               if k != "average_wait"}
        out["average_wait"] = round(float(row.average_wait or 0), 1)
        out["within"] = within
        out["service_level"] = round(out["answered_within"] / out["ended"], 4) if out["ended"] else 0.0
        return out
