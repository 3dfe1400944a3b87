"""What web visitors and texters asked, for the analytics: channels beside calls.

One row per question typed on a help page or texted (not the browsing itself): the
channel (``web`` or ``text``), a session id (a page's question has one of its own; a
texter's conversation is their hashed number and its first text's day), and the engine's
journey line for it (``event``/``outcome`` as a call's spoken step writes them), so the
"Not understood" analytics read typed and texted words with the spoken ones.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ivr.data.tables import metadata
from ivr.engine.types import Step

log = logging.getLogger(__name__)
CHANNELS = ("web", "text")

online_steps = sa.Table(
    "online_steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("session", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("menu", sa.String(64), nullable=False),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("input", sa.Text, nullable=False, server_default=""),
    sa.Column("outcome", sa.String(255), nullable=False, server_default=""),
    sa.Column("lang", sa.String(16), nullable=False, server_default=""),
    sa.Index("ix_online_steps_at", "at"),
)


def session_of(channel: str, who: str = "") -> str:
    """A session id: a texter's hashed number, else a fresh one (a page's question)."""
    if who:
        return f"{channel}:" + hashlib.sha256(who.encode()).hexdigest()[:32]
    return f"{channel}:" + secrets.token_hex(16)


def lines(channel: str, session: str, menu: str, steps: Iterable[Step],
          now: datetime) -> list[dict[str, Any]]:
    """A question's journey lines as rows of ``online_steps``."""
    return [{"channel": channel, "session": session[:64], "at": now, "menu": menu[:64],
             "node": s.node[:64], "event": s.event[:32], "input": s.input[:2000],
             "outcome": s.outcome[:255], "lang": s.lang[:16]} for s in steps]


def record(writer: Any, channel: str, session: str, menu: str, steps: Iterable[Step],
           now: datetime) -> None:
    """Hand a question's journey lines to the background writer (ivr.online.writer): the
    answer never waits for the database, and a database failure loses nothing it has."""
    rows = lines(channel, session, menu, steps, now)
    if rows:
        writer.add(rows)


def counts(engine: Engine, first: datetime, after: datetime,
           menu: str | None = None) -> dict[str, dict[str, int]]:
    """Per channel: sessions, questions, answered, not understood, within [first, after)."""
    c = online_steps.c
    asked = c.event.in_(("speech", "text"))
    answered = sa.or_(*(c.outcome.startswith(p) for p in ("match:", "jump:", "prompt:",
                                                          "person:", "choice:")))
    missed = sa.or_(*(c.outcome.startswith(p) for p in ("nothing", "refine:", "unsure:",
                                                        "topics:")))
    where = [c.at >= first, c.at < after, asked, *([c.menu == menu] if menu else [])]
    query = (sa.select(c.channel, sa.func.count(sa.distinct(c.session)), sa.func.count(),
                       sa.func.sum(sa.case((answered, 1), else_=0)),
                       sa.func.sum(sa.case((missed, 1), else_=0)))
             .where(*where).group_by(c.channel))
    found = {name: {"sessions": 0, "questions": 0, "answered": 0, "not_understood": 0}
             for name in CHANNELS}
    with engine.connect() as conn:
        for row in conn.execute(query):
            found[row[0]] = {"sessions": int(row[1]), "questions": int(row[2]),
                             "answered": int(row[3] or 0), "not_understood": int(row[4] or 0)}
    return found


def spoken_like(engine: Engine, first: datetime, after: datetime,
                menu: str | None) -> list[dict[str, Any]]:
    """Typed and texted questions not understood, shaped as a call's spoken journey lines."""
    c = online_steps.c
    relevant = sa.and_(c.event == "speech", sa.or_(*(c.outcome.startswith(p) for p in
                                                     ("nothing", "refine:", "unsure:"))))
    where = [c.at >= first, c.at < after, relevant, *([c.menu == menu] if menu else [])]
    query = (sa.select(c.session.label("call_sid"), c.at, c.node, c.event, c.input, c.outcome,
                       c.lang).where(*where).order_by(c.session, c.at, c.id))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
